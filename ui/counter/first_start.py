"""The very first start: create the demo city in the data folder (saying so),
then ask which demo agency this counter serves, and remember the answer.
Later starts skip all of this and go straight to sign-in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from certificates.types import BY_ID
from democity import spec

from ..tasks import Tasks
from . import texts
from .widgets import Banner, button, card, label


def create_city(path: Path) -> Path:
    """Off the GUI thread: the demo city with every plug-in the counter serves."""
    from democity.build import create_demo_city

    from ..local_backend import default_plugins

    print(f"首次启动：正在创建演示城市 / first start: creating the demo city in {path}", flush=True)
    create_demo_city(path, default_plugins(), registry_rules=True)  # as `city demo`: one live licence each
    return path


def demo_exists(city: Path) -> bool:
    return all((city / a.id / "config.toml").exists() for a in spec.AGENCIES)


def duties(agency: spec.DemoAgency) -> str:
    """What a counter of this agency does, in words."""
    parts = [
        texts.licence_name(p.split(":", 1)[1])
        for p in agency.permissions
        if p.startswith("certificate:") and p.split(":", 1)[1] in BY_ID
    ]
    if "charity:organisation" in agency.permissions:
        parts.append(texts.tr("donations, funds and disbursements"))
    if "charity:acknowledge" in agency.permissions:
        parts.append(texts.tr("acknowledging charity money"))
    text = texts.tr(", ").join(parts)
    return text[:1].upper() + text[1:]


class FirstStartWindow(QMainWindow):
    chosen = Signal(str)  # agency id

    def __init__(self, city: Path, tasks: Tasks | None = None) -> None:
        super().__init__()
        self.city = city
        self.tasks = tasks or Tasks()
        self.setObjectName("page")
        self.resize(1280, 800)
        self.stack = QStackedWidget()
        # creating
        self.creating = QWidget()
        box, inner = card(32)
        box.setFixedWidth(640)
        self.creating_title = label("", "title")
        self.creating_text = label("", wrap=True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.banner = Banner()
        for widget in (self.creating_title, self.creating_text, self.bar, self.banner):
            inner.addWidget(widget)
        self._centre(self.creating, box)
        # choosing
        self.choosing = QWidget()
        box, inner = card(32)
        box.setFixedWidth(760)
        self.choose_title = label("", "title")
        self.choose_text = label("", wrap=True)
        self.agencies = QListWidget()
        self.agencies.setObjectName("agencies")
        self.agencies.setMinimumHeight(360)
        for agency in spec.AGENCIES:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, agency.id)
            self.agencies.addItem(item)
        self.agencies.setCurrentRow(0)
        self.agencies.itemActivated.connect(lambda _: self.choose())
        self.use = button("", "primary")
        self.use.setObjectName("useAgency")
        self.use.clicked.connect(self.choose)
        for widget in (self.choose_title, self.choose_text, self.agencies, self.use):
            inner.addWidget(widget)
        self._centre(self.choosing, box)
        self.stack.addWidget(self.creating)
        self.stack.addWidget(self.choosing)
        self.setCentralWidget(self.stack)
        self.retranslate()

    @staticmethod
    def _centre(page: QWidget, box: QWidget) -> None:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        column = QVBoxLayout(page)
        column.addStretch(1)
        column.addLayout(row)
        column.addStretch(2)

    def start(self) -> None:
        """Create the city if it is not there yet, then ask for the agency."""
        if demo_exists(self.city):
            self.ask()
            return
        self.stack.setCurrentWidget(self.creating)
        self.tasks.run(create_city, self.city, done=lambda _: self.ask(), failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.bar.hide()
        self.banner.show_error(exc)

    def ask(self) -> None:
        self.stack.setCurrentWidget(self.choosing)
        self.agencies.setFocus()

    def choose(self) -> None:
        item = self.agencies.currentItem()
        if item is not None:
            self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("CityChain counter"))
        self.creating_title.setText(self.tr("Welcome"))
        self.creating_text.setText(
            self.tr(
                "First start: creating the demo city in %1 — six agency nodes with "
                "their keys, users and sample licences. This takes a minute and "
                "happens only once."
            ).replace("%1", str(self.city))
        )
        self.choose_title.setText(self.tr("Which agency is this counter?"))
        self.choose_text.setText(
            self.tr(
                "The demo city is ready in %1. Choose the agency this counter belongs "
                "to; it is remembered, and later starts go straight to sign-in."
            ).replace("%1", str(self.city))
        )
        for row, agency in enumerate(spec.AGENCIES):
            self.agencies.item(row).setText(f"{texts.pick(agency.name_zh, agency.name_en)}\n    {duties(agency)}")
        self.use.setText(self.tr("Use this agency"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

"""The printer this counter prints on: a CUPS queue chosen once and kept in
the counter's settings (`counter.json` in the data folder), and the dialog
that offers the print server's queues. The queues are listed in a task: a
print server that does not answer never freezes the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QVBoxLayout, QWidget

from citychain.documents import printing

from ..app import data_folder
from .settings import CounterSettings
from .widgets import Banner, Counter, button, label


def saved_printer() -> str | None:
    return CounterSettings.load(data_folder()).printer


def remember_printer(name: str) -> None:
    folder = data_folder()
    CounterSettings.load(folder).with_(printer=name).save(folder)


class PrinterDialog(QDialog):
    """Pick one of the print server's queues; accepted only with one chosen."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.chosen: str | None = None
        self.intro = label("", wrap=True)
        self.banner = Banner()
        self.list = QListWidget()
        self.list.setObjectName("printerList")
        self.list.itemDoubleClicked.connect(lambda _item: self.choose())
        self.ok = button("", "primary")
        self.ok.setDefault(True)
        self.ok.setEnabled(False)
        self.ok.clicked.connect(self.choose)
        self.list.currentRowChanged.connect(lambda row: self.ok.setEnabled(row >= 0))
        self.cancel = button()
        self.cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.banner)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.resize(460, 360)
        self.retranslate()
        self.counter.run(printing.queues, done=self.show_queues, failed=self.banner.show_error, quiet=True)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Choose the printer"))
        self.intro.setText(self.tr("Documents from this counter are printed on the printer chosen here."))
        self.ok.setText(self.tr("Use this printer"))
        self.cancel.setText(self.tr("Cancel"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_queues(self, names: list[str]) -> None:
        self.list.clear()
        self.list.addItems(names)
        current = saved_printer()
        matches = self.list.findItems(current or "", Qt.MatchFlag.MatchExactly) if current else []
        self.list.setCurrentItem(matches[0] if matches else self.list.item(0))
        if not names:
            self.banner.show_pair(
                "打印服务中没有打印机，请先在系统中添加打印机。",
                "The print service has no printers; add one to the system first.",
            )

    def choose(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.chosen = item.text()
        remember_printer(self.chosen)
        self.accept()

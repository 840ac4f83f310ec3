"""Pieces the charity screens share: the money box (yuan as typed, fen for
the node), fund and project pickers kept in step with the node, and a small
form dialog that runs its write in the background and stays open on error;
the flow diagram in the counter's colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from charity.desk import CharityError
from citychain.documents.money import AmountError, parse_yuan

from ..backend import Fund, Project
from ..flow_view import FlowTheme, FlowView
from . import style, texts
from .change_dialogs import _WorkingDialog
from .widgets import Counter, label, set_prop


class MoneyEdit(QLineEdit):
    """Yuan as people write them (1,234.50); `fen()` is exact, never a float."""

    def __init__(self) -> None:
        super().__init__()
        self.setPlaceholderText("0.00")
        self.textEdited.connect(lambda _: set_prop(self, "invalid", False))

    def fen(self) -> int:
        try:
            return parse_yuan(self.text())
        except AmountError:
            set_prop(self, "invalid", True)
            raise


class CharityData(QObject):
    """The charity's funds and projects, reloaded after every change."""

    updated = Signal()
    failed = Signal(object)

    def __init__(self, counter: Counter, parent: QObject) -> None:
        super().__init__(parent)  # dies with its page, and its connections with it
        self.counter = counter
        self.funds: tuple[Fund, ...] = ()
        self.projects: tuple[Project, ...] = ()
        counter.changed.connect(self._changed)

    def _changed(self, what: str) -> None:
        if what == "charity":
            self.reload()

    def reload(self) -> None:
        backend, session = self.counter.backend, self.counter.session
        self.counter.run(
            lambda: (backend.funds(session), backend.projects(session)),
            done=self._loaded,
            failed=self.failed.emit,
            quiet=True,
        )

    def _loaded(self, result) -> None:
        self.funds, self.projects = result
        self.updated.emit()

    def fund(self, fund_id: str) -> Fund | None:
        return next((f for f in self.funds if f.id == fund_id), None)


def fill_combo(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    """Replace a combo's (text, data) items, keeping the chosen one if it is still there."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    index = combo.findData(chosen)
    combo.setCurrentIndex(index if index >= 0 else (0 if items else -1))
    combo.blockSignals(False)
    combo.currentIndexChanged.emit(combo.currentIndex())


def fund_items(data: CharityData) -> list[tuple[str, str]]:
    return [(texts.pick(f.name_zh, f.name_en), f.id) for f in data.funds]


def project_items(data: CharityData, fund_id: str | None = None) -> list[tuple[str, str]]:
    return [(texts.pick(p.name_zh, p.name_en), p.id) for p in data.projects if fund_id in (None, p.fund)]


def flow_view(name: str) -> FlowView:
    """Where money went, drawn in the counter's ink on a card (`charity.flow`)."""
    view = FlowView(
        FlowTheme(
            label_px=14,
            text=style.INK,
            muted=style.MUTED,
            background=style.CARD,
            band_alpha=70,
            empty=("还没有款项", "No money recorded yet"),
        )
    )
    view.setObjectName(name)
    view.setMinimumHeight(260)
    return view


class FormDialog(_WorkingDialog):
    """Rows of (label, editor); `build()` returns the write to run, or raises a
    bilingual error about what was typed."""

    def __init__(
        self,
        counter: Counter,
        title: str,
        rows: list[tuple[str, QWidget]],
        build: Callable[[], tuple[Callable, tuple[Any, ...]]],
        action: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(counter, parent)
        self.build = build
        self.editors = [editor for _, editor in rows]
        self.setWindowTitle(title)
        self.resize(560, 120 + 56 * len(rows))
        self.ok.setText(action)
        form = QFormLayout()
        form.setSpacing(10)
        for text, editor in rows:
            form.addRow(label(text), editor)
        layout = QVBoxLayout(self)
        layout.addWidget(label(title, "subtitle"))
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addStretch(1)
        layout.addLayout(self.buttons())

    def submit(self) -> None:
        try:
            fn, args = self.build()
        except (CharityError, AmountError, ValueError) as exc:
            self.banner.show_error(exc)
            return
        self.work(fn, *args)


def table(columns: int, stretch: int | None = None) -> QTableWidget:
    """A read-only list; the `stretch` column takes the room left (and is cut
    short with … rather than the table scrolling sideways)."""
    widget = QTableWidget(0, columns)
    widget.setTabKeyNavigation(False)  # Tab leaves the list (arrows move in it): no keyboard trap
    widget.verticalHeader().hide()
    widget.verticalHeader().setDefaultSectionSize(34)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.setAlternatingRowColors(True)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.setTextElideMode(Qt.TextElideMode.ElideRight)
    return widget


def set_row(widget: QTableWidget, row: int, cells: list[str], data: str | None = None) -> None:
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        item.setToolTip(text)
        if data is not None:
            item.setData(Qt.ItemDataRole.UserRole, data)
        if text.startswith(("¥", "-¥")):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        widget.setItem(row, column, item)

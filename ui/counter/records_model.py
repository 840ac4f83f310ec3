"""The records table: a QAbstractTableModel over a search, loaded in pages.

`data()` only reads rows already fetched — painting and scrolling never ask
the node anything. The first page comes with the total count; the view asks
for more (`canFetchMore` / `fetchMore`) as it scrolls near the end, and each
page is fetched by a background task, so 100,000 matches scroll as smoothly
as ten. A newer search makes older answers stale: they are dropped.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from ..backend import RecordPage, RecordQuery, RecordRow
from . import style, texts
from .widgets import Counter

PAGE = 200
COLUMNS = ("holder", "type", "status", "valid_from", "valid_until", "cert_id")
SORT_KEYS = {
    "type": "type",
    "status": "status",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "cert_id": "id",
}


class RecordsModel(QAbstractTableModel):
    loaded = Signal(int)  # total matches, after each new search
    failed = Signal(object)

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.rows: list[RecordRow] = []
        self.total = 0
        self.query = RecordQuery()
        self._generation = 0
        self._loading = False

    # -- searching -------------------------------------------------------------------------
    def search(self, query: RecordQuery) -> None:
        self.query = query
        self._generation += 1
        generation = self._generation
        self._loading = True
        self.counter.run(
            self.counter.backend.find_certificates,
            self.counter.session,
            query,
            0,
            PAGE,
            done=lambda page: self._first_page(generation, page),
            failed=lambda exc: self._failed(generation, exc),
            what=self.tr("Searching…"),
        )

    def refresh(self) -> None:
        self.search(self.query)

    def _first_page(self, generation: int, page: RecordPage) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.beginResetModel()
        self.rows, self.total = list(page.rows), page.total
        self.endResetModel()
        self.loaded.emit(self.total)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self.failed.emit(exc)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self._loading and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        self._loading = True
        generation = self._generation
        self.counter.run(
            self.counter.backend.find_certificates,
            self.counter.session,
            self.query,
            len(self.rows),
            PAGE,
            done=lambda page: self._next_page(generation, page),
            failed=lambda exc: self._failed(generation, exc),
            quiet=True,
        )

    def _next_page(self, generation: int, page: RecordPage) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if page.offset != len(self.rows) or not page.rows:
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page.rows) - 1)
        self.rows.extend(page.rows)
        self.endInsertRows()

    # -- the table ----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "holder":
                return row.holder or self.tr("(personal data erased)")
            if column == "type":
                return texts.licence_name(row.type)
            if column == "status":
                return texts.word(texts.STATUS, texts.shown_status(row.status, row.valid_until))
            if column in ("valid_from", "valid_until"):
                return texts.date_text(getattr(row, column))
            return row.cert_id
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QBrush(QColor(style.STATUS_COLOURS.get(texts.shown_status(row.status, row.valid_until), style.INK)))
        if role == Qt.ItemDataRole.ToolTipRole and column == "cert_id":
            return row.cert_id
        if role == Qt.ItemDataRole.UserRole:
            return row.cert_id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            "holder": self.tr("Holder"),
            "type": self.tr("Licence type"),
            "status": self.tr("Status"),
            "valid_from": self.tr("Valid from"),
            "valid_until": self.tr("Valid until"),
            "cert_id": self.tr("Certificate number"),
        }[COLUMNS[section]]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the node's: a new search in that order (holders are not sortable: they are hashed)."""
        key = SORT_KEYS.get(COLUMNS[column]) if 0 <= column < len(COLUMNS) else None
        if key is None or self.counter.session is None:
            return
        from dataclasses import replace

        self.search(replace(self.query, sort=key, descending=order == Qt.SortOrder.DescendingOrder))

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

"""Records: search this agency's licences, open one.

Typing searches after a short pause (or at once with Enter); the table is the
paged `RecordsModel`. Opening a record shows its detail in place, and Esc
comes back to the same results, scrolled where they were.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..backend import STATUSES, RecordQuery
from . import texts
from .record_detail import RecordDetail
from .records_model import COLUMNS, RecordsModel
from .widgets import Banner, Counter, button, label, set_prop

DEBOUNCE_MS = 300


class RecordsPage(QStackedWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.model = RecordsModel(counter)
        self.list_page = QWidget()
        self.detail = RecordDetail(counter)
        self.addWidget(self.list_page)
        self.addWidget(self.detail)
        self.detail.back.connect(self.show_list)
        self.detail.opened.connect(self.open_record)
        counter.changed.connect(self._changed)

        self.title = label("", "title")
        self.banner = Banner()
        self.text = QLineEdit()
        self.text.setObjectName("searchText")
        self.text.setClearButtonEnabled(True)
        self.type = QComboBox()
        self.type.addItem("", "")
        for type_id in counter.info.licence_types:
            self.type.addItem(texts.licence_name(type_id), type_id)
        self.status = QComboBox()
        self.status.addItem("", "")
        for status in STATUSES:
            self.status.addItem(texts.word(texts.STATUS, status), status)
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for box in (self.date_from, self.date_to):
            box.setPlaceholderText("YYYY-MM-DD")
            box.setFixedWidth(140)
        self.search_button = button("", "primary")
        self.search_button.clicked.connect(self.search)
        self.count = label("", "muted")

        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the list (arrows move in it): no keyboard trap
        self.table.setObjectName("recordsTable")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # numbers differ at their end
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size checks
        header = self.table.horizontalHeader()
        widths = {"holder": 270, "type": 160, "status": 90, "valid_from": 140, "valid_until": 140}
        for column, name in enumerate(COLUMNS):
            if name in widths:
                header.resizeSection(column, widths[name])
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)
        self.empty = label("", "muted", wrap=True)
        self.empty.setObjectName("card")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.results = QStackedWidget()  # the table, or in its place what to try when nothing matched
        self.results.addWidget(self.table)
        self.results.addWidget(self.empty)

        search = QHBoxLayout()
        search.setSpacing(8)
        search.addWidget(self.text, 1)
        search.addWidget(self.search_button)
        filters = QHBoxLayout()
        filters.setSpacing(8)
        for combo in (self.type, self.status):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            filters.addWidget(combo)
        self.from_label, self.to_label = label(), label()
        filters.addSpacing(12)
        filters.addWidget(self.from_label)
        filters.addWidget(self.date_from)
        filters.addWidget(self.to_label)
        filters.addWidget(self.date_to)
        filters.addStretch(1)
        filters.addWidget(self.count)
        layout = QVBoxLayout(self.list_page)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addLayout(search)
        layout.addLayout(filters)
        layout.addWidget(self.banner)
        layout.addWidget(self.results, 1)

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self.search)
        self.text.textEdited.connect(lambda _: self._debounce.start())
        self.text.returnPressed.connect(self.search)
        for box in (self.date_from, self.date_to):
            box.returnPressed.connect(self.search)
        self.type.currentIndexChanged.connect(lambda _: self.search())
        self.status.currentIndexChanged.connect(lambda _: self.search())
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.model.refresh)
        self.retranslate()

    def _changed(self, what: str) -> None:
        if what == "certificates" and self.counter.session is not None:
            self.model.refresh()

    # -- searching ----------------------------------------------------------------------------
    def query(self) -> RecordQuery:
        current = self.model.query
        return RecordQuery(
            self.text.text().strip(),
            self.type.currentData() or "",
            self.status.currentData() or "",
            self.date_from.text().strip(),
            self.date_to.text().strip(),
            current.sort,
            current.descending,
        )

    def search(self) -> None:
        self._debounce.stop()
        self.banner.clear()
        for box in (self.date_from, self.date_to):
            set_prop(box, "invalid", False)
        self.model.search(self.query())

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_error(exc)
        for name, box in (("date_from", self.date_from), ("date_to", self.date_to)):
            set_prop(box, "invalid", name in getattr(exc, "fields", {}))

    def focus_search(self) -> None:
        self.show_list()
        self.text.setFocus()
        self.text.selectAll()

    def _loaded(self, total: int) -> None:
        self._show_count()
        self.results.setCurrentWidget(self.empty if total == 0 else self.table)

    def _show_count(self) -> None:
        total = self.model.total
        self.count.setText(self.tr("%n licence(s) found", "", total) if self.model.query.text or total else "")
        self.empty.setText(
            self.tr(
                "No licence matches. Search by the holder's full name or ID number, or by part of the licence number."
            )
            if self.model.query.text or self.model.query.type or self.model.query.status
            else self.tr("No licences issued yet.")
        )

    # -- opening ---------------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        cert_id = self.model.data(index, Qt.ItemDataRole.UserRole)
        if cert_id:
            self.open_record(cert_id)

    def open_record(self, cert_id: str) -> None:
        self.setCurrentWidget(self.detail)
        self.detail.load(cert_id)

    def show_list(self) -> None:
        self.setCurrentWidget(self.list_page)
        self.table.setFocus()

    def activate(self) -> None:
        """Shown from the navigation: first search, or refresh what is shown."""
        if not self.model.rows and not self.model.total:
            self.search()

    # -- language -----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Licence records"))
        self.text.setPlaceholderText(self.tr("Holder's full name, ID number, or licence number  (Ctrl+F)"))
        self.text.setAccessibleName(self.text.placeholderText())  # screen readers say it, not only the eye
        self.table.setAccessibleName(self.title.text())
        self.type.setItemText(0, self.tr("All types"))
        for index in range(1, self.type.count()):
            self.type.setItemText(index, texts.licence_name(self.type.itemData(index)))
        self.status.setItemText(0, self.tr("Any status"))
        for index in range(1, self.status.count()):
            self.status.setItemText(index, texts.word(texts.STATUS, self.status.itemData(index)))
        self.from_label.setText(self.tr("Valid from"))
        self.to_label.setText(self.tr("to"))
        self.search_button.setText(self.tr("Search"))
        self.model.retranslate()
        self._show_count()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

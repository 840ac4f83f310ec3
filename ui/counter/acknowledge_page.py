"""On a beneficiary agency's counter (civil affairs): charity money approved
for this agency, and the acknowledgement that it arrived — written in this
agency's own log, pointing at the approval in the charity's log, so the
donor's trace can show the money reached its destination.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ..backend import Disbursement
from . import texts
from .charity_forms import set_row, table
from .widgets import Banner, Counter, button, card, label


class AcknowledgePage(QWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.items: tuple[Disbursement, ...] = ()
        self.title = label("", "title")
        self.intro = label("", "muted", wrap=True)
        self.banner = Banner()
        box, box_layout = card()
        self.table = table(6, stretch=3)
        self.table.setObjectName("toAcknowledge")
        self.table.itemSelectionChanged.connect(self._update)
        self.empty = label("", "muted", wrap=True)
        self.acknowledge_button = button("", "primary")
        self.acknowledge_button.setObjectName("acknowledge")
        self.acknowledge_button.clicked.connect(self.acknowledge)
        self.sync_button = button()
        self.sync_button.clicked.connect(self.sync)
        row = QHBoxLayout()
        row.addWidget(self.acknowledge_button)
        row.addStretch(1)
        row.addWidget(self.sync_button)
        box_layout.addWidget(self.table, 1)
        box_layout.addWidget(self.empty)
        box_layout.addLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addWidget(self.banner)
        layout.addWidget(box, 1)
        self.retranslate()

    def activate(self) -> None:
        self.load()

    def load(self) -> None:
        self.counter.run(
            self.counter.backend.to_acknowledge,
            self.counter.session,
            done=self._show,
            failed=self.banner.show_error,
            quiet=True,
        )

    def _show(self, items: tuple[Disbursement, ...]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        for row, d in enumerate(items):
            state = self.tr("Acknowledged") if d.acknowledged else self.tr("To acknowledge")
            set_row(
                self.table,
                row,
                [
                    texts.agency_name(self.counter.info, d.charity),
                    d.id,
                    texts.money(d.amount_fen),
                    d.purpose,
                    d.decided_by or "",
                    state,
                ],
                d.id,
            )
        self.empty.setVisible(not items)
        self._update()

    def selected(self) -> Disbursement | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        request_id = self.table.item(rows[0].row(), 1).data(Qt.ItemDataRole.UserRole)
        return next((d for d in self.items if d.id == request_id), None)

    def select(self, request_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 1).text() == request_id:
                self.table.selectRow(row)

    def _update(self) -> None:
        chosen = self.selected()
        self.acknowledge_button.setEnabled(chosen is not None and not chosen.acknowledged)

    def acknowledge(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.counter.run(
            self.counter.backend.acknowledge,
            self.counter.session,
            chosen.charity,
            chosen.id,
            done=self._done,
            failed=self.banner.show_error,
            what=self.tr("Acknowledging…"),
        )

    def _done(self, written) -> None:
        self.banner.show_pair(
            f"已确认收到 {written.id} 的款项，记录在本机构账本第 {written.seq} 条。",
            f"Receipt of {written.id} acknowledged, record {written.seq} of our ledger.",
            "ok",
        )
        self.load()

    def sync(self) -> None:
        self.sync_button.setEnabled(False)
        self.counter.run(
            self.counter.backend.sync_now,
            self.counter.session,
            done=lambda _: self._synced(),
            failed=self._sync_failed,
            what=self.tr("Syncing with the peers…"),
        )

    def _synced(self) -> None:
        self.sync_button.setEnabled(True)
        self.load()

    def _sync_failed(self, exc: BaseException) -> None:
        self.sync_button.setEnabled(True)
        self.banner.show_error(exc)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Charity receipts"))
        self.table.setAccessibleName(self.title.text())
        self.intro.setText(
            self.tr(
                "Charity money approved for this agency. When it has arrived, select it and "
                "acknowledge it: the donors' traces then show that it reached us."
            )
        )
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Charity"),
                self.tr("Request"),
                self.tr("Amount"),
                self.tr("Purpose"),
                self.tr("Approved by"),
                self.tr("State"),
            ]
        )
        self.empty.setText(self.tr("Nothing approved for this agency yet. New approvals arrive with the next sync."))
        self.acknowledge_button.setText(self.tr("Acknowledge receipt"))
        self.sync_button.setText(self.tr("Sync now"))
        self._show(self.items)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

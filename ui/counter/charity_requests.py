"""Disbursements: a clerk requests money for a beneficiary; a supervisor who
is not the requester approves it (the rules insist on a second person) or
cancels it with a reason. The amount is reserved while the request waits."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from citychain.documents.money import AmountError

from ..backend import Disbursement
from . import texts
from .charity_forms import (
    CharityData,
    MoneyEdit,
    fill_combo,
    project_items,
    set_row,
    table,
)
from .widgets import Banner, Counter, button, card, label


class RequestsTab(QWidget):
    def __init__(self, counter: Counter, data: CharityData) -> None:
        super().__init__()
        self.counter, self.data = counter, data
        self.requests: tuple[Disbursement, ...] = ()
        box, form_layout = card()
        self.form_title = label("", "subtitle")
        self.project = QComboBox()
        self.project.setObjectName("requestProject")
        self.amount = MoneyEdit()
        self.amount.setObjectName("requestAmount")
        self.beneficiary = QLineEdit()
        self.beneficiary.setObjectName("beneficiaryName")
        self.beneficiary_id = QLineEdit()
        self.agency = QComboBox()
        for agency in counter.info.beneficiaries:
            self.agency.addItem(texts.agency_name(counter.info, agency), agency)
        self.purpose = QLineEdit()
        self.purpose.setObjectName("purpose")
        self.form = QFormLayout()
        self.form.setSpacing(8)
        self.row_labels = [label() for _ in range(6)]
        for row_label, editor in zip(
            self.row_labels,
            (self.project, self.amount, self.beneficiary, self.beneficiary_id, self.agency, self.purpose),
        ):
            self.form.addRow(row_label, editor)
        self.request_button = button("", "primary")
        self.request_button.setObjectName("requestDisbursement")
        self.request_button.clicked.connect(self.request)
        self.request_button.setVisible(counter.may("charity.disbursement.request"))
        self.banner = Banner()
        form_layout.addWidget(self.form_title)
        form_layout.addLayout(self.form)
        form_layout.addWidget(self.banner)
        form_layout.addWidget(self.request_button)
        form_layout.addStretch(1)

        listing, list_layout = card()
        self.list_title = label("", "subtitle")
        self.table = table(5, stretch=1)
        self.table.setObjectName("requests")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.approve_button = button("", "primary")
        self.approve_button.setObjectName("approve")
        self.cancel_button = button("", "danger")
        self.cancel_button.setObjectName("cancelRequest")
        self.approve_button.clicked.connect(self.approve)
        self.cancel_button.clicked.connect(self.cancel)
        self.second_person = label("", "muted", wrap=True)
        decide = counter.may("charity.disbursement.decide")
        for widget in (self.approve_button, self.cancel_button):
            widget.setVisible(decide)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("cancelReason")
        self.reason.setFixedHeight(56)
        self.reason.setTabChangesFocus(True)
        self.reason.setVisible(decide)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        list_layout.addWidget(self.list_title)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.second_person)
        list_layout.addWidget(self.reason)
        list_layout.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(box, 4)
        layout.addWidget(listing, 7)
        data.updated.connect(self._projects_changed)
        counter.changed.connect(self._changed)
        self.retranslate()

    def _projects_changed(self) -> None:
        fill_combo(self.project, project_items(self.data))

    def _changed(self, what: str) -> None:
        if what == "charity":
            self.load()

    # -- requesting ------------------------------------------------------------------------------
    def request(self) -> None:
        try:
            amount = self.amount.fen()
        except AmountError as exc:
            self.banner.show_error(exc)
            return
        self.banner.clear()
        self.request_button.setEnabled(False)
        self.counter.run(
            self.counter.backend.request_disbursement,
            self.counter.session,
            self.project.currentData(),
            amount,
            self.beneficiary.text(),
            self.beneficiary_id.text().strip(),
            self.agency.currentData() or "",
            self.purpose.text(),
            done=self._requested,
            failed=self._request_failed,
            what=self.tr("Sending the request…"),
        )

    def _request_failed(self, exc: BaseException) -> None:
        self.request_button.setEnabled(True)
        self.banner.show_error(exc)

    def _requested(self, written) -> None:
        self.request_button.setEnabled(True)
        self.banner.show_pair(
            f"已提出支出申请 {written.id}，等待另一位主管批准。",
            f"Request {written.id} is in; another supervisor must approve it.",
            "ok",
        )
        for editor in (self.amount, self.beneficiary, self.beneficiary_id, self.purpose):
            editor.clear()
        self.counter.changed.emit("charity")

    # -- the list and decisions -------------------------------------------------------------------
    def load(self) -> None:
        self.counter.run(
            self.counter.backend.disbursements,
            self.counter.session,
            done=self._show,
            failed=self.banner.show_error,
            quiet=True,
        )

    def _show(self, requests: tuple[Disbursement, ...]) -> None:
        self.requests = requests
        self.table.setRowCount(len(requests))
        for row, r in enumerate(requests):
            project = next((p for p in self.data.projects if p.id == r.project), None)
            status = texts.word(texts.REQUEST_STATUS, r.status)
            if r.acknowledged:
                status += self.tr(", received")
            set_row(
                self.table,
                row,
                [
                    r.id,
                    texts.pick(project.name_zh, project.name_en) if project else r.project,
                    texts.money(r.amount_fen),
                    status,
                    r.requested_by,
                ],
                r.id,
            )
            details = f"{r.purpose}\n{texts.agency_name(self.counter.info, r.beneficiary_agency)}"
            for column in range(self.table.columnCount()):
                self.table.item(row, column).setToolTip(details)
        self._update_buttons()

    def selected(self) -> Disbursement | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        request_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.requests if r.id == request_id), None)

    def select(self, request_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == request_id:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        chosen = self.selected()
        pending = chosen is not None and chosen.status == "pending"
        mine = pending and self.counter.session is not None and chosen.requested_by == self.counter.session.user
        self.approve_button.setEnabled(pending and not mine)
        self.cancel_button.setEnabled(pending)
        self.second_person.setText(self.tr("You requested this one: a second person must approve it.") if mine else "")

    def approve(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.counter.run(
            self.counter.backend.approve,
            self.counter.session,
            chosen.id,
            done=self._decided,
            failed=self.banner.show_error,
            what=self.tr("Approving…"),
        )

    def cancel(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.banner.show_pair("取消申请请先在下方填写原因。", "To cancel a request, write the reason below first.")
            self.reason.setFocus()
            return
        self.counter.run(
            self.counter.backend.cancel,
            self.counter.session,
            chosen.id,
            reason,
            done=self._decided,
            failed=self.banner.show_error,
            what=self.tr("Cancelling…"),
        )

    def _decided(self, written) -> None:
        self.reason.clear()
        self.banner.show_pair(
            f"申请 {written.id} 已处理并入账。", f"Request {written.id} is decided and in the ledger.", "ok"
        )
        self.counter.changed.emit("charity")

    # -- language -------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.form_title.setText(self.tr("Request a disbursement"))
        for row_label, text in zip(
            self.row_labels,
            (
                self.tr("Project"),
                self.tr("Amount (yuan)"),
                self.tr("Beneficiary's name"),
                self.tr("Beneficiary's ID number"),
                self.tr("Paid through"),
                self.tr("Purpose"),
            ),
        ):
            row_label.setText(text)
        for index in range(self.agency.count()):
            self.agency.setItemText(index, texts.agency_name(self.counter.info, self.agency.itemData(index)))
        self.request_button.setText(self.tr("Submit request"))
        self.list_title.setText(self.tr("Requests"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Request"), self.tr("Project"), self.tr("Amount"), self.tr("Status"), self.tr("Requested by")]
        )
        self._projects_changed()
        self.approve_button.setText(self.tr("Approve"))
        self.cancel_button.setText(self.tr("Cancel request"))
        self.reason.setPlaceholderText(self.tr("Reason for cancelling"))
        self.reason.setAccessibleName(self.reason.placeholderText())
        self._show(self.requests)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

"""The charity desk: record a donation and print its receipt; funds and
projects; disbursement requests and their second-person approval; tracing a
donation by its receipt code. One tab each, all fed by `CharityData`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from citychain.documents.money import AmountError

from ..backend import Donation, Written
from . import texts
from .charity_forms import (
    CharityData,
    MoneyEdit,
    fill_combo,
    fund_items,
    set_row,
    table,
)
from .charity_funds import FundsTab
from .charity_requests import RequestsTab
from .charity_trace import TraceTab
from .disclosure_page import DisclosureTab
from .documents import DocumentDialog
from .widgets import Banner, Counter, button, card, label


class DonationTab(QWidget):
    trace_requested = Signal(str)

    def __init__(self, counter: Counter, data: CharityData) -> None:
        super().__init__()
        self.counter, self.data = counter, data
        self.last: Written | None = None
        box, form_layout = card()
        self.form_title = label("", "subtitle")
        self.fund = QComboBox()
        self.fund.setObjectName("donationFund")
        self.amount = MoneyEdit()
        self.amount.setObjectName("donationAmount")
        self.channel = QComboBox()
        for key in texts.CHANNELS:
            self.channel.addItem("", key)
        self.donor = QLineEdit()
        self.donor.setObjectName("donorName")
        self.donor_id = QLineEdit()
        self.anonymous = QCheckBox()
        self.banner = Banner()
        self.record_button = button("", "primary")
        self.record_button.setObjectName("recordDonation")
        self.record_button.clicked.connect(self.record)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.rows = [label() for _ in range(5)]
        for row_label, editor in zip(self.rows, (self.fund, self.amount, self.channel, self.donor, self.donor_id)):
            self.form.addRow(row_label, editor)
        self.form.addRow("", self.anonymous)
        form_layout.addWidget(self.form_title)
        form_layout.addLayout(self.form)
        form_layout.addWidget(self.banner)
        form_layout.addWidget(self.record_button)
        self.receipt_box, receipt_layout = card()
        self.receipt_title = label("", "muted")
        self.receipt_code = label("", "big")
        self.receipt_code.setObjectName("receiptCode")
        self.receipt_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.print_receipt = button("", "primary")
        self.print_receipt.clicked.connect(self.show_receipt)
        self.trace_button = button()
        self.trace_button.clicked.connect(lambda: self.last and self.trace_requested.emit(self.last.id))
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_receipt)
        buttons.addWidget(self.trace_button)
        buttons.addStretch(1)
        receipt_layout.addWidget(self.receipt_title)
        receipt_layout.addWidget(self.receipt_code)
        receipt_layout.addLayout(buttons)
        self.receipt_box.hide()
        form_layout.addWidget(self.receipt_box)
        form_layout.addStretch(1)

        recent, recent_layout = card()
        self.recent_title = label("", "subtitle")
        self.recent = table(4, stretch=3)
        self.recent.setObjectName("recentDonations")
        self.recent.doubleClicked.connect(
            lambda index: self.trace_requested.emit(self.recent.item(index.row(), 0).text())
        )
        recent_layout.addWidget(self.recent_title)
        recent_layout.addWidget(self.recent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(box, 1)
        layout.addWidget(recent, 1)
        for editor in (self.amount, self.donor, self.donor_id):
            editor.returnPressed.connect(self.record)
        self.record_button.setVisible(counter.may("charity.donation.record"))
        data.updated.connect(self._funds_changed)
        counter.changed.connect(self._changed)
        self.retranslate()

    def _funds_changed(self) -> None:
        fill_combo(self.fund, fund_items(self.data))

    def _changed(self, what: str) -> None:
        if what == "charity":
            self.load_recent()

    def record(self) -> None:
        if not self.record_button.isEnabled() or not self.record_button.isVisible():
            return
        try:
            amount = self.amount.fen()
        except AmountError as exc:
            self.banner.show_error(exc)
            self.amount.setFocus()
            return
        if not self.fund.currentData():
            self.banner.show_pair(
                "请先选择基金（主管可在“基金与项目”中设立）。",
                "Choose a fund first (a supervisor can create one under Funds and projects).",
            )
            return
        self.banner.clear()
        self.record_button.setEnabled(False)
        self.counter.run(
            self.counter.backend.record_donation,
            self.counter.session,
            self.fund.currentData(),
            amount,
            self.channel.currentData(),
            self.donor.text(),
            self.donor_id.text().strip() or None,
            self.anonymous.isChecked(),
            done=self._recorded,
            failed=self._failed,
            what=self.tr("Recording the donation…"),
        )

    def _failed(self, exc: BaseException) -> None:
        self.record_button.setEnabled(True)
        self.banner.show_error(exc)

    def _recorded(self, written: Written) -> None:
        self.record_button.setEnabled(True)
        self.last = written
        self.receipt_code.setText(written.id)
        self.receipt_box.show()
        self.banner.show_pair(
            "捐赠已登记入账。请打印收据交给捐赠人。",
            "The donation is in the ledger. Print the receipt for the donor.",
            "ok",
        )
        for editor in (self.amount, self.donor, self.donor_id):
            editor.clear()
        self.anonymous.setChecked(False)
        self.print_receipt.setFocus()
        self.counter.changed.emit("charity")

    def show_receipt(self) -> None:
        if self.last is None:
            return
        receipt = self.last.id
        self.counter.run(
            self.counter.backend.receipt_pdf,
            self.counter.session,
            receipt,
            done=lambda pdf: self._receipt(receipt, pdf),
            failed=self.banner.show_error,
            what=self.tr("Making the receipt…"),
        )

    def _receipt(self, receipt: str, pdf: bytes) -> None:
        dialog = DocumentDialog(self.counter, self.tr("Donation receipt"), self)
        dialog.pane.show_document(pdf, f"{receipt}.pdf", receipt)
        self.last_dialog = dialog
        dialog.open()

    def load_recent(self) -> None:
        self.counter.run(
            self.counter.backend.donations,
            self.counter.session,
            100,
            done=self._show_recent,
            failed=self.banner.show_error,
            quiet=True,
        )

    def _show_recent(self, donations: tuple[Donation, ...]) -> None:
        self._donations = donations
        self.recent.setRowCount(len(donations))
        for row, d in enumerate(donations):
            fund = self.data.fund(d.fund)
            donor = self.tr("Anonymous") if d.anonymous else (d.donor or "—")
            set_row(
                self.recent, row, [d.receipt, texts.time_text(d.time, short=True), texts.money(d.amount_fen), donor]
            )
            self.recent.item(row, 2).setToolTip(
                f"{texts.pick(fund.name_zh, fund.name_en) if fund else d.fund} · {texts.word(texts.CHANNELS, d.channel)}"
            )

    def retranslate(self) -> None:
        self.form_title.setText(self.tr("Record a donation"))
        for row_label, text in zip(
            self.rows,
            (
                self.tr("Fund"),
                self.tr("Amount (yuan)"),
                self.tr("Channel"),
                self.tr("Donor's name"),
                self.tr("Donor's ID number"),
            ),
        ):
            row_label.setText(text)
        for index in range(self.channel.count()):
            self.channel.setItemText(index, texts.word(texts.CHANNELS, self.channel.itemData(index)))
        self.donor_id.setPlaceholderText(self.tr("optional"))
        self.anonymous.setText(self.tr("Anonymous: the receipt and public trace show no name"))
        self.record_button.setText(self.tr("Record donation"))
        self.receipt_title.setText(self.tr("Receipt code"))
        self.print_receipt.setText(self.tr("Print receipt…"))
        self.trace_button.setText(self.tr("Trace it"))
        self.recent_title.setText(self.tr("Recent donations"))
        self.recent.setHorizontalHeaderLabels(
            [self.tr("Receipt"), self.tr("Time"), self.tr("Amount"), self.tr("Donor")]
        )
        self._funds_changed()
        if getattr(self, "_donations", None) is not None:
            self._show_recent(self._donations)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class CharityPage(QWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.data = CharityData(counter, self)
        self.title = label("", "title")
        self.banner = Banner()
        self.tabs = QTabWidget()
        self.donation = DonationTab(counter, self.data)
        self.funds = FundsTab(counter, self.data)
        self.requests = RequestsTab(counter, self.data)
        self.trace = TraceTab(counter, self.data)
        self.disclosure = DisclosureTab(counter)
        for tab in (self.donation, self.funds, self.requests, self.trace, self.disclosure):
            self.tabs.addTab(tab, "")
        self.donation.trace_requested.connect(self.show_trace)
        self.data.failed.connect(self.banner.show_error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.retranslate()

    def activate(self) -> None:
        self.data.reload()
        self.donation.load_recent()
        self.requests.load()

    def show_trace(self, receipt: str) -> None:
        self.tabs.setCurrentWidget(self.trace)
        self.trace.trace(receipt)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Charity desk"))
        for index, text in enumerate(
            (
                self.tr("Donation"),
                self.tr("Funds and projects"),
                self.tr("Disbursements"),
                self.tr("Trace a donation"),
                self.tr("Disclosure"),
            )
        ):
            self.tabs.setTabText(index, text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

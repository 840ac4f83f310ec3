"""Trace a donation by its receipt code: where each fen of it is now, drawn
as a flow, and every ledger record it passed through with the proof this
node can show for it."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from charity.flow import donation_flow
from charity.money_states import step_words

from ..backend import Trace
from . import texts
from .charity_forms import CharityData, flow_view, set_row, table
from .widgets import Banner, Counter, button, card, label


class TraceTab(QWidget):
    def __init__(self, counter: Counter, data: CharityData) -> None:
        super().__init__()
        self.counter, self.data = counter, data
        self.result: Trace | None = None
        self.receipt = QLineEdit()
        self.receipt.setObjectName("traceReceipt")
        self.receipt.returnPressed.connect(lambda: self.trace(self.receipt.text()))
        self.go = button("", "primary")
        self.go.clicked.connect(lambda: self.trace(self.receipt.text()))
        self.banner = Banner()
        self.summary = label("", "subtitle", wrap=True)
        self.diagram = flow_view("traceFlow")
        self.steps = table(4, stretch=0)
        self.steps.setObjectName("traceSteps")
        top = QHBoxLayout()
        top.addWidget(self.receipt, 1)
        top.addWidget(self.go)
        left, left_layout = card()
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.diagram, 1)
        right, right_layout = card()
        self.steps_title = label("", "subtitle")
        right_layout.addWidget(self.steps_title)
        right_layout.addWidget(self.steps, 1)
        body = QHBoxLayout()
        body.addWidget(left, 1)
        body.addWidget(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        self.retranslate()

    def trace(self, receipt: str) -> None:
        receipt = receipt.strip()
        self.receipt.setText(receipt)
        if not receipt:
            self.banner.show_pair("请输入收据编号，例如 D-00000001-X。", "Enter a receipt code, such as D-00000001-X.")
            return
        self.banner.clear()
        self.counter.run(
            self.counter.backend.trace,
            receipt,
            done=self.show_trace,
            failed=self.banner.show_error,
            what=self.tr("Tracing…"),
        )

    def show_trace(self, result: Trace) -> None:
        self.result = result
        self._fill()

    def _fill(self) -> None:
        result = self.result
        if result is None:
            self.summary.setText(self.tr("Type or scan the code on a donation receipt to see where the money went."))
            self.diagram.set_flow(None)
            self.steps.setRowCount(0)
            return
        data = result.data
        fund = data.get("fund", {})
        self.summary.setText(
            self.tr("%1 · %2 to %3, received %4")
            .replace("%1", result.receipt)
            .replace("%2", texts.money(result.amount_fen))
            .replace("%3", texts.pick(fund.get("name_zh", ""), fund.get("name_en", "")))
            .replace("%4", texts.time_text(data.get("time")))
        )
        names = {p.id: (p.name_zh, p.name_en) for p in self.data.projects}
        self.diagram.set_flow(donation_flow(data, names))
        steps = data.get("steps", [])
        self.steps.setRowCount(len(steps))
        for row, step in enumerate(steps):
            proof = step.get("proof", {})
            words = texts.word(texts.PROOF_STATUS, proof.get("status", ""))
            if proof.get("status") == "included":
                words += " · " + texts.pick(
                    f"{len(proof.get('cosigners', []))} 个见证", f"{len(proof.get('cosigners', []))} witnesses"
                )
            set_row(
                self.steps,
                row,
                [texts.pick(*step_words(step["step"])), step.get("id", ""), texts.money(step.get("amount_fen")), words],
            )
            self.steps.item(row, 0).setToolTip(texts.agency_name(self.counter.info, step.get("log", "")))

    def retranslate(self) -> None:
        self.receipt.setPlaceholderText(self.tr("Receipt code, e.g. D-00000001-X"))
        self.receipt.setAccessibleName(self.receipt.placeholderText())
        self.go.setText(self.tr("Trace"))
        self.steps_title.setText(self.tr("Ledger records"))
        self.steps.setHorizontalHeaderLabels([self.tr("Step"), self.tr("Record"), self.tr("Amount"), self.tr("Proof")])
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

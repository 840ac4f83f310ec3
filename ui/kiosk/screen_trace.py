"""Where a donation went (the flow and the timeline), and the public pages of
the charity funds (raised against target, paid out, confirmed by recipients).

Amounts come from the node's trace of the signed records; the screen checks
that the places every fen is now add up to the donation and says so — or
warns, rather than drawing a picture that only looks right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from charity import money_states as ms
from charity.flow import Flow, donation_flow
from charity.schedule import STATUS_WORDS
from ui import i18n
from ui.flow_view import FlowTheme, FlowView

from .text import noop, tr
from .theme import Palette
from .trace_model import donated_on, timeline
from .widgets import Screen, ScrollingPart, button, card, label, restyle, set_text

Names = Callable[[str], tuple[str, str]]
BAD_RECEIPTS = frozenset(
    {"TAMPERED", "MALFORMED", "UNKNOWN_ISSUER", "ISSUER_NOT_AUTHORISED", "KEY_REVOKED", "REVERSED", "NOT_IN_LEDGER"}
)
PROOF_WORDS = {
    "witnessed": noop("✓ in the ledger, co-signed by witnesses"),
    "included": noop("✓ in the ledger"),
    "awaiting_checkpoint": noop("… recorded, awaiting the next checkpoint"),
    "log_invalid": noop("! ledger flagged — ask the charity"),
    "not_held": noop("? not held by this kiosk's node"),
}


def _clear_layout(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()
        elif item.layout() is not None:
            _clear_layout(item.layout())


class TraceScreen(Screen):
    done = Signal()
    show_funds = Signal()

    scrolls_itself = True

    def __init__(self, names: Names) -> None:
        super().__init__()
        self.setObjectName("trace")
        self.names = names
        self.report: dict[str, Any] | None = None
        self.flow: Flow | None = None
        self.check: tuple[str, str, str] | None = None
        self.title = label("title", name="trace-title")
        self.summary = label("big", name="trace-summary")
        self.receipt_check = label("", name="trace-receipt-check")
        self.diagram = FlowView()
        self.diagram.setObjectName("trace-flow")
        self.places_card, self.places_part, self.places = _scrolling_card()
        self.steps_card, self.steps_part, self.steps = _scrolling_card()
        self.fund_button = button("trace-funds", "quiet")
        self.fund_button.clicked.connect(self.show_funds)
        self.finish = button("trace-done")
        self.finish.clicked.connect(self.done)
        self.lower = lower = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        lower.setSpacing(20)
        lower.addWidget(self.places_card, 3)
        lower.addWidget(self.steps_card, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.fund_button)
        bottom.addStretch(1)
        bottom.addWidget(self.finish)
        content = QWidget()
        page = QVBoxLayout(content)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(10)
        page.addWidget(self.title)
        page.addWidget(self.summary)
        page.addWidget(self.receipt_check)
        page.addWidget(self.diagram, 3)
        page.addLayout(lower, 2)
        self.page = ScrollingPart(content)  # the whole page scrolls in large-text mode only
        self.page.setObjectName("trace-page")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 12, 32, 12)
        layout.setSpacing(10)
        layout.addWidget(self.page, 1)
        layout.addLayout(bottom)
        self.arrange()
        self.retranslate()

    def arrange(self) -> None:
        """Large text: the flow tall enough for every label on two lines, the two
        cards below it one above the other, open at full height, and the page
        scrolling as a whole. Standing up: the cards one above the other too."""
        stacked = self.portrait or self.large
        self.lower.setDirection(QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight)
        for part in (self.places_part, self.steps_part):
            part.set_scrolls(not self.large)
        self.page.set_scrolls(self.large)
        self.diagram.setMinimumHeight(max(200, self.diagram.roomy_height()) if self.large else 200)

    def show_trace(self, report: dict[str, Any], check: tuple[str, str, str] | None = None) -> None:
        """`check`: the scanned receipt's own verdict (code, zh, en), if it came as a QR code or PDF."""
        self.report, self.check = report, check
        self.flow = donation_flow(report)
        self.diagram.set_flow(self.flow)
        self.arrange()
        self.retranslate()

    def style_flow(self, colours: Palette, label_px: int) -> None:
        """The kiosk's large type; in high contrast, the palette's colours by tone."""
        self.diagram.set_theme(
            FlowTheme(
                label_px=label_px,
                text=colours.text,
                muted=colours.text,
                label_back=colours.surface,
                label_line=colours.line,
                band_alpha=110,
                tones=dict(colours.flow or {}),
            )
        )
        self.arrange()

    def retranslate(self) -> None:
        set_text(self.finish, tr("Done"), description=tr("Back to the start screen"))
        set_text(self.fund_button, tr("Fund page"), description=tr("Shows the public page of this donation's fund"))
        self.title.setText(tr("Where your donation went"))
        _clear_layout(self.places)
        _clear_layout(self.steps)
        report, flow = self.report, self.flow
        if report is None or flow is None:
            self.summary.clear()
            self._show_check()
            return
        self.diagram.set_flow(flow)  # labels follow the language
        fund = report.get("fund") or {}
        self.summary.setText(
            tr("Receipt {code}: {amount} given on {date} to {fund}").format(
                code=report.get("receipt", ""),
                amount=i18n.money(flow.amount_fen),
                date=donated_on(report) or "—",
                fund=i18n.pick(str(fund.get("name_zh", "")), str(fund.get("name_en", ""))),
            )
        )
        self.summary.setAccessibleName(self.summary.text())
        self._show_check()
        self._fill_places(flow)
        self._fill_steps(report)

    def _show_check(self) -> None:
        if self.check is None:
            self.receipt_check.clear()
        else:
            code, zh, en = self.check
            mark = "✓" if code == "VALID" else "✗" if code in BAD_RECEIPTS else "!"
            self.receipt_check.setText(" ".join((mark, tr("The receipt itself:"), i18n.pick(zh, en))))
            role = "ok" if code == "VALID" else "error" if code in BAD_RECEIPTS else "warning"
            restyle(self.receipt_check, role=role)
        self.receipt_check.setVisible(bool(self.receipt_check.text()))

    def _fill_places(self, flow: Flow) -> None:
        self.places.addWidget(label("big", tr("Where every fen is now")))
        if flow.consistent and flow.terminal_total == flow.amount_fen:
            words = tr("Together: {total} — exactly your donation ✓").format(total=i18n.money(flow.terminal_total))
            total = label("", words, name="places-total")
        else:
            total = label(
                "error",
                tr("The node's figures do not add up to the donation. Please ask the charity."),
                name="places-total",
            )
        self.places.addWidget(total)
        self.places.addWidget(
            label(
                "warning" if flow.unspent_fen else "muted",
                tr("Not yet spent, still with the charity: {amount}").format(amount=i18n.money(flow.unspent_fen)),
                name="places-unspent",
            )
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        for i, (state, fen) in enumerate(flow.terminals):  # two pairs a row: the list stays short
            row, column = divmod(i, 2)
            grid.addWidget(label("", ms.state(state).words(i18n.chinese())), row, 2 * column)
            amount = label("fieldvalue", i18n.money(fen), name=f"place-{state}")
            amount.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(amount, row, 2 * column + 1)
        self.places.addLayout(grid)
        self.places.addStretch(1)

    def _fill_steps(self, report: dict[str, Any]) -> None:
        self.steps.addWidget(label("big", tr("Step by step")))
        for entry in timeline(report):
            what = i18n.pick(entry.label_zh, entry.label_en)
            if entry.agency and entry.agency != report.get("charity"):
                what += f" · {i18n.pick(*self.names(entry.agency))}"
            self.steps.addWidget(label("", f"{what}   {i18n.money(entry.amount_fen)}"))
            proof = tr(PROOF_WORDS.get(entry.proof, entry.proof))
            self.steps.addWidget(label("small", f"{entry.time or '—'} · {proof}"))
        self.steps.addStretch(1)

    def clear(self) -> None:
        self.report = self.flow = self.check = None
        self.diagram.set_flow(None)
        self.retranslate()


class FundsScreen(Screen):
    """Public pages of the charity funds: raised against target, paid out, confirmed."""

    done = Signal()

    scrolls_itself = True

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("funds")
        self.funds: list[dict[str, Any]] = []
        self.first: str | None = None
        self.loaded = False
        self.title = label("title", name="funds-title")
        self.hint = label("muted", name="funds-hint")
        box = QWidget()
        self.cards = QVBoxLayout(box)
        self.cards.setSpacing(20)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(box)
        self.finish = button("funds-done")
        self.finish.clicked.connect(self.done)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.finish)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 12, 32, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        self.retranslate()

    def show_funds(self, funds: list[dict[str, Any]], first: str | None = None) -> None:
        self.funds, self.first, self.loaded = list(funds), first, True
        self.funds.sort(key=lambda f: f.get("id") != first)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Charity funds"))
        self.hint.setText(tr("Totals from the charity's signed ledger, as this kiosk's node holds it."))
        set_text(self.finish, tr("Done"), description=tr("Back to the start screen"))
        _clear_layout(self.cards)
        if not self.funds:
            self.cards.addWidget(label("big", tr("No charity fund has been published yet.") if self.loaded else ""))
        for fund in self.funds:
            self.cards.addWidget(self._card(fund))
        self.cards.addStretch(1)

    def _card(self, fund: dict[str, Any]) -> QWidget:
        frame = card()
        frame.setObjectName(f"fund-{fund.get('id')}")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(label("big", i18n.pick(str(fund.get("name_zh", "")), str(fund.get("name_en", "")))))
        raised, target = int(fund.get("raised_fen") or 0), fund.get("target_fen")
        if target:
            layout.addWidget(
                label(
                    "",
                    tr("Raised {raised} of the {target} target. Donations: {count}").format(
                        raised=i18n.money(raised), target=i18n.money(int(target)), count=fund.get("donations", 0)
                    ),
                )
            )
            layout.addWidget(_bar(raised, int(target), tr("raised")))
        else:
            layout.addWidget(
                label(
                    "",
                    tr("Raised {raised}. Donations: {count}").format(
                        raised=i18n.money(raised), count=fund.get("donations", 0)
                    ),
                )
            )
        layout.addWidget(
            label(
                "",
                "   ".join(
                    (
                        tr("Paid out: {a}").format(a=i18n.money(int(fund.get("disbursed_fen") or 0))),
                        tr("Confirmed by recipients: {a}").format(a=i18n.money(int(fund.get("acknowledged_fen") or 0))),
                        tr("Not yet spent: {a}").format(a=i18n.money(int(fund.get("unspent_fen") or 0))),
                        tr("Refunded: {a}").format(a=i18n.money(int(fund.get("refunded_fen") or 0))),
                    )
                ),
            )
        )
        for project in fund.get("projects") or ():
            budget = int(project.get("budget_fen") or 0)
            paid = int(project.get("disbursed_fen") or 0) + int(project.get("spent_fen") or 0)
            line = QHBoxLayout()
            line.addWidget(label("", i18n.pick(str(project.get("name_zh", "")), str(project.get("name_en", "")))), 2)
            line.addWidget(
                label(
                    "small",
                    tr("budget {b} · allocated {a} · paid out {p} · confirmed {c}").format(
                        b=i18n.money(budget),
                        a=i18n.money(int(project.get("allocated_fen") or 0)),
                        p=i18n.money(paid),
                        c=i18n.money(int(project.get("acknowledged_fen") or 0)),
                    ),
                ),
                3,
            )
            line.addWidget(_bar(paid, budget, tr("paid out")), 1)
            layout.addLayout(line)
            if project.get("disclosure"):
                layout.addWidget(_disclosure_line(project["disclosure"]))
        return frame

    def clear(self) -> None:
        self.funds, self.first, self.loaded = [], None, False
        self.retranslate()


def _period(period: Any) -> str:
    return tr("final report") if period == "final" else str(period or "—")


def _disclosure_line(disclosure: dict[str, Any]) -> QWidget:
    """A project's standing under the disclosure rules, and its newest published report."""
    zh, en = STATUS_WORDS.get(str(disclosure.get("state")), ("—", "—"))
    latest = disclosure.get("latest") or {}
    text = tr("Disclosure: {state} · latest report: {period} ({date})").format(
        state=i18n.pick(zh, en), period=_period(latest.get("period")), date=latest.get("date", "—")
    )
    owed = [o for o in disclosure.get("outstanding") or () if isinstance(o, dict)]
    if owed:
        text += "   " + tr("Owed: {period}, due {due}").format(
            period=_period(owed[0].get("period")), due=owed[0].get("due")
        )
    line = label("small", text)
    line.setObjectName(f"disclosure-{disclosure.get('state')}")
    return line


def _scrolling_card() -> tuple[QWidget, ScrollingPart, QVBoxLayout]:
    """A card whose contents scroll when the screen is too small for them (unless the page scrolls)."""
    frame, inner = card(), QWidget()
    contents = QVBoxLayout(inner)
    contents.setContentsMargins(20, 12, 20, 12)
    part = ScrollingPart(inner)
    outer = QVBoxLayout(frame)
    outer.setContentsMargins(2, 2, 2, 2)
    outer.addWidget(part)
    return frame, part, contents


def _bar(value: int, whole: int, what: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 1000)  # per mille: fen totals overflow Qt's int range
    share = min(1000, round(1000 * value / whole)) if whole > 0 else 0
    bar.setValue(share)
    bar.setTextVisible(False)  # text drawn half on the chunk cannot keep its contrast; the words beside say it
    bar.setAccessibleName(f"{share / 10:.0f}% {what}")
    return bar

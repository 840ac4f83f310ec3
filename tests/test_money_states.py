"""One money vocabulary (`charity.money_states`) and one flow model
(`charity.flow`): every state has its words and colour, the wire keys stay
what the CLI and the HTTP API always said, and every drawer and table — the
CLI, the counter, the kiosk, the PDF report — shows the vocabulary's words,
none a table of its own."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from reportlab.graphics.shapes import String

from charity import money_states as ms
from charity.flow import donation_flow, fund_flow
from charity.flow_diagram import flow_drawing
from charity.trace import STATES
from citychain.documents.typeset import font
from ui import i18n


@dataclass(frozen=True)
class Totals:
    """Fund or project totals, shaped as charity.trace's."""

    id: str
    name_zh: str
    name_en: str
    raised_fen: int = 0
    refunded_fen: int = 0
    unallocated_fen: int = 0
    allocated_fen: int = 0
    acknowledged_fen: int = 0
    disbursed_fen: int = 0
    spent_fen: int = 0
    pending_fen: int = 0
    held_fen: int = 0


FUND = Totals("F", "基金", "Fund", raised_fen=100_000, refunded_fen=5_000, unallocated_fen=15_000)
PROJECTS = (
    Totals(
        "P1",
        "图书室",
        "Libraries",
        allocated_fen=60_000,
        acknowledged_fen=20_000,
        disbursed_fen=30_000,
        spent_fen=5_000,
        pending_fen=10_000,
        held_fen=15_000,
    ),
    Totals("P2", "助听器", "Hearing aids", allocated_fen=20_000, held_fen=20_000),
)
REPORT = {
    "amount_fen": 10_000,
    "fund": {"id": "F", "name_zh": "基金", "name_en": "Fund"},
    "breakdown": [
        {"state": "acknowledged", "amount_fen": 3_000},
        {"state": "disbursed", "amount_fen": 2_500},
        {"state": "pending", "amount_fen": 1_000},
        {"state": "held_in_project", "amount_fen": 500},
        {"state": "unallocated", "amount_fen": 2_000},
        {"state": "refunded", "amount_fen": 1_000},
    ],
    "allocations": [
        {
            "project": "P1",
            "amount_fen": 7_000,
            "held_fen": 500,
            "expenditures": [{"id": "E", "seq": 9, "amount_fen": 500}],
            "disbursements": [
                {"amount_fen": 3_000, "state": "acknowledged"},
                {"amount_fen": 2_000, "state": "disbursed"},
                {"amount_fen": 1_000, "state": "pending"},
            ],
        }
    ],
    "refunds": [{"id": "R", "seq": 10, "amount_fen": 1_000}],
    "reversal": None,
    "unallocated_fen": 2_000,
}


def test_every_state_has_its_words_and_colour_and_the_wire_keys_stay():
    assert STATES == ("acknowledged", "disbursed", "pending", "held_in_project", "unallocated", "refunded")
    assert tuple(s.key for s in ms.BREAKDOWN) == STATES
    assert all(ms.STATES[key] is state for key, state in ms.STATES.items() for state in [ms.state(key)])
    for state in ms.STATES.values():
        assert state.zh and state.en and re.fullmatch(r"#[0-9a-f]{6}", state.colour), state
        assert state.tone in (ms.DONE, ms.WAITING, ms.OUT, ms.SOURCE, ms.PROJECT)
    for field in ("zh", "en", "order"):
        values = [getattr(s, field) for s in ms.STATES.values() if s.tone not in (ms.SOURCE, ms.PROJECT)]
        assert len(set(values)) == len(values), field  # two states never share words or a place
    assert [s.order for s in ms.BREAKDOWN] == sorted(s.order for s in ms.BREAKDOWN)
    assert ms.state("newer-state").zh == "newer-state"  # a newer node's state is shown, not a crash


def test_no_module_keeps_a_money_state_table_of_its_own():
    for name in (
        "charity.cli",
        "charity.flow_diagram",
        "charity.report_pdf",
        "ui.counter.texts",
        "ui.counter.style",
        "ui.counter.charity_trace",
        "ui.counter.charity_funds",
        "ui.kiosk.screen_trace",
        "ui.kiosk.trace_model",
        "ui.kiosk.theme",
    ):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, dict) and value is not ms.STATES and value is not ms.STEPS:
                # (a request's status words share "pending" with the money states; a table of states shares more)
                assert len(set(value) & {s.key for s in ms.BREAKDOWN}) < 2, f"{name}.{attr} names money states"
                assert len(set(value) & set(ms.STEPS)) < 2, f"{name}.{attr} names trace steps"


def test_a_donation_flow_from_its_trace_sums_up_and_speaks_the_vocabulary():
    flow = donation_flow(REPORT, {"P1": ("图书室", "Libraries")})
    assert flow.consistent and flow.terminal_total == flow.amount_fen == 10_000
    assert dict(flow.terminals) == {
        "acknowledged": 3_000,
        "disbursed": 2_000,
        "spent": 500,
        "pending": 1_000,
        "held_in_project": 500,
        "unallocated": 2_000,
        "refunded": 1_000,
    }
    assert flow.unspent_fen == 1_000 + 500 + 2_000
    assert [n.key for n in flow.nodes if n.column == 1] == ["project:P1", "unallocated", "refunded"]
    assert flow.node("project:P1").zh == "图书室"
    _check_flow(flow)
    assert not donation_flow(dict(REPORT, unallocated_fen=1_000)).consistent  # the node's breakdown disagrees


def test_a_fund_flow_from_its_totals_sums_up_and_speaks_the_vocabulary():
    flow = fund_flow(FUND, PROJECTS)
    assert flow.amount_fen == flow.terminal_total == 100_000
    assert dict(flow.terminals)["disbursed"] == 10_000  # approved and not acknowledged
    assert dict(flow.terminals)["held_in_project"] == 35_000
    assert flow.node("source").zh == "基金"
    _check_flow(flow)


def _check_flow(flow):
    for column in (0, 1):
        assert sum(n.amount_fen for n in flow.nodes if n.column == column) == flow.amount_fen
    allocated = sum(n.amount_fen for n in flow.nodes if n.state == "project")
    assert sum(n.amount_fen for n in flow.nodes if n.column == 2) == allocated
    for node in flow.nodes:
        if node.column:
            assert sum(e.amount_fen for e in flow.edges if e.target == node.key) == node.amount_fen
        if node.key in ms.STATES:
            state = ms.state(node.key)
            assert (node.zh, node.en, node.state) == (state.zh, state.en, state.key)


def test_the_pdf_drawing_labels_every_node_in_the_vocabularys_words():
    font()  # the CJK font the drawing measures its words in
    flow = fund_flow(FUND, PROJECTS)
    texts = "\n".join(s.text for s in flow_drawing(flow, 500).contents if isinstance(s, String))
    for key, _ in flow.terminals:
        assert ms.state(key).zh in texts and ms.state(key).en in texts
    assert "图书室" in texts and "Hearing aids" in texts


def test_the_screen_drawing_says_the_vocabularys_words_in_the_language_shown(qapp):
    from ui.flow_view import FlowTheme, FlowView

    view = FlowView(FlowTheme(tones={ms.DONE: "#00e060"}))
    view.resize(900, 500)
    try:
        for language, words in (("zh_CN", ms.ACKNOWLEDGED.zh), ("en", ms.ACKNOWLEDGED.en)):
            i18n.set_language(language)
            view.set_flow(donation_flow(REPORT))
            assert words in view.accessibleName()
            assert not view.grab().isNull()
        assert view.theme.colour("acknowledged").name() == "#00e060"  # high contrast: by tone
        assert FlowTheme().colour("pending").name() == ms.PENDING.colour
    finally:
        i18n.set_language("zh_CN")

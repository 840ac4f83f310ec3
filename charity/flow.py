"""Where money went, as one model every drawer draws (the counter's and the
kiosk's Qt view, the PDF report's reportlab drawing): three columns of nodes
joined by edges that carry amounts.

    column 0  the source: one donation, or a fund's money raised
    column 1  where it went: refunded, still unallocated in the fund, or to each project
    column 2  what the projects did with it: the `money_states.OUTCOMES`

A donation's flow is built from its trace report (`charity.trace_json`, the
JSON the CLI, the HTTP API and the apps share) and checked against the
breakdown the node summed from its own rows, so a screen can warn instead of
drawing a picture that merely looks right; a fund's flow from its totals.
Nothing is computed but sums. No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import money_states as ms


@dataclass(frozen=True)
class FlowNode:
    key: str  # "source", "project:<id>", or a money state's key
    column: int
    amount_fen: int
    zh: str
    en: str
    state: str  # the money state whose colour and tone it takes

    def words(self, zh: bool) -> str:
        return self.zh if zh else self.en


@dataclass(frozen=True)
class FlowEdge:
    source: str
    target: str
    amount_fen: int


@dataclass(frozen=True)
class Flow:
    amount_fen: int
    nodes: tuple[FlowNode, ...]  # by column, each column in the vocabulary's order
    edges: tuple[FlowEdge, ...]
    consistent: bool = True  # the nested records agree with the node's breakdown, state by state

    def node(self, key: str) -> FlowNode:
        return next(n for n in self.nodes if n.key == key)

    @property
    def terminals(self) -> tuple[tuple[str, int], ...]:
        """Where every fen is now, state by state, in the vocabulary's order."""
        ends = [
            n for n in self.nodes if n.state in ms.STATES and ms.STATES[n.state].tone in (ms.DONE, ms.WAITING, ms.OUT)
        ]
        return tuple((n.key, n.amount_fen) for n in sorted(ends, key=lambda n: ms.STATES[n.state].order))

    @property
    def terminal_total(self) -> int:
        return sum(fen for _, fen in self.terminals)

    @property
    def unspent_fen(self) -> int:
        """Still with the charity: unallocated, held in a project, awaiting approval."""
        return sum(fen for key, fen in self.terminals if ms.state(key).tone == ms.WAITING)


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, FlowNode] = {}
        self.edges: dict[tuple[str, str], int] = {}

    def add(self, key: str, column: int, fen: int, zh: str, en: str, state: str) -> None:
        old = self.nodes.get(key)
        self.nodes[key] = FlowNode(key, column, (old.amount_fen if old else 0) + fen, zh, en, state)

    def add_state(self, state: ms.MoneyState, column: int, fen: int) -> None:
        if fen > 0:
            self.add(state.key, column, fen, state.zh, state.en, state.key)

    def link(self, source: str, target: str, fen: int) -> None:
        if fen > 0:
            self.edges[(source, target)] = self.edges.get((source, target), 0) + fen

    def project(self, project_id: str, zh: str, en: str, allocated: int, outcomes: Mapping[str, int]) -> None:
        """A project node of column 1 fed by the source, and its outcomes in column 2."""
        if allocated <= 0:
            return
        key = f"project:{project_id}"
        self.add(key, 1, allocated, zh, en, ms.PROJECT_STATE.key)
        self.link("source", key, allocated)
        for outcome in ms.OUTCOMES:
            fen = outcomes.get(outcome.key, 0)
            self.add_state(outcome, 2, fen)
            self.link(key, outcome.key, fen)

    def flow(self, amount: int, returned: int, unallocated: int, consistent: bool = True) -> Flow:
        for state, fen in ((ms.REFUNDED, returned), (ms.UNALLOCATED, unallocated)):
            self.add_state(state, 1, fen)
            self.link("source", state.key, fen)

        def place(node: FlowNode) -> tuple:
            return node.column, node.state != ms.PROJECT_STATE.key, ms.state(node.state).order

        nodes = tuple(sorted(self.nodes.values(), key=place))  # a column: its projects first, then by state
        return Flow(amount, nodes, tuple(FlowEdge(s, t, fen) for (s, t), fen in self.edges.items()), consistent)


def _fen(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def donation_flow(report: Mapping[str, Any], names: Mapping[str, Iterable[str]] | None = None) -> Flow:
    """One donation's flow from its trace report; project names from
    `names` or the report's `project_names` (id → (zh, en)), else the id."""
    amount = _fen(report.get("amount_fen"))
    names = {**(report.get("project_names") or {}), **(names or {})}
    build = _Builder()
    build.add("source", 0, amount, ms.DONATION.zh, ms.DONATION.en, ms.DONATION.key)
    totals = dict.fromkeys(ms.STATES, 0)
    for allocation in report.get("allocations") or ():
        project = str(allocation.get("project", ""))
        outcomes = {
            ms.HELD.key: _fen(allocation.get("held_fen")),
            ms.SPENT.key: sum(_fen(e.get("amount_fen")) for e in allocation.get("expenditures") or ()),
        }
        for d in allocation.get("disbursements") or ():
            state = d.get("state") if d.get("state") in (ms.PENDING.key, ms.ACKNOWLEDGED.key) else ms.DISBURSED.key
            outcomes[state] = outcomes.get(state, 0) + _fen(d.get("amount_fen"))
        zh, en = (list(names.get(project) or ()) + [project, project])[:2]
        build.project(project, zh, en, _fen(allocation.get("amount_fen")), outcomes)
        for key, fen in outcomes.items():
            totals[key] += fen
    totals[ms.UNALLOCATED.key] = _fen(report.get("unallocated_fen"))
    totals[ms.REFUNDED.key] = sum(_fen(r.get("amount_fen")) for r in report.get("refunds") or ()) + _fen(
        (report.get("reversal") or {}).get("amount_fen")
    )
    return build.flow(amount, totals[ms.REFUNDED.key], totals[ms.UNALLOCATED.key], _agrees(report, totals, amount))


def _agrees(report: Mapping[str, Any], totals: dict[str, int], amount: int) -> bool:
    """The flow against the node's breakdown: spent counts as disbursed there."""
    breakdown = {row.get("state"): _fen(row.get("amount_fen")) for row in report.get("breakdown") or ()}
    expected = {s.key: totals[s.key] for s in ms.BREAKDOWN}
    expected[ms.DISBURSED.key] += totals[ms.SPENT.key]
    return all(breakdown.get(state, 0) == fen for state, fen in expected.items()) and sum(
        breakdown.values()
    ) == amount == sum(expected.values())


def fund_flow(fund: Any, projects: Iterable[Any] = ()) -> Flow:
    """A fund's flow from its totals and its projects' (`charity.trace`'s
    FundTotals and ProjectTotals, or anything with the same fields)."""
    build = _Builder()
    build.add("source", 0, fund.raised_fen, fund.name_zh, fund.name_en, ms.FUND.key)
    for p in projects:
        build.project(
            p.id,
            p.name_zh,
            p.name_en,
            p.allocated_fen,
            {
                ms.ACKNOWLEDGED.key: p.acknowledged_fen,
                ms.DISBURSED.key: p.disbursed_fen - p.acknowledged_fen,
                ms.SPENT.key: p.spent_fen,
                ms.PENDING.key: p.pending_fen,
                ms.HELD.key: p.held_fen,
            },
        )
    return build.flow(fund.raised_fen, fund.refunded_fen, fund.unallocated_fen)

"""A donation's trace report (charity.trace_json) as what the trace screen
draws: the flow columns of the Sankey diagram, the timeline, the remainder.

The flow is built from the nested records (allocations, requests,
expenditures, refunds), then compared with the report's breakdown, which the
node summed from its own rows: the screen shows a warning instead of a
diagram that merely looks right when the two disagree. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from citychain.clock import parse_time
from citychain.documents.city_time import city_datetime

# column 0 → 4: donation, fund, where the fund sent it, what happened there, acknowledged or not
LABELS: dict[str, tuple[str, str]] = {
    "donation": ("您的捐款", "Your donation"),
    "unallocated": ("尚未拨到项目", "Not yet allocated"),
    "refunded": ("已退还", "Refunded"),
    "paid": ("已拨付给受助人", "Paid to recipients"),
    "spent": ("项目直接支出", "Spent by the project"),
    "pending": ("等待审批", "Awaiting approval"),
    "held": ("留存在项目中", "Held in the project"),
    "acknowledged": ("受助方已确认收到", "Receipt confirmed"),
    "awaiting_ack": ("等待受助方确认", "Awaiting confirmation"),
}
STEPS: dict[str, tuple[str, str]] = {
    "donation": ("收到捐款", "Donation received"),
    "allocation": ("拨付到项目", "Allocated to a project"),
    "disbursement.requested": ("提出支出申请", "Payment requested"),
    "disbursement.approved": ("第二人复核批准", "Payment approved by a second person"),
    "acknowledged": ("受助机构确认收到", "Receipt confirmed by the recipient agency"),
    "expenditure": ("项目支出", "Spent by the project"),
    "refund": ("退还捐赠人", "Refunded to the donor"),
    "reversal": ("冲正作废", "Reversed"),
}
TONES = {"donation": "source", "fund": "source", "project": "project", "unallocated": "waiting", "held": "waiting",
         "pending": "waiting", "refunded": "out", "paid": "done", "spent": "done", "acknowledged": "done",
         "awaiting_ack": "waiting"}


@dataclass(frozen=True)
class FlowNode:
    key: str
    column: int
    amount_fen: int
    label_zh: str
    label_en: str
    tone: str


@dataclass(frozen=True)
class FlowLink:
    source: str
    target: str
    amount_fen: int


@dataclass(frozen=True)
class TimelineEntry:
    time: str | None  # city time, "YYYY-MM-DD HH:MM"
    label_zh: str
    label_en: str
    amount_fen: int
    proof: str  # included | witnessed | awaiting_checkpoint | log_invalid | not_held
    agency: str


@dataclass(frozen=True)
class Flow:
    amount_fen: int
    nodes: tuple[FlowNode, ...]
    links: tuple[FlowLink, ...]
    terminals: tuple[tuple[str, int], ...]  # where every fen is now; sums to amount_fen
    consistent: bool  # the flow agrees with the node's breakdown, state by state
    unspent_fen: int  # still with the charity: unallocated, held, awaiting approval

    @property
    def terminal_total(self) -> int:
        return sum(amount for _, amount in self.terminals)


def _fen(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def build_flow(report: dict[str, Any]) -> Flow:
    amount = _fen(report.get("amount_fen"))
    names = report.get("project_names") or {}
    fund = report.get("fund") or {}
    nodes: dict[str, FlowNode] = {}
    links: dict[tuple[str, str], int] = {}

    def node(key: str, column: int, fen: int, zh: str, en: str, tone: str) -> None:
        old = nodes.get(key)
        nodes[key] = FlowNode(key, column, (old.amount_fen if old else 0) + fen, zh, en, tone)

    def link(source: str, target: str, fen: int) -> None:
        if fen > 0:
            links[(source, target)] = links.get((source, target), 0) + fen

    def state(key: str, column: int, fen: int) -> None:
        if fen > 0:
            node(key, column, fen, *LABELS[key], TONES[key])

    node("donation", 0, amount, *LABELS["donation"], "source")
    fund_id = str(fund.get("id", ""))
    node("fund", 1, amount, str(fund.get("name_zh") or fund_id), str(fund.get("name_en") or fund_id), "source")
    link("donation", "fund", amount)
    totals = dict.fromkeys(("unallocated", "refunded", "paid", "spent", "pending", "held", "acknowledged",
                            "awaiting_ack"), 0)
    for allocation in report.get("allocations") or ():
        project = str(allocation.get("project", ""))
        key = f"project:{project}"
        zh, en = (names.get(project) or (project, project))[:2]
        node(key, 2, _fen(allocation.get("amount_fen")), zh, en, "project")
        link("fund", key, _fen(allocation.get("amount_fen")))
        parts = {"held": _fen(allocation.get("held_fen")),
                 "spent": sum(_fen(e.get("amount_fen")) for e in allocation.get("expenditures") or ()),
                 "paid": 0, "pending": 0}
        for d in allocation.get("disbursements") or ():
            fen = _fen(d.get("amount_fen"))
            if d.get("state") == "pending":
                parts["pending"] += fen
            else:
                parts["paid"] += fen
                after = "acknowledged" if d.get("state") == "acknowledged" else "awaiting_ack"
                totals[after] += fen
                link("paid", after, fen)
        for part, fen in parts.items():
            totals[part] += fen
            link(key, part, fen)
    totals["unallocated"] = _fen(report.get("unallocated_fen"))
    totals["refunded"] = sum(_fen(r.get("amount_fen")) for r in report.get("refunds") or ())
    totals["refunded"] += _fen((report.get("reversal") or {}).get("amount_fen"))
    link("fund", "unallocated", totals["unallocated"])
    link("fund", "refunded", totals["refunded"])
    for key, column in (("unallocated", 2), ("refunded", 2), ("paid", 3), ("spent", 3), ("pending", 3), ("held", 3),
                        ("acknowledged", 4), ("awaiting_ack", 4)):
        state(key, column, totals[key])
    terminals = tuple((k, totals[k]) for k in ("acknowledged", "awaiting_ack", "spent", "pending", "held",
                                               "unallocated", "refunded") if totals[k])
    return Flow(amount, tuple(sorted(nodes.values(), key=lambda n: n.column)),
                tuple(FlowLink(s, t, fen) for (s, t), fen in links.items()), terminals,
                _agrees(report, totals, amount), totals["unallocated"] + totals["held"] + totals["pending"])


def _agrees(report: dict[str, Any], totals: dict[str, int], amount: int) -> bool:
    breakdown = {row.get("state"): _fen(row.get("amount_fen")) for row in report.get("breakdown") or ()}
    expected = {
        "acknowledged": totals["acknowledged"],
        "disbursed": totals["awaiting_ack"] + totals["spent"],
        "pending": totals["pending"],
        "held_in_project": totals["held"],
        "unallocated": totals["unallocated"],
        "refunded": totals["refunded"],
    }
    return (all(breakdown.get(state, 0) == fen for state, fen in expected.items())
            and sum(breakdown.values()) == amount == sum(expected.values()))


def city_time(stamp: str | None) -> str | None:
    if not stamp:
        return None
    try:
        return city_datetime(parse_time(stamp)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return None


def timeline(report: dict[str, Any]) -> tuple[TimelineEntry, ...]:
    out = []
    for step in report.get("steps") or ():
        zh, en = STEPS.get(str(step.get("step")), (str(step.get("step")), str(step.get("step"))))
        proof = step.get("proof") or {}
        status = str(proof.get("status", "not_held"))
        if status == "included" and proof.get("witnessed"):
            status = "witnessed"
        out.append(TimelineEntry(city_time(step.get("time")), zh, en, _fen(step.get("amount_fen")), status,
                                 str(step.get("log", ""))))
    return tuple(out)


def donated_on(report: dict[str, Any]) -> str | None:
    return city_time(report.get("time"))


def now_text(moment: datetime) -> str:
    return city_datetime(moment).strftime("%Y-%m-%d %H:%M")

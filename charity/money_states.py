"""The one vocabulary of where a donation's money is, shared by the CLI, the
counter, the kiosk and the PDF report, so every screen and paper calls the same
money by the same words and colour.

`BREAKDOWN` is the six states of a trace (docs/charity.md §5) in their wire
order; their keys are what `charity trace --json` and the HTTP API carry, so
they never change. `spent` is a detail of `disbursed` (what a project spent
itself) that flows and reports show apart; `donation`, `fund` and `project` are
the places money passes through on its way. Every drawer writes the words
beside the colour, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass

DONE, WAITING, OUT, SOURCE, PROJECT = "done", "waiting", "out", "source", "project"


@dataclass(frozen=True)
class MoneyState:
    key: str  # stable: a breakdown's `state` in JSON, HTTP and CLI output
    zh: str
    en: str
    colour: str  # "#rrggbb", on a light background
    order: int  # where it stands in a breakdown or a flow's column
    tone: str  # done (left the charity as meant) | waiting (still with it) | out (returned) | source | project

    def words(self, zh: bool) -> str:
        return self.zh if zh else self.en


DONATION = MoneyState("donation", "捐赠", "Donation", "#1d5fb8", 0, SOURCE)
FUND = MoneyState("fund", "基金", "Fund", "#1d5fb8", 1, SOURCE)
PROJECT_STATE = MoneyState("project", "项目", "Project", "#3b7dd8", 2, PROJECT)
ACKNOWLEDGED = MoneyState("acknowledged", "受益方已确认收到", "Received by beneficiary", "#1a7f37", 10, DONE)
DISBURSED = MoneyState("disbursed", "已拨付，待受益方确认", "Paid, awaiting the beneficiary", "#56a869", 11, DONE)
SPENT = MoneyState("spent", "项目已支出", "Spent by the project", "#7a5cc2", 12, DONE)
PENDING = MoneyState("pending", "待审批", "Pending approval", "#e0a100", 13, WAITING)
HELD = MoneyState("held_in_project", "项目中待用", "Held in the project", "#7fb2e5", 14, WAITING)
UNALLOCATED = MoneyState("unallocated", "基金中未分配", "Not yet allocated", "#a9b8c9", 15, WAITING)
REFUNDED = MoneyState("refunded", "已退还", "Refunded", "#b7794b", 16, OUT)

# Not a state but the total a report gives: all money paid out, acknowledged or not.
PAID_OUT = ("已拨付给受益方", "Paid to beneficiaries")

BREAKDOWN = (ACKNOWLEDGED, DISBURSED, PENDING, HELD, UNALLOCATED, REFUNDED)
OUTCOMES = (ACKNOWLEDGED, DISBURSED, SPENT, PENDING, HELD)  # what a project did with its money
STATES: dict[str, MoneyState] = {s.key: s for s in (DONATION, FUND, PROJECT_STATE, *OUTCOMES, UNALLOCATED, REFUNDED)}

# The records a donation's money passes through, as a trace's `steps` name them.
STEPS: dict[str, tuple[str, str]] = {
    "donation": ("收到捐赠", "Donation received"),
    "allocation": ("分配到项目", "Allocated to a project"),
    "disbursement.requested": ("提出支出申请", "Disbursement requested"),
    "disbursement.approved": ("第二人复核批准", "Disbursement approved by a second person"),
    "acknowledged": ("受益方确认收到", "Acknowledged by the beneficiary"),
    "expenditure": ("项目支出", "Spent by the project"),
    "refund": ("退还捐赠人", "Refunded to the donor"),
    "reversal": ("冲正作废", "Reversed"),
}


def state(key: str) -> MoneyState:
    """The state of `key`; an unknown key (a newer node's) gets its own key as words."""
    return STATES.get(key) or MoneyState(key, key, key, "#8a8f98", 99, WAITING)


def step_words(step: str) -> tuple[str, str]:
    return STEPS.get(step, (step, step))

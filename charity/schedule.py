"""Which reports a project owes, and when (docs/protocol.md §12, *Disclosure*).

- A project that runs longer than six calendar months (start to its end, or
  to its planned end or today while it runs) owes a report for every quarter
  it runs in, due by the last day of the month after the quarter.
- A project that ended owes its final report (the full use of its money)
  within three months of its end; its closure record is that report.
- Each obligation is, on a given city date `today`: `open` (its period is
  not over), `due` (over, not disclosed, today ≤ due date), `late` (today
  after the due date and the log holds no disclosure record for the period —
  for the final report, no closure record), `on_time` or `disclosed_late`
  (disclosed, by the record's city date against the due date).

A project with no start record owes nothing the ledger can see: it is
`unscheduled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .periods import Quarter, final_due, is_long, quarters_between
from .project_log import Disclosure, Project

FINAL = "final"
STATUS_WORDS = {  # an obligation's status, and a project's state, in both languages
    "open": ("进行中", "period not over"),
    "due": ("待公开", "due"),
    "late": ("逾期未公开", "late"),
    "on_time": ("按时", "on time"),
    "disclosed_late": ("逾期后公开", "disclosed late"),
    "unscheduled": ("未登记开始日期", "no start record"),
}
OUTSTANDING = ("due", "late")
_WORST = ("late", "due")


@dataclass(frozen=True)
class Obligation:
    project: str
    period: str  # 2026Q4, or "final"
    first: date
    last: date
    due: date
    status: str  # open | due | late | on_time | disclosed_late
    disclosed: Disclosure | None

    def to_json(self) -> dict:
        d = self.disclosed
        return {
            "project": self.project,
            "period": self.period,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "due": self.due.isoformat(),
            "status": self.status,
            "disclosed": None
            if d is None
            else {"date": d.day.isoformat(), "seq": d.seq, "report_sha256": d.report_sha256},
        }


def status(last: date, due: date, disclosed: Disclosure | None, today: date) -> str:
    if disclosed is not None:
        return "on_time" if disclosed.day <= due else "disclosed_late"
    if today <= last:
        return "open"
    return "due" if today <= due else "late"


def runs_long(project: Project, today: date) -> bool:
    end = project.end or max(project.planned_end, today)
    return is_long(project.start, end)


def obligations(project: Project, today: date) -> list[Obligation]:
    """Every report `project` owes up to `today`, oldest first."""
    if project.start is None or today < project.start:
        return []
    out = []
    if runs_long(project, today):
        for q in quarters_between(project.start, project.end or today):
            d = project.disclosure(str(q))
            out.append(Obligation(project.id, str(q), q.first, q.last, q.due, status(q.last, q.due, d, today), d))
    if project.end is not None:
        due = final_due(project.end)
        d = project.closed
        out.append(
            Obligation(project.id, FINAL, project.start, project.end, due, status(project.end, due, d, today), d)
        )
    return out


def project_state(project: Project, today: date) -> str:
    """`unscheduled`; `late` if any report is late, else `due` if any is due, else `on_time`."""
    if project.start is None:
        return "unscheduled"
    found = {o.status for o in obligations(project, today)}
    return next((s for s in _WORST if s in found), "on_time")


def quarter_runs(project: Project, quarter: Quarter) -> bool:
    """Did the project run on any day of the quarter?"""
    if project.start is None or project.start > quarter.last:
        return False
    return project.end is None or project.end >= quarter.first

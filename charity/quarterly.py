"""A project's disclosure report for one quarter, or its final report, from
the charity's log alone (docs/protocol.md §12, *Disclosure*).

The report's `statement` is the part a disclosure or closure record commits
to: canonical JSON (RFC 8785 profile, §1) whose SHA-256 is the record's
`report_sha256`. It holds only what the charity's own signed records say, so
anyone holding the log recomputes the same bytes; once its period is over,
later records (dated later) never change it. The CSV rows are
`charity.export_csv`'s, filtered to the project and the period.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from citychain.log.canonical import canonical

from .export_csv import csv_text, transaction_rows
from .periods import Quarter
from .project_log import Figures, Movement, Project
from .schedule import FINAL

FORMAT = "citychain-charity-disclosure/v1"
REPORT_FILENAME = "disclosure-report.json"


@dataclass(frozen=True)
class Report:
    project: Project
    period: str  # 2026Q4, or "final"
    first: date
    last: date
    opening: Figures
    in_period: Figures
    closing: Figures
    movements: tuple[Movement, ...]  # the IATI transactions counted in `in_period`

    @property
    def closing_held_fen(self) -> int:
        return self.closing.held_fen

    def statement(self) -> dict[str, Any]:
        p = self.project
        return {
            "format": FORMAT,
            "charity": p.charity,
            "project": p.id,
            "fund": p.fund,
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "budget_fen": p.budget_fen,
            "start": p.start.isoformat() if p.start else None,
            "planned_end": p.planned_end.isoformat() if p.planned_end else None,
            "end": p.end.isoformat() if p.end else None,
            "period": self.period,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "opening": self.opening.to_json(),
            "in_period": self.in_period.to_json(),
            "closing": self.closing.to_json(),
            "transactions": [
                {"seq": m.seq, "date": m.day.isoformat(), "ref": m.ref, "type": m.iati_type, "value_fen": m.value_fen}
                for m in self.movements
            ],
        }

    def statement_bytes(self) -> bytes:
        return canonical(self.statement())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.statement_bytes()).hexdigest()

    def csv(self, conn: sqlite3.Connection) -> str:
        """The period's transactions of this project in `export_csv`'s IATI-like columns."""
        seqs = {m.seq for m in self.movements}
        rows = transaction_rows(conn, self.project.charity)
        return csv_text(r for r in rows if r["activity-id"] == self.project.id and r["ledger-seq"] in seqs)


def quarterly_report(project: Project, quarter: Quarter) -> Report:
    """Opening figures at the quarter's start, what moved in it, and where it ended."""
    before = quarter.first.toordinal() - 1
    opening = project.figures(until=date.fromordinal(before))
    in_period = project.figures(since=quarter.first, until=quarter.last)
    moved = tuple(m for m in project.movements if m.iati_type is not None and quarter.first <= m.day <= quarter.last)
    return Report(
        project, str(quarter), quarter.first, quarter.last, opening, in_period, opening.plus(in_period), moved
    )


def final_report(project: Project) -> Report:
    """Every movement of an ended project, whenever dated: the full use of its money."""
    if project.start is None or project.end is None:
        raise ValueError(f"project {project.id} has not ended")
    everything = project.figures()
    moved = tuple(m for m in project.movements if m.iati_type is not None)
    return Report(project, FINAL, project.start, project.end, Figures(), everything, everything, moved)

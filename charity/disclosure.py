"""Disclosure on the legal schedule: each project's report for a quarter (and
the final report of a project that ended), written as files, and the list of
reports that are due or late (docs/protocol.md §12, *Disclosure*).

Everything is computed from the charity's log (`charity.project_log`) and
the city date of the node's clock; the same function serves the CLI
(`charity disclose`), the counter's page, the public route and the kiosk.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from citychain.documents.city_time import city_datetime
from citychain.files import write_atomic
from citychain.node.node import Node

from .periods import Quarter
from .project_log import Project, read_projects
from .quarterly import Report, final_report, quarterly_report
from .schedule import FINAL, OUTSTANDING, Obligation, obligations, project_state, quarter_runs

INDEX_FILENAME = "disclosure.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ProjectReports:
    """One project's reports for a quarter, its obligations and its state today."""

    project: Project
    state: str  # unscheduled | late | due | on_time
    reports: tuple[Report, ...]
    obligations: tuple[Obligation, ...]

    def obligation(self, period: str) -> Obligation | None:
        return next((o for o in self.obligations if o.period == period), None)

    @property
    def outstanding(self) -> tuple[Obligation, ...]:
        return tuple(o for o in self.obligations if o.status in OUTSTANDING)

    def recorded_sha256(self, report: Report) -> str | None:
        """The report hash the log's disclosure (or closure) record commits to, if any."""
        recorded = self.project.closed if report.period == FINAL else self.project.disclosure(report.period)
        return recorded.report_sha256 if recorded else None

    def to_json(self) -> dict[str, Any]:
        p = self.project
        return {
            "project": p.id,
            "fund": p.fund,
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "state": self.state,
            "obligations": [o.to_json() for o in self.obligations],
            "reports": [
                {
                    "period": r.period,
                    "report_sha256": r.sha256,
                    "recorded_sha256": self.recorded_sha256(r),
                    "statement": r.statement(),
                }
                for r in self.reports
            ],
        }


def city_today(now: datetime) -> date:
    return city_datetime(now).date()


def project_reports(project: Project, quarter: Quarter, today: date) -> ProjectReports:
    """The quarter's report if the project ran in it; the final report if it ended by the quarter's end."""
    reports = []
    if quarter_runs(project, quarter):
        reports.append(quarterly_report(project, quarter))
    if project.end is not None and project.end <= quarter.last:
        reports.append(final_report(project))
    return ProjectReports(project, project_state(project, today), tuple(reports), tuple(obligations(project, today)))


def quarter_reports(conn: sqlite3.Connection, charity: str, quarter: Quarter, today: date) -> list[ProjectReports]:
    return [project_reports(p, quarter, today) for p in read_projects(conn, charity)]


def latest_reports(conn: sqlite3.Connection, charity: str, today: date) -> list[ProjectReports]:
    """Each project's report for the last quarter that is over (and its final
    report once it ended): what the public route and the kiosk show."""
    quarter = Quarter.containing(today).previous()
    return quarter_reports(conn, charity, quarter, today)


def public_json(conn: sqlite3.Connection, charity: str, today: date) -> dict[str, Any]:
    """`GET /v1/charity/disclosures`: the latest reports and every obligation's status."""
    projects = latest_reports(conn, charity, today)
    return {
        "charity": charity,
        "today": today.isoformat(),
        "quarter": str(Quarter.containing(today).previous()),
        "projects": [p.to_json() for p in projects],
    }


def fund_page_disclosures(conn: sqlite3.Connection, charity: str, today: date) -> dict[str, dict[str, Any]]:
    """Per project, what a fund page shows: its state, the newest report its log
    says was disclosed (period, date, report hash) and the reports due or late."""
    out = {}
    for p in read_projects(conn, charity):
        records = p.disclosures + ((p.closed,) if p.closed else ())
        latest = max(records, key=lambda d: d.seq, default=None)
        out[p.id] = {
            "state": project_state(p, today),
            "latest": None
            if latest is None
            else {"period": latest.period, "date": latest.day.isoformat(), "report_sha256": latest.report_sha256},
            "outstanding": [o.to_json() for o in obligations(p, today) if o.status in OUTSTANDING],
        }
    return out


@dataclass(frozen=True)
class Written:
    quarter: Quarter
    today: date
    projects: tuple[ProjectReports, ...]
    files: tuple[Path, ...]

    @property
    def outstanding(self) -> tuple[Obligation, ...]:
        return tuple(o for p in self.projects for o in p.outstanding)


def file_stem(project_id: str, period: str) -> str:
    return f"{_UNSAFE.sub('_', project_id)}-{period}"


def write_reports(node: Node, quarter: Quarter, out: Path) -> Written:
    """Every project's sealed PDF, CSV and statement JSON for `quarter` (and
    final reports) into `out`, with `disclosure.json` listing every obligation.
    Only the charity's own node writes them: the seal is its."""
    import json

    from .disclosure_pdf import disclosure_pdf

    charity = node.config.agency
    today = city_today(node.clock.now())
    with node.lock:
        conn = node.store.conn
        projects = quarter_reports(conn, charity, quarter, today)
        csvs = {(p.project.id, r.period): r.csv(conn) for p in projects for r in p.reports}
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for p in projects:
        for r in p.reports:
            stem = str(out / file_stem(p.project.id, r.period))
            pdf = disclosure_pdf(node, r, p.obligation(r.period))
            for suffix, data in (
                (".pdf", pdf),
                (".csv", csvs[(p.project.id, r.period)].encode("utf-8")),
                (".json", r.statement_bytes()),
            ):
                write_atomic(Path(stem + suffix), data)
                files.append(Path(stem + suffix))
    index = {"charity": charity, "quarter": str(quarter), "today": today.isoformat(), "projects": []}
    for p in projects:
        entry = p.to_json()
        for item in entry["reports"]:
            item.pop("statement")
            item["files"] = [
                f"{file_stem(p.project.id, item['period'])}{suffix}" for suffix in (".pdf", ".csv", ".json")
            ]
        index["projects"].append(entry)
    text = json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8")
    write_atomic(out / INDEX_FILENAME, text)
    files.append(out / INDEX_FILENAME)
    return Written(quarter, today, tuple(projects), tuple(files))

"""Rules for a project's life on the ledger: started, ended, each quarterly
report disclosed, closed with its final report (docs/protocol.md §12, *Disclosure*).

The dates in the bodies are the city's calendar dates the charity declares;
the record's own signed time is when it said so, and that time decides
whether a disclosure was on time. A closed project takes no more money.
"""

from __future__ import annotations

from datetime import date

from citychain.log.records import Record
from citychain.node.kinds import Context

from . import body_checks as checks
from .periods import Quarter, city_date

WHO = "recorded_by"


def _date(body: dict, name: str) -> date:
    value = body.get(name)
    try:
        if isinstance(value, str) and checks.DATE_RE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise checks.reject("MALFORMED", f"{name} 须为日期 YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD", name)


def _dates(ctx: Context, project: str) -> tuple | None:
    """(start, planned_end, end, closed_seq) of a started project, else None."""
    return ctx.conn.execute(
        "SELECT start, planned_end, end, closed_seq FROM charity_project_dates WHERE log=? AND project=?",
        (ctx.log_id, project),
    ).fetchone()


def _started(ctx: Context, body: dict) -> tuple[str, tuple]:
    project = checks.ident(body, "project")
    checks.ref(ctx, project, ("project",), "project")
    row = _dates(ctx, project)
    if row is None:
        raise checks.reject(
            "NOT_STARTED", f"项目 {project} 尚无开始记录", f"project {project} has no start record", "project"
        )
    if row[3] is not None:
        raise checks.reject("PROJECT_CLOSED", f"项目 {project} 已结项", f"project {project} is closed", "project")
    return project, row


def check_started(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("project", "start", "planned_end", WHO))
    project = checks.ident(body, "project")
    checks.ref(ctx, project, ("project",), "project")
    if _dates(ctx, project) is not None:
        raise checks.reject(
            "BAD_STATE", f"项目 {project} 已有开始记录", f"project {project} was already started", "project"
        )
    if _date(body, "planned_end") < _date(body, "start"):
        raise checks.reject(
            "MALFORMED", "计划结束日期早于开始日期", "the planned end is before the start", "planned_end"
        )
    checks.user(body, WHO, ctx)


def apply_started(record: Record, ctx: Context) -> None:
    body = record.body
    ctx.conn.execute(
        "INSERT INTO charity_project_dates (log, project, start, planned_end, start_seq) VALUES (?, ?, ?, ?, ?)",
        (ctx.log_id, body["project"], body["start"], body["planned_end"], record.seq),
    )


def check_ended(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("project", "end", WHO))
    project, (start, _, end, _) = _started(ctx, body)
    if end is not None:
        raise checks.reject("BAD_STATE", f"项目 {project} 已结束于 {end}", f"project {project} ended on {end}", "end")
    when = _date(body, "end")
    if when < date.fromisoformat(start):
        raise checks.reject("MALFORMED", "结束日期早于开始日期", "the end is before the start", "end")
    if when > city_date(record.time):
        raise checks.reject("MALFORMED", "结束日期不能晚于今天", "a project cannot end in the future", "end")
    checks.user(body, WHO, ctx)


def apply_ended(record: Record, ctx: Context) -> None:
    ctx.conn.execute(
        "UPDATE charity_project_dates SET end=?, end_seq=? WHERE log=? AND project=?",
        (record.body["end"], record.seq, ctx.log_id, record.body["project"]),
    )


def check_disclosed(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("project", "period", "report_sha256", WHO))
    project, (start, _, end, _) = _started(ctx, body)
    try:
        quarter = Quarter.parse(body["period"])
    except ValueError:
        raise checks.reject("MALFORMED", "period 须写成 2026Q4", "period is written like 2026Q4", "period") from None
    if quarter.last < date.fromisoformat(start) or (end is not None and quarter.first > date.fromisoformat(end)):
        raise checks.reject(
            "NOT_RUNNING",
            f"项目 {project} 在 {quarter} 未实施",
            f"project {project} did not run in {quarter}",
            "period",
        )
    if city_date(record.time) <= quarter.last:
        raise checks.reject(
            "PERIOD_NOT_OVER", f"{quarter} 尚未结束", f"{quarter} is not over yet; report it after it ends", "period"
        )
    if ctx.conn.execute(
        "SELECT 1 FROM charity_disclosures WHERE log=? AND project=? AND period=?", (ctx.log_id, project, str(quarter))
    ).fetchone():
        raise checks.reject(
            "DUPLICATE",
            f"项目 {project} 的 {quarter} 报告已公开",
            f"{project}'s {quarter} report was disclosed",
            "period",
        )
    if body["period"] != str(quarter):
        raise checks.reject("MALFORMED", "period 须写成 2026Q4", "period is written like 2026Q4", "period")
    checks.hex64(body["report_sha256"], "report_sha256")
    checks.user(body, WHO, ctx)


def apply_disclosed(record: Record, ctx: Context) -> None:
    body = record.body
    ctx.conn.execute(
        "INSERT INTO charity_disclosures (log, project, period, report_sha256, time, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["project"], body["period"], body["report_sha256"], record.time, record.seq),
    )


def check_closed(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("project", "report_sha256", WHO))
    project, (_, _, end, _) = _started(ctx, body)
    if end is None:
        raise checks.reject(
            "NOT_ENDED", f"项目 {project} 尚未结束，不能结项", f"project {project} has not ended", "project"
        )
    if ctx.conn.execute(
        "SELECT 1 FROM charity_requests WHERE log=? AND project=? AND status='pending' LIMIT 1", (ctx.log_id, project)
    ).fetchone():
        raise checks.reject(
            "PENDING_REQUESTS",
            f"项目 {project} 仍有待审批的支出申请，须先批准或取消",
            f"project {project} still has pending requests; approve or cancel them first",
            "project",
        )
    checks.hex64(body["report_sha256"], "report_sha256")
    checks.user(body, WHO, ctx)


def apply_closed(record: Record, ctx: Context) -> None:
    body = record.body
    ctx.conn.execute(
        "UPDATE charity_project_dates SET closed_seq=?, closed_time=?, closed_sha256=? WHERE log=? AND project=?",
        (record.seq, record.time, body["report_sha256"], ctx.log_id, body["project"]),
    )


def check_open(ctx: Context, project: str) -> None:
    """Money may move into or out of a project only until it is closed."""
    row = _dates(ctx, project)
    if row is not None and row[3] is not None:
        raise checks.reject(
            "PROJECT_CLOSED",
            f"项目 {project} 已结项，不能再拨付或支出",
            f"project {project} is closed; no money moves in or out of it",
            "project",
        )

"""The charity rules: every record is checked against what its log already
holds, on append and again by every node that mirrors the log.

`check(record, ctx)` raises `RecordRejected(code, zh, en, field)` and writes
nothing; `apply(record, ctx)` updates the index tables the next check (and the
trace) reads. Both are pure functions of the record and the database inside
the appending or importing transaction, so every node reaches the same verdict
on the same log. `first_violation` replays a list of records in a scratch
database and names the first one that breaks a rule. The rules themselves are
in `money_rules` (the organisation's records) and `ack_rules` (the beneficiary
agency's acknowledgements).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from citychain.log.records import Record
from citychain.node.kinds import Context, RecordRejected
from citychain.node.store import SCHEMA as STORE_SCHEMA

from .ack_rules import (
    AckProblem,
    ack_problem,
    ack_status,
    apply_acknowledgement,
    check_acknowledgement,
    invalid_acks,
    resolve_pending_acks,
)
from .money_rules import (
    apply_allocation,
    apply_approval,
    apply_cancellation,
    apply_donation,
    apply_expenditure,
    apply_fund,
    apply_project,
    apply_refund,
    apply_request,
    apply_reversal,
    check_allocation,
    check_approval,
    check_cancellation,
    check_donation,
    check_expenditure,
    check_fund,
    check_project,
    check_refund,
    check_request,
    check_reversal,
)
from .project_rules import (
    apply_closed,
    apply_disclosed,
    apply_ended,
    apply_started,
    check_closed,
    check_disclosed,
    check_ended,
    check_started,
)
from .schema import (
    ACKNOWLEDGED,
    ALLOCATION,
    APPROVED,
    CANCELLED,
    CHANNELS,
    DONATION,
    EXPENDITURE,
    FUND_CREATED,
    ORGANISATION_KINDS,
    PENDING,
    PROJECT_CLOSED,
    PROJECT_CREATED,
    PROJECT_DISCLOSED,
    PROJECT_ENDED,
    PROJECT_STARTED,
    REFUND,
    REQUESTED,
    REVERSAL,
    SCHEMA,
    schema,
)

__all__ = [
    "ACKNOWLEDGED",
    "ALLOCATION",
    "APPROVED",
    "AckProblem",
    "CANCELLED",
    "CHANNELS",
    "DONATION",
    "EXPENDITURE",
    "FUND_CREATED",
    "ORGANISATION_KINDS",
    "PENDING",
    "PROJECT_CLOSED",
    "PROJECT_CREATED",
    "PROJECT_DISCLOSED",
    "PROJECT_ENDED",
    "PROJECT_STARTED",
    "REFUND",
    "REQUESTED",
    "REVERSAL",
    "SCHEMA",
    "Violation",
    "ack_problem",
    "ack_status",
    "after_store",
    "apply",
    "check",
    "first_violation",
    "invalid_acks",
    "resolve_pending_acks",
    "schema",
]

# -- dispatch -------------------------------------------------------------------
RULES: dict[str, tuple[Callable[[Record, Context], None], Callable[[Record, Context], None]]] = {
    FUND_CREATED: (check_fund, apply_fund),
    PROJECT_CREATED: (check_project, apply_project),
    DONATION: (check_donation, apply_donation),
    ALLOCATION: (check_allocation, apply_allocation),
    REQUESTED: (check_request, apply_request),
    APPROVED: (check_approval, apply_approval),
    CANCELLED: (check_cancellation, apply_cancellation),
    EXPENDITURE: (check_expenditure, apply_expenditure),
    REFUND: (check_refund, apply_refund),
    REVERSAL: (check_reversal, apply_reversal),
    ACKNOWLEDGED: (check_acknowledgement, apply_acknowledgement),
    PROJECT_STARTED: (check_started, apply_started),
    PROJECT_ENDED: (check_ended, apply_ended),
    PROJECT_DISCLOSED: (check_disclosed, apply_disclosed),
    PROJECT_CLOSED: (check_closed, apply_closed),
}


def check(record: Record, ctx: Context) -> None:
    """Raise RecordRejected unless `record` may follow what its log holds."""
    RULES[record.kind][0](record, ctx)


def apply(record: Record, ctx: Context) -> None:
    """Update the index tables for an accepted record (same transaction)."""
    RULES[record.kind][1](record, ctx)


def after_store(ctx: Context) -> None:
    """Acknowledgements held until their disbursement arrived are judged as it arrives; a
    mismatch flags the acknowledging agency's log, naming the record."""
    for problem in resolve_pending_acks(ctx.conn):
        (log_id,) = ctx.conn.execute("SELECT id FROM logs WHERE agency=?", (problem.agency,)).fetchone()
        ctx.flag_invalid(
            log_id,
            f"{problem.agency} entry {problem.ack_seq} (charity.acknowledged) breaks a rule: "
            f"{problem.code}: {problem.message}",
        )


@dataclass(frozen=True)
class Violation:
    seq: int
    kind: str
    code: str
    message_zh: str
    message_en: str
    field: str | None


def first_violation(records: Iterable[Record]) -> Violation | None:
    """Replay charity records (of one or more logs, each in order) in a scratch
    database; the first that breaks a rule, or None. Other kinds are skipped.
    Acknowledgements stay held here: no log's leaves are stored to check them."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.executescript(STORE_SCHEMA)
        schema(conn)
        log_ids: dict[str, int] = {}
        for record in records:
            if record.kind not in RULES:
                continue
            if record.log not in log_ids:
                conn.execute("INSERT INTO logs (agency, origin, root) VALUES (?, '', x'')", (record.log,))
                log_ids[record.log] = conn.execute("SELECT id FROM logs WHERE agency=?", (record.log,)).fetchone()[0]
            ctx = Context(conn, log_ids[record.log])
            try:
                check(record, ctx)
            except RecordRejected as exc:
                return Violation(record.seq, record.kind, exc.code, exc.message_zh, exc.message_en, exc.field)
            apply(record, ctx)
        return None
    finally:
        conn.close()

"""Acknowledgements: the beneficiary agency, in its own log, confirms an
approved disbursement by the approval's seq and leaf hash in the charity's
log. A node that does not hold that part of the charity's log yet keeps the
acknowledgement pending and judges it when the log arrives."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from citychain.documents.money import yuan_amount
from citychain.log import merkle
from citychain.log.records import Record
from citychain.node.kinds import Context, RecordRejected
from citychain.node.store import file_suite

from . import body_checks as checks
from .schema import PENDING


# -- acknowledgements (in the beneficiary agency's log) ------------------------
@dataclass(frozen=True)
class AckProblem:
    """An acknowledgement that turned out not to match the disbursement it names."""

    agency: str  # the acknowledging agency
    ack_seq: int
    charity: str
    seq: int
    code: str
    message: str


def ack_problem(conn: sqlite3.Connection, ack_agency: str, body: dict) -> RecordRejected | str | None:
    """None if the acknowledgement matches the approval it names; PENDING if this
    node does not hold that part of the charity's log yet; else the rejection."""
    charity, seq = body["charity"], body["seq"]
    log = conn.execute("SELECT id, size FROM logs WHERE agency=?", (charity,)).fetchone()
    if log is None or log[1] <= seq:
        return PENDING
    entry = conn.execute("SELECT leaf FROM entries WHERE log=? AND seq=?", (log[0], seq)).fetchone()
    if entry is None:
        return PENDING
    if merkle.leaf_hash(entry[0], file_suite(conn).hash).hex() != body["leaf_hash"]:
        return checks.reject(
            "ACK_MISMATCH",
            f"{charity} 日志第 {seq} 条记录的哈希与确认中的不符",
            f"the leaf hash does not match entry {seq} of {charity}'s log",
            "leaf_hash",
        )
    row = conn.execute(
        "SELECT id, amount, beneficiary_agency FROM charity_requests WHERE log=? AND approval_seq=?", (log[0], seq)
    ).fetchone()
    if row is None:
        return checks.reject(
            "WRONG_KIND",
            f"{charity} 日志第 {seq} 条记录不是支出批准",
            f"entry {seq} of {charity}'s log is not a disbursement approval",
            "seq",
        )
    request, amount, beneficiary_agency = row
    if request != body["request"]:
        return checks.reject(
            "ACK_MISMATCH",
            f"第 {seq} 条记录批准的是支出申请 {request}",
            f"entry {seq} approves request {request}, not {body['request']}",
            "request",
        )
    if amount != body["amount_fen"]:
        return checks.reject(
            "ACK_MISMATCH",
            f"确认金额与批准金额 {yuan_amount(amount, False)} 元不符",
            f"the amount acknowledged differs from the {yuan_amount(amount, False)} yuan approved",
            "amount_fen",
        )
    if beneficiary_agency != ack_agency:
        return checks.reject(
            "NOT_BENEFICIARY",
            f"该笔支出应由 {beneficiary_agency} 确认",
            f"this disbursement is to be acknowledged by {beneficiary_agency}, not {ack_agency}",
            "charity",
        )
    return None


def ack_status(
    conn: sqlite3.Connection, ack_agency: str, charity: str, seq: int, leaf_hash: str, request: str, amount: int
) -> str:
    """What a held acknowledgement is now: verified, invalid or still pending.
    Readers use it so that an answer never depends on when `resolve_pending_acks` last ran."""
    body = {"charity": charity, "seq": seq, "leaf_hash": leaf_hash, "request": request, "amount_fen": amount}
    problem = ack_problem(conn, ack_agency, body)
    return PENDING if isinstance(problem, str) else "verified" if problem is None else "invalid"


def check_acknowledgement(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("charity", "seq", "leaf_hash", "request", "amount_fen", "acknowledged_by"))
    charity = checks.agency(body, "charity")
    if charity == record.log:
        raise checks.reject(
            "MALFORMED", "机构不能确认自己日志中的支出", "an agency cannot acknowledge its own disbursement", "charity"
        )
    seq = body["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise checks.reject("MALFORMED", "seq 须为非负整数", "seq must be a non-negative integer", "seq")
    checks.hex64(body["leaf_hash"], "leaf_hash")
    checks.ident(body, "request")
    checks.amount(body)
    checks.user(body, "acknowledged_by", ctx)
    if ctx.conn.execute(
        "SELECT 1 FROM charity_acks WHERE charity=? AND seq=? AND ack_log=?", (charity, seq, ctx.log_id)
    ).fetchone():
        raise checks.reject(
            "ALREADY_ACKNOWLEDGED",
            f"已确认过 {charity} 日志第 {seq} 条记录的支出",
            f"entry {seq} of {charity}'s log was already acknowledged",
            "seq",
        )
    problem = ack_problem(ctx.conn, record.log, body)
    if isinstance(problem, RecordRejected):
        raise problem


def apply_acknowledgement(record: Record, ctx: Context) -> None:
    body = record.body
    status = PENDING if isinstance(ack_problem(ctx.conn, record.log, body), str) else "verified"
    ctx.conn.execute(
        "INSERT INTO charity_acks (charity, seq, ack_log, ack_seq, leaf_hash, request, amount, acknowledged_by, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            body["charity"],
            body["seq"],
            ctx.log_id,
            record.seq,
            body["leaf_hash"],
            body["request"],
            body["amount_fen"],
            body["acknowledged_by"],
            status,
        ),
    )


def resolve_pending_acks(conn: sqlite3.Connection) -> tuple[AckProblem, ...]:
    """Check every held acknowledgement whose disbursement this node now holds:
    it becomes `verified`, or `invalid` (returned, for flagging the acknowledging
    agency's log). Runs after every charity record is applied; a node may also
    call it after each import."""
    rows = conn.execute(
        "SELECT a.charity, a.seq, a.ack_log, a.ack_seq, a.leaf_hash, a.request, a.amount, agency.agency "
        "FROM charity_acks a JOIN logs charity ON charity.agency = a.charity AND charity.size > a.seq "
        "JOIN logs agency ON agency.id = a.ack_log WHERE a.status = 'pending'"
    ).fetchall()
    problems = []
    for charity, seq, ack_log, ack_seq, leaf_hash, request, amount, agency in rows:
        body = {"charity": charity, "seq": seq, "leaf_hash": leaf_hash, "request": request, "amount_fen": amount}
        problem = ack_problem(conn, agency, body)
        if isinstance(problem, str):
            continue
        if problem is None:
            conn.execute(
                "UPDATE charity_acks SET status='verified' WHERE charity=? AND seq=? AND ack_log=?",
                (charity, seq, ack_log),
            )
            continue
        conn.execute(
            "UPDATE charity_acks SET status='invalid', problem_code=?, problem=? WHERE charity=? AND seq=? AND ack_log=?",
            (problem.code, str(problem), charity, seq, ack_log),
        )
        problems.append(AckProblem(agency, ack_seq, charity, seq, problem.code, str(problem)))
    return tuple(problems)


def invalid_acks(conn: sqlite3.Connection) -> tuple[AckProblem, ...]:
    """Every held acknowledgement that failed its check once its disbursement arrived."""
    rows = conn.execute(
        "SELECT agency.agency, a.ack_seq, a.charity, a.seq, a.problem_code, a.problem FROM charity_acks a "
        "JOIN logs agency ON agency.id = a.ack_log WHERE a.status = 'invalid' ORDER BY a.ack_log, a.ack_seq"
    )
    return tuple(AckProblem(*row) for row in rows)

"""Every disbursement request of a fund's projects, with its decision and the
beneficiary agency's acknowledgement, for reports and exports.

Read from the charity rules' index tables, as `charity.trace` is; an
acknowledgement held until the charity's log arrived is judged on the spot
(`rules.ack_status`), so the answer never depends on when it was last settled.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from . import rules
from .trace import TraceError

STATUS_WORDS = {
    "pending": ("待审批", "pending"),
    "approved": ("已批准", "approved"),
    "cancelled": ("已取消", "cancelled"),
    "reversed": ("已冲正", "reversed"),
}


@dataclass(frozen=True)
class Disbursement:
    id: str
    seq: int  # of the request
    project: str
    project_name_zh: str
    project_name_en: str
    amount_fen: int
    status: str  # pending | approved | cancelled | reversed
    purpose: str
    beneficiary_agency: str
    requested_by: str
    decided_by: str | None  # who approved or cancelled it
    decided_seq: int | None
    reversed_by: str | None
    acknowledged_by: str | None  # the beneficiary agency, when its acknowledgement checks out
    ack_seq: int | None  # in that agency's log

    @property
    def acknowledged(self) -> bool:
        return self.status == "approved" and self.acknowledged_by is not None


def log_id(conn: sqlite3.Connection, charity: str) -> int:
    row = conn.execute("SELECT id FROM logs WHERE agency=?", (charity,)).fetchone()
    if row is None:
        raise TraceError("UNKNOWN_CHARITY", f"本节点没有 {charity} 的日志", f"this node holds no log of {charity}")
    return row[0]


def _acknowledgement(
    conn: sqlite3.Connection, charity: str, approval_seq: int | None, beneficiary: str
) -> tuple[str | None, int | None]:
    if approval_seq is None:
        return None, None
    for agency, ack_seq, status, leaf_hash, request, amount in conn.execute(
        "SELECT l.agency, a.ack_seq, a.status, a.leaf_hash, a.request, a.amount FROM charity_acks a "
        "JOIN logs l ON l.id = a.ack_log WHERE a.charity = ? AND a.seq = ? ORDER BY a.ack_seq",
        (charity, approval_seq),
    ):
        if status == rules.PENDING:
            status = rules.ack_status(conn, agency, charity, approval_seq, leaf_hash, request, amount)
        if status == "verified" and agency == beneficiary:
            return agency, ack_seq
    return None, None


def disbursements(conn: sqlite3.Connection, charity: str, fund_id: str | None = None) -> list[Disbursement]:
    """The requests of the fund's projects (of every fund if None), in log order."""
    log = log_id(conn, charity)
    sql = (
        "SELECT r.id, r.seq, r.project, p.name_zh, p.name_en, r.amount, r.status, r.purpose, r.beneficiary_agency, "
        "r.requested_by, r.decided_by, r.decided_seq, r.reversed_by, r.approval_seq "
        "FROM charity_requests r JOIN charity_projects p ON p.log = r.log AND p.id = r.project WHERE r.log = ?"
    )
    args: tuple = (log,)
    if fund_id is not None:
        sql += " AND p.fund = ?"
        args += (fund_id,)
    out = []
    for *row, approval_seq in conn.execute(sql + " ORDER BY r.seq", args).fetchall():
        agency, ack_seq = _acknowledgement(conn, charity, approval_seq, row[8])
        out.append(Disbursement(*row, agency, ack_seq))
    return out

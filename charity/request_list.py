"""Disbursement requests as a counter lists them (a charity's own, or those
approved for this agency to acknowledge), each with whether its recipient has
acknowledged it in this node's log. One query for the embedded counter and a
hall node's desk routes."""

from __future__ import annotations

import sqlite3
from typing import Any

REQUEST_KEYS = (
    "charity",
    "id",
    "project",
    "amount_fen",
    "beneficiary_agency",
    "purpose",
    "requested_by",
    "status",
    "decided_by",
    "seq",
    "acknowledged",
)


def _requests(conn: sqlite3.Connection, where: str, args: tuple) -> list[dict[str, Any]]:
    own = conn.execute("SELECT id FROM logs WHERE own = 1").fetchone()
    rows = conn.execute(
        "SELECT l.agency, r.id, r.project, r.amount, r.beneficiary_agency, r.purpose, r.requested_by, r.status, "
        "r.decided_by, r.seq, EXISTS (SELECT 1 FROM charity_acks a WHERE a.charity = l.agency "
        "AND a.seq = r.approval_seq AND a.ack_log = ?) FROM charity_requests r JOIN logs l ON l.id = r.log "
        f"WHERE {where} ORDER BY r.seq DESC",
        (own[0] if own else -1, *args),
    ).fetchall()
    return [dict(zip(REQUEST_KEYS, row[:10]), acknowledged=bool(row[10])) for row in rows]


def charity_requests(conn: sqlite3.Connection, charity: str, status: str = "") -> list[dict[str, Any]]:
    """The charity's requests, newest first; `status` pending, approved or cancelled ("" for all)."""
    if status:
        return _requests(conn, "l.agency = ? AND r.status = ?", (charity, status))
    return _requests(conn, "l.agency = ?", (charity,))


def to_acknowledge(conn: sqlite3.Connection, agency: str) -> list[dict[str, Any]]:
    """Approved payments to `agency`, from every charity whose log this node holds."""
    return _requests(conn, "r.beneficiary_agency = ? AND r.status = 'approved'", (agency,))

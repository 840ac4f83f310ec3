"""Builders for charity records: each returns the `(kind, body)` pair that
`Node.append(user, [...])` takes, with the body exactly as the rules expect.

Names of the people who act (requested_by, approved_by, …) are written into
the bodies because every node re-checks "approver ≠ requester" on sync,
without knowing who was signed in where; callers pass the signed-in user's
name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from citychain.log import merkle
from citychain.node.store import file_suite

from .rules import (
    ACKNOWLEDGED,
    ALLOCATION,
    APPROVED,
    CANCELLED,
    DONATION,
    EXPENDITURE,
    FUND_CREATED,
    PROJECT_CLOSED,
    PROJECT_CREATED,
    PROJECT_DISCLOSED,
    PROJECT_ENDED,
    PROJECT_STARTED,
    REFUND,
    REQUESTED,
    REVERSAL,
)

Item = tuple[str, dict[str, Any]]


def fund(fund_id: str, name_zh: str, name_en: str, target_fen: int | None = None) -> Item:
    body: dict[str, Any] = {"id": fund_id, "name_zh": name_zh, "name_en": name_en}
    if target_fen is not None:
        body["target_fen"] = target_fen
    return FUND_CREATED, body


def project(
    project_id: str,
    fund_id: str,
    name_zh: str,
    name_en: str,
    budget_fen: int,
    milestones: Sequence[dict[str, Any]] = (),
) -> Item:
    return PROJECT_CREATED, {
        "id": project_id,
        "fund": fund_id,
        "name_zh": name_zh,
        "name_en": name_en,
        "budget_fen": budget_fen,
        "milestones": list(milestones),
    }


def project_started(project_id: str, start: str, planned_end: str, recorded_by: str) -> Item:
    """Dates are the city's calendar dates, YYYY-MM-DD."""
    return PROJECT_STARTED, {
        "project": project_id,
        "start": start,
        "planned_end": planned_end,
        "recorded_by": recorded_by,
    }


def project_ended(project_id: str, end: str, recorded_by: str) -> Item:
    return PROJECT_ENDED, {"project": project_id, "end": end, "recorded_by": recorded_by}


def project_disclosed(project_id: str, period: str, report_sha256: str, recorded_by: str) -> Item:
    """`report_sha256`: of the quarter's report statement (`charity.quarterly`)."""
    return PROJECT_DISCLOSED, {
        "project": project_id,
        "period": period,
        "report_sha256": report_sha256,
        "recorded_by": recorded_by,
    }


def project_closed(project_id: str, report_sha256: str, recorded_by: str) -> Item:
    """`report_sha256`: of the final report's statement."""
    return PROJECT_CLOSED, {"project": project_id, "report_sha256": report_sha256, "recorded_by": recorded_by}


def donation(receipt: str, fund_id: str, amount_fen: int, channel: str, donor: str, anonymous: bool = False) -> Item:
    """`donor` is a commitment (`charity.privacy.person_commitment`), never a name."""
    return DONATION, {
        "receipt": receipt,
        "fund": fund_id,
        "amount_fen": amount_fen,
        "channel": channel,
        "donor": donor,
        "anonymous": anonymous,
    }


def allocation(allocation_id: str, fund_id: str, project_id: str, amount_fen: int) -> Item:
    return ALLOCATION, {"id": allocation_id, "fund": fund_id, "project": project_id, "amount_fen": amount_fen}


def request(
    request_id: str,
    project_id: str,
    amount_fen: int,
    beneficiary: str,
    beneficiary_agency: str,
    purpose: str,
    requested_by: str,
    evidence: Sequence[str] = (),
) -> Item:
    """`beneficiary` is a commitment; `evidence` the SHA-256 (hex) of each file."""
    return REQUESTED, {
        "id": request_id,
        "project": project_id,
        "amount_fen": amount_fen,
        "beneficiary": beneficiary,
        "beneficiary_agency": beneficiary_agency,
        "purpose": purpose,
        "requested_by": requested_by,
        "evidence": list(evidence),
    }


def approval(request_id: str, approved_by: str) -> Item:
    return APPROVED, {"request": request_id, "approved_by": approved_by}


def cancellation(request_id: str, cancelled_by: str, reason: str) -> Item:
    return CANCELLED, {"request": request_id, "cancelled_by": cancelled_by, "reason": reason}


def expenditure(
    expenditure_id: str, project_id: str, amount_fen: int, purpose: str, recorded_by: str, evidence: Sequence[str] = ()
) -> Item:
    return EXPENDITURE, {
        "id": expenditure_id,
        "project": project_id,
        "amount_fen": amount_fen,
        "purpose": purpose,
        "recorded_by": recorded_by,
        "evidence": list(evidence),
    }


def refund(refund_id: str, receipt: str, amount_fen: int, reason: str) -> Item:
    return REFUND, {"id": refund_id, "receipt": receipt, "amount_fen": amount_fen, "reason": reason}


def reversal(reversal_id: str, target: str, reason: str) -> Item:
    return REVERSAL, {"id": reversal_id, "target": target, "reason": reason}


class NotApproved(LookupError):
    pass


def acknowledgement(conn: sqlite3.Connection, charity: str, request_id: str, acknowledged_by: str) -> Item:
    """The beneficiary agency's acknowledgement of an approved disbursement,
    pointing to the approval's seq and leaf hash in the charity's log as this
    node mirrors it."""
    row = conn.execute(
        "SELECT l.id, r.approval_seq, r.amount FROM charity_requests r JOIN logs l ON l.id = r.log "
        "WHERE l.agency = ? AND r.id = ? AND r.approval_seq IS NOT NULL",
        (charity, request_id),
    ).fetchone()
    if row is None:
        raise NotApproved(
            f"本节点未见到 {charity} 批准支出申请 {request_id} / "
            f"this node holds no approval of request {request_id} in {charity}'s log"
        )
    log, seq, amount = row
    (leaf,) = conn.execute("SELECT leaf FROM entries WHERE log=? AND seq=?", (log, seq)).fetchone()
    return ACKNOWLEDGED, {
        "charity": charity,
        "seq": seq,
        "leaf_hash": merkle.leaf_hash(leaf, file_suite(conn).hash).hex(),
        "request": request_id,
        "amount_fen": amount,
        "acknowledged_by": acknowledged_by,
    }

"""What a node knows about one donation receipt: the charity's log as this node
holds it (`citychain.documents.log_report`), the proof that the donation's
leaf is in it, and whether the donation was refunded or reversed since.

The same report comes from a node home on disk (`verify --home`) and from a
running node over HTTP (`GET /v1/charity/receipts/status`); the verifier
checks the checkpoint and the inclusion proof itself either way
(docs/protocol.md §12).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from citychain.documents.log_report import ReportKind, log_report
from citychain.node.store import Store


def receipt_status_report(store: Store, agency: str, receipt: str, seq: int, now: str) -> dict[str, Any]:
    report, head = log_report(store, agency, seq, now)
    if head is None:
        return report
    report["donation"] = None
    try:
        row = store.conn.execute(
            "SELECT d.receipt, d.seq, d.fund, d.amount, d.refunded, d.reversed_by, f.name_zh, f.name_en "
            "FROM charity_donations d LEFT JOIN charity_funds f ON f.log = d.log AND f.id = d.fund "
            "WHERE d.log = ? AND d.receipt = ?",
            (head.id, receipt),
        ).fetchone()
    except sqlite3.OperationalError:  # a node without the charity plug-in: it cannot say
        return report
    if row is not None:
        report["donation"] = {
            "receipt": row[0],
            "seq": row[1],
            "fund": row[2],
            "amount_fen": row[3],
            "refunded_fen": row[4],
            "reversed_by": row[5],
            "fund_name_zh": row[6],
            "fund_name_en": row[7],
        }
    return report


RECEIPT_STATUS = ReportKind("/v1/charity/receipts/status", "receipt", 40, receipt_status_report)

"""What a node knows about one certificate: its status, the issuer's log as this
node holds it, and the proof that the certificate's leaf is in that log.

The same report comes from a node home on disk (`--home`) and from a running
node over HTTP (`GET /v1/certificates/status`); the verifier checks the
checkpoint and the inclusion proof itself either way.
"""

from __future__ import annotations

from typing import Any

from citychain.documents.log_report import ReportKind, log_report
from citychain.node.store import Store


def status_report(store: Store, agency: str, cert_id: str, seq: int, now: str) -> dict[str, Any]:
    report, head = log_report(store, agency, seq, now)
    if head is None:
        return report
    report["certificate"] = None
    row = store.conn.execute(
        "SELECT status, superseded_by, seq FROM certificates WHERE id = ? AND log = ?", (cert_id, head.id)
    ).fetchone()
    if row is not None:
        report["certificate"] = {"status": row[0], "superseded_by": row[1], "seq": row[2]}
    return report


def certificate_leaf(store: Store, agency: str, cert_id: str) -> bytes | None:
    """The signed ledger entry that issued `cert_id` in `agency`'s log as held
    here, or None: a certificate looked up by its number (the kiosk)."""
    row = store.conn.execute(
        "SELECT e.leaf FROM certificates c JOIN logs l ON l.id = c.log JOIN entries e ON e.log = c.log "
        "AND e.seq = c.seq WHERE c.id = ? AND l.agency = ?",
        (cert_id, agency),
    ).fetchone()
    return row[0] if row is not None else None


STATUS = ReportKind("/v1/certificates/status", "id", 120, status_report)

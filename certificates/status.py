"""What a node knows about one certificate: its status, the issuer's log as this
node holds it, and the proof that the certificate's leaf is in that log.

The same report comes from a node home on disk (`--home`) and from a running
node over HTTP (`GET /v1/certificates/status`); the verifier checks the
checkpoint and the inclusion proof itself either way.
"""

from __future__ import annotations

from typing import Any

from citychain.documents.log_report import ReportKind, log_report
from citychain.errors import MessageError
from citychain.log.records import Record, RecordError, parse_leaf
from citychain.node.store import LogHead, Store

from .kinds import ISSUED, TRANSITIONS


def status_report(store: Store, agency: str, cert_id: str, seq: int, now: str) -> dict[str, Any]:
    report, head = log_report(store, agency, seq, now)
    if head is None:
        return report
    report["certificate"] = None
    issued = _issue_seq(store, head, cert_id, seq)
    if issued is not None:
        status, superseded_by, cause = status_from_log(store, head, cert_id, issued)
        report["certificate"] = {"status": status, "superseded_by": superseded_by, "seq": issued, "cause": cause}
    return report


class IndexMismatch(MessageError):
    """The index names an issue record the log does not hold: refuse, never guess."""

    code = "DERIVED_MISMATCH"
    status = 503


def _issue_seq(store: Store, head: LogHead, cert_id: str, asked: int) -> int | None:
    """Where `cert_id` was issued in this log: the index's position or the
    document's, whichever holds its issue record (checked, not believed)."""
    row = store.conn.execute("SELECT seq FROM certificates WHERE id = ? AND log = ?", (cert_id, head.id)).fetchone()
    for seq in dict.fromkeys(([row[0]] if row else []) + [asked]):
        leaf = next(store.iter_leaves(head.id, seq, seq + 1), b"") if 0 <= seq < head.size else b""
        if _names(leaf, head.agency, cert_id, (ISSUED,)):
            return seq
    if row is not None:
        raise IndexMismatch(
            f"本节点的证照索引与账本不符（{cert_id}），请运行 log check",
            f"this node's certificate index disagrees with its log ({cert_id}); run `log check`",
        )
    return None


def _names(data: bytes, agency: str, cert_id: str, kinds: tuple[str, ...]) -> Record | None:
    """The record in `data` if it is one of `kinds` about `cert_id` in `agency`'s log."""
    try:
        record = parse_leaf(data).record
    except RecordError:
        return None
    found = record.log == agency and record.kind in kinds and record.body.get("id") == cert_id
    return record if found else None


def status_from_log(store: Store, head: LogHead, cert_id: str, issued: int) -> tuple[str, str | None, str | None]:
    """(status, successor, cause) folded from the certificate's status records after
    its issue, found by scanning the log for its id (SQLite's `instr`, in C)."""
    status, superseded_by, cause = "valid", None, None
    rows = store.conn.execute(
        "SELECT leaf FROM entries WHERE log = ? AND seq > ? AND seq < ? AND instr(leaf, ?) > 0 ORDER BY seq",
        (head.id, issued, head.size, cert_id.encode()),
    )
    for (data,) in rows:
        record = _names(data, head.agency, cert_id, tuple(TRANSITIONS))
        if record is not None and status in TRANSITIONS[record.kind][0]:
            status, superseded_by = TRANSITIONS[record.kind][1], record.body.get("by")
            cause = record.body.get("cause")
    return status, superseded_by, cause


def certificate_leaf(store: Store, agency: str, cert_id: str) -> bytes | None:
    """The signed ledger entry that issued `cert_id` in `agency`'s log as held
    here, or None: a certificate looked up by its number (the kiosk). The
    index finds it; the entry itself must say so."""
    row = store.conn.execute(
        "SELECT e.leaf FROM certificates c JOIN logs l ON l.id = c.log JOIN entries e ON e.log = c.log "
        "AND e.seq = c.seq WHERE c.id = ? AND l.agency = ?",
        (cert_id, agency),
    ).fetchone()
    return row[0] if row is not None and _names(row[0], agency, cert_id, (ISSUED,)) else None


STATUS = ReportKind("/v1/certificates/status", "id", 120, status_report, from_log=True)

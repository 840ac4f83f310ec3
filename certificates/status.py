"""What a node knows about one certificate: its status, the issuer's log as this
node holds it, the proof that the certificate's leaf is in that log, and the
certificate's newest status record with its own inclusion proof under the
same checkpoint (`as_of_size` is that checkpoint's size).

The same report comes from a node home on disk (`--home`) and from a running
node over HTTP (`GET /v1/certificates/status`); the verifier checks the
checkpoint and both inclusion proofs itself either way (`status_proof`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citychain.documents.log_report import ReportKind, log_report
from citychain.errors import MessageError
from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, parse_checkpoint
from citychain.log.encoding import b64encode
from citychain.log.note import NoteError, parse_note
from citychain.log.records import Record, RecordError, parse_leaf
from citychain.node.store import LogHead, Store

from .kinds import ISSUED, TRANSITIONS


def status_report(store: Store, agency: str, cert_id: str, seq: int, now: str) -> dict[str, Any]:
    report, head = log_report(store, agency, seq, now)
    if head is None:
        return report
    size = checkpoint_size(head.checkpoint)
    report["as_of_size"], report["certificate"] = size, None
    issued = _issue_seq(store, head, cert_id, seq)
    if issued is not None:
        folded = status_from_log(store, head, cert_id, issued, max(size, issued + 1))
        report["certificate"] = {
            "status": folded.status,
            "superseded_by": folded.superseded_by,
            "seq": issued,
            "cause": folded.cause,
            "record": proven_record(folded.leaf, folded.seq, store.reader(head.id), size) if issued < size else None,
        }
    return report


def checkpoint_size(note: str | None) -> int:
    """The tree size the node's checkpoint signs (0 without one): what a status answer is "as of"."""
    try:
        return parse_checkpoint(parse_note(note).text).size if note else 0
    except (NoteError, CheckpointError):
        return 0


def proven_record(data: bytes, seq: int, reader: merkle.NodeReader, size: int) -> dict[str, Any]:
    """A status answer's `certificate.record`: the leaf at `seq` and its inclusion proof in the tree of `size`."""
    return {
        "seq": seq,
        "leaf": b64encode(data),
        "inclusion": [b64encode(h) for h in merkle.inclusion_proof(reader, seq, size)],
    }


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


@dataclass(frozen=True)
class Folded:
    """A certificate's status as its records give it, and the newest record that
    set it (the issue record when its status never changed)."""

    status: str
    superseded_by: str | None
    cause: str | None
    seq: int
    leaf: bytes


def status_from_log(store: Store, head: LogHead, cert_id: str, issued: int, end: int) -> Folded:
    """The status folded from the certificate's records before `end`, found by
    scanning the log for its id (SQLite's `instr`, in C)."""
    leaf = next(store.iter_leaves(head.id, issued, issued + 1))
    folded = Folded("valid", None, None, issued, leaf)
    rows = store.conn.execute(
        "SELECT seq, leaf FROM entries WHERE log = ? AND seq > ? AND seq < ? AND instr(leaf, ?) > 0 ORDER BY seq",
        (head.id, issued, min(end, head.size), cert_id.encode()),
    )
    for seq, data in rows:
        record = _names(data, head.agency, cert_id, tuple(TRANSITIONS))
        if record is not None and folded.status in TRANSITIONS[record.kind][0]:
            status = TRANSITIONS[record.kind][1]
            folded = Folded(status, record.body.get("by"), record.body.get("cause"), seq, data)
    return folded


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

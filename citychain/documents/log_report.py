"""What a node knows about one position of an agency's log, for a verifier:
the log's status, the checkpoint it holds, how fresh its copy is, the leaf
hash at that position and the inclusion proof of it.

Domain plug-ins add their own part (a certificate's status, a donation's
refunds) and serve the whole as JSON; the verifier checks the checkpoint and
the proof itself (`citychain.documents.checks.check_node_report`).
"""

from __future__ import annotations

from typing import Any

from citychain import merkle
from citychain.encoding import b64encode
from citychain.store import LogHead, Store


def log_report(store: Store, agency: str, seq: int, now: str) -> tuple[dict[str, Any], LogHead | None]:
    """(report, the log's head or None). `as_of` is now for the node's own log,
    else the last time a peer showed this node the same head of that log."""
    head = store.head(agency)
    if head is None:
        return {"agency": agency, "log_status": "absent"}, None
    report: dict[str, Any] = {
        "agency": agency,
        "log_status": head.status,
        "log_detail": head.status_detail,
        "size": head.size,
        "checkpoint": head.checkpoint or "",
        "as_of": now if head.own else store.get_meta(f"checked:{agency}"),
        "own": bool(head.own),
        "leaf_hash": None,
        "inclusion": None,
    }
    if 0 <= seq < head.size:
        report["leaf_hash"] = merkle.leaf_hash(store.leaves(head.id, seq, seq + 1)[0]).hex()
        report["inclusion"] = [b64encode(h) for h in merkle.inclusion_proof(store.reader(head.id), seq, head.size)]
    return report, head

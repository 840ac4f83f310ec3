"""What a node says about itself — served at `GET /v1/status` and shown on a
counter's node panel: its own log and who co-signed it, whether its sync loop
runs (and how often it had to be restarted), each peer's last contact and lag,
every log it holds with its status, and the forks it found."""

from __future__ import annotations

import time
from typing import Any

from citychain.clock import format_timestamp
from citychain.log.checkpoint import CheckpointError, open_checkpoint
from citychain.node.mirror import log_keys
from citychain.node.store import Store
from citychain.node.witnesses import quorum_shortfall, witnessed_by


def _own_signed(node, checkpoint: str | None):
    if not checkpoint:
        return None
    try:
        return open_checkpoint(checkpoint, node.config.origin, log_keys(node.trust, node.config.agency))
    except CheckpointError:
        return None


def own_cosigners(node, checkpoint: str | None, now: float) -> dict[str, int]:
    """Witness → co-signature time, for the valid co-signatures on one of this node's own checkpoints
    (the witnesses of a home's trust policy too)."""
    signed = _own_signed(node, checkpoint)
    if signed is None:
        return {}
    config = node.config
    return witnessed_by(signed, node.trust, config.city, config.agency, int(now), getattr(node, "policy", None))


def _witnessed(node, checkpoint: str | None, now: float) -> bool:
    """Whether our checkpoint has its quorum: the home's trust policy's, else k co-signatures."""
    signed = _own_signed(node, checkpoint)
    if signed is None:
        return False
    config = node.config
    policy = getattr(node, "policy", None)
    return (
        quorum_shortfall(signed, node.trust, config.city, config.agency, config.witness_quorum, int(now), policy)
        is None
    )


def node_status(node, syncer, store: Store) -> dict[str, Any]:
    now = time.time()
    config = node.config
    own = store.head(config.agency)
    refusal = node.own.refusal if node.own else "read-only"
    cosigned = own_cosigners(node, own.checkpoint if own else None, node.clock.now().timestamp())
    newest = max(cosigned.values(), default=None)
    return {
        "agency": config.agency,
        "origin": config.origin,
        "own_log": {
            "size": own.size if own else 0,
            "checkpoint": own.checkpoint if own else None,
            "cosigners": sorted(cosigned),
            "cosigned_at": format_timestamp(newest),
            "quorum": config.witness_quorum,
            "witnessed": _witnessed(node, own.checkpoint if own else None, node.clock.now().timestamp()),
            "policy": getattr(node, "policy", None) is not None,
            "signing": refusal is None,
            "refusal": refusal,
        },
        "sync_loop": syncer.health().to_json(),
        "peers": [{**syncer.state(peer.url).to_json(now), **peer.to_json()} for peer in node.peers()],
        "logs": [
            {"agency": h.agency, "size": h.size, "status": h.status, "detail": h.status_detail} for h in store.heads()
        ],
        "forks": [
            {"agency": row[0], "detected": row[1], "source": row[2]}
            for row in store.conn.execute("SELECT agency, detected, source FROM forks ORDER BY id")
        ],
    }

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
from citychain.node.witnesses import witnessed_by


def own_cosigners(node, checkpoint: str | None, now: float) -> dict[str, int]:
    """Witness → co-signature time, for the valid co-signatures on one of this node's own checkpoints."""
    if not checkpoint:
        return {}
    config, trust = node.config, node.trust
    try:
        signed = open_checkpoint(checkpoint, config.origin, log_keys(trust, config.agency))
    except CheckpointError:
        return {}
    return witnessed_by(signed, trust, config.city, config.agency, int(now))


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
            "witnessed": len(cosigned) >= config.witness_quorum,
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

"""Mirroring another agency's log: verify everything, then store it atomically.

Used by the trust-bundle import and by sync. Nothing from outside is stored
until the checkpoint's signature, every leaf (format, chain, signature, trust,
kind rules) and the resulting tree root all hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import merkle
from .checkpoint import Checkpoint, CheckpointError, open_checkpoint
from .keys import public_key_from_bytes
from .kinds import Context, KindRegistry, RecordRejected
from .ledger import load_tip
from .records import RecordError, check_chain, parse_leaf
from .store import Store
from .trust import TrustError, TrustState


class MirrorRejected(ValueError):
    """What a peer sent does not verify; nothing of it was stored."""

    def __init__(self, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.seq = seq


@dataclass(frozen=True)
class Imported:
    agency: str
    old_size: int
    new_size: int


def log_keys(trust: TrustState, agency: str) -> list[Ed25519PublicKey]:
    """Keys that may sign the agency's checkpoints: any it holds, unless revoked."""
    if agency == trust.root_agency and agency not in trust.agencies:
        return [public_key_from_bytes(k) for k in trust.pinned_keys]
    known = trust.agencies.get(agency)
    if known is None:
        raise MirrorRejected("UNKNOWN_ISSUER", f"agency {agency!r} is not in the trust log")
    return [public_key_from_bytes(k.public_key) for k in known.keys if k.revoked_from is None]


def verify_checkpoint(note: str, origin: str, keys: list[Ed25519PublicKey]) -> Checkpoint:
    try:
        checkpoint = open_checkpoint(note, origin, keys).checkpoint
    except (CheckpointError, ValueError) as exc:
        raise MirrorRejected("BAD_CHECKPOINT", f"checkpoint does not verify: {exc}") from exc
    return checkpoint


def import_entries(
    store: Store,
    trust: TrustState,
    kinds: KindRegistry,
    agency: str,
    origin: str,
    start: int,
    leaves: Sequence[bytes],
    note: str,
) -> Imported:
    """Append `leaves` (from seq `start`) to our mirror of `agency`'s log, ending
    exactly at the checkpoint `note`. The trust state is updated when the log is
    the trust log."""
    checkpoint = verify_checkpoint(note, origin, log_keys(trust, agency))
    head = store.ensure_log(agency, origin)
    if head.own:
        raise MirrorRejected("OWN_LOG", "a peer cannot write this node's own log")
    if start != head.size:
        raise MirrorRejected("GAP", f"entries start at {start}, but this node holds {head.size}")
    if checkpoint.size != head.size + len(leaves):
        raise MirrorRejected("SIZE_MISMATCH", f"checkpoint size {checkpoint.size} ≠ {head.size} + {len(leaves)} entries")
    is_trust_log = agency == trust.root_agency
    judge_with = trust.copy() if is_trust_log else trust
    tip = load_tip(store, head)
    frontier, last, nodes, seq = tip.frontier, tip.last_hash, [], head.size
    with store.transaction() as conn:
        ctx = Context(conn, head.id)
        for seq, data in enumerate(leaves, start=head.size):
            try:
                leaf = parse_leaf(data)
                check_chain(leaf, agency, seq, last)
                spec = kinds.get(leaf.record.kind)
                if is_trust_log:
                    judge_with.apply(leaf)
                else:
                    judge_with.judge(leaf, spec.permission(leaf.record))
                spec.check(leaf.record, ctx)
                spec.apply(leaf.record, ctx)
            except (RecordError, TrustError, RecordRejected) as exc:
                raise MirrorRejected(getattr(exc, "code", "INVALID"), f"{agency} entry {seq}: {exc}", seq) from exc
            frontier, new_nodes = frontier.append(leaf.hash)
            nodes.extend(new_nodes)
            last = leaf.hash
        if frontier.root() != checkpoint.root:
            raise MirrorRejected("ROOT_MISMATCH", f"{agency}: the entries do not produce the checkpoint's root")
        store.insert_batch(head.id, head.size, list(leaves), nodes)
        store.set_head(head.id, checkpoint.size, checkpoint.root, note)
    if is_trust_log:
        trust.adopt(judge_with)
    return Imported(agency, head.size, checkpoint.size)

"""Mirroring another agency's log: verify everything, then store it atomically.

Used by the trust-bundle import and by sync. Nothing from outside is stored
until the checkpoint's signature, every leaf (format, chain, signature, trust,
kind rules) and the resulting tree root all hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from citychain.errors import CodedError
from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from citychain.log.keys import public_key_from_bytes
from citychain.log.records import RecordError, check_chain, parse_leaf
from citychain.node.kinds import Context, KindRegistry, RecordRejected
from citychain.node.ledger import load_tip
from citychain.node.store import Store
from citychain.node.trust import TrustError, TrustState


class MirrorRejected(CodedError):
    """What a peer sent does not verify; nothing of it was stored."""

    def __init__(self, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(code, message)
        self.seq = seq


class _BrokenRule(Exception):
    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(detail)
        self.seq, self.detail = seq, detail


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
    proof: Sequence[bytes] | None = None,
    own_ok: bool = False,
) -> Imported:
    """Append `leaves` (from seq `start`) to our mirror of `agency`'s log.

    They either end exactly at the checkpoint `note`, or (a page of a longer
    catch-up) `proof` shows the tree they end at is consistent with it; the
    checkpoint itself is stored only once the mirror reaches its size. The
    trust state is updated when the log is the trust log."""
    checkpoint = verify_checkpoint(note, origin, log_keys(trust, agency))
    head = store.ensure_log(agency, origin)
    if head.own and not own_ok:
        raise MirrorRejected("OWN_LOG", "a peer cannot write this node's own log")
    if head.status != "ok":
        raise MirrorRejected(
            "LOG_" + head.status.upper(), f"{agency}'s log is marked {head.status}; nothing more is taken in"
        )
    if start != head.size:
        raise MirrorRejected("GAP", f"entries start at {start}, but this node holds {head.size}")
    new_size = head.size + len(leaves)
    if new_size > checkpoint.size or (new_size < checkpoint.size and proof is None):
        raise MirrorRejected(
            "SIZE_MISMATCH", f"checkpoint size {checkpoint.size} ≠ {head.size} + {len(leaves)} entries"
        )
    is_trust_log = agency == trust.root_agency
    judge_with = trust.copy() if is_trust_log else trust
    tip = load_tip(store, head)
    last, hashes, seq = tip.last_hash, [], head.size
    try:
        with store.transaction() as conn:
            ctx = Context(conn, head.id, judge_with)
            for seq, data in enumerate(leaves, start=head.size):
                try:
                    leaf = parse_leaf(data, store.hasher)
                    check_chain(leaf, agency, seq, last)
                    spec = kinds.get(leaf.record.kind)
                    if is_trust_log:
                        judge_with.apply(leaf)
                    else:
                        judge_with.judge(leaf, spec.permission(leaf.record))
                except (RecordError, TrustError, RecordRejected) as exc:
                    raise MirrorRejected(getattr(exc, "code", "INVALID"), f"{agency} entry {seq}: {exc}", seq) from exc
                try:
                    spec.check(leaf.record, ctx)
                    spec.apply(leaf.record, ctx)
                except RecordRejected as exc:  # signed by its author, yet breaks a rule: the log is at fault
                    raise _BrokenRule(
                        seq,
                        f"{agency} entry {seq} ({leaf.record.kind}) breaks a rule: {exc.code}: "
                        f"{exc.message_zh} / {exc.message_en}",
                    ) from exc
                hashes.append(leaf.hash)
                last = leaf.hash
            frontier, nodes = tip.frontier.extend(hashes)  # one frontier for the batch, not one per leaf
            root = frontier.root()
            if new_size == checkpoint.size:
                if root != checkpoint.root:
                    raise MirrorRejected("ROOT_MISMATCH", f"{agency}: the entries do not produce the checkpoint's root")
            else:
                try:
                    merkle.verify_consistency(new_size, checkpoint.size, root, checkpoint.root, proof, store.hasher)
                except merkle.ProofError as exc:
                    raise MirrorRejected(
                        "INCONSISTENT", f"{agency}: entries up to {new_size} are not part of the checkpoint: {exc}"
                    ) from exc
            store.insert_batch(head.id, head.size, list(leaves), nodes)
            if new_size == checkpoint.size:
                store.set_head(head.id, checkpoint.size, checkpoint.root, note)
            else:
                store.set_size(head.id, new_size, root)
            for hook in kinds.after_store:
                hook(ctx)
    except _BrokenRule as broken:
        store.set_status(head.id, "invalid", broken.detail)
        raise MirrorRejected("LOG_INVALID", broken.detail, broken.seq) from broken.__cause__
    if is_trust_log:
        trust.adopt(judge_with)
    return Imported(agency, head.size, new_size)

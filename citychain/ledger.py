"""The sequencer: the one writer of this agency's own log.

An append takes a batch of (kind, body), and in one transaction numbers,
chains, checks, signs and stores every record, extends the tree from its right
edge (never recomputing it), and signs one checkpoint for the batch. The
rollback guard file is written before the commit (see `guard`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from . import guard, merkle
from .canonical import CanonicalError
from .checkpoint import Checkpoint, sign_checkpoint
from .clock import Clock, format_time
from .keys import Signer
from .kinds import Context, KindRegistry, RecordRejected
from .records import GENESIS_PREV, Leaf, Record, RecordError, make_leaf
from .store import LogHead, Store
from .trust import TrustError, TrustState


class LedgerUnavailable(RuntimeError):
    """The own log cannot take appends until the operator acts."""


@dataclass(frozen=True)
class Tip:
    """Where the own log ends: enough to append without reading the tree."""

    size: int
    frontier: merkle.Frontier
    last_hash: bytes | None

    @property
    def root(self) -> bytes:
        return self.frontier.root()


@dataclass(frozen=True)
class Appended:
    leaves: tuple[Leaf, ...]
    checkpoint: str
    size: int


def load_tip(store: Store, head: LogHead) -> Tip:
    reader = store.reader(head.id)
    frontier = merkle.Frontier.load(reader, head.size)
    last = reader.node(0, head.size - 1) if head.size else None
    return Tip(head.size, frontier, last)


class OwnLog:
    def __init__(
        self,
        store: Store,
        signer: Signer,
        agency: str,
        origin: str,
        guard_path: Path,
        kinds: KindRegistry,
        trust: Callable[[], TrustState],
        clock: Clock,
    ) -> None:
        self.store = store
        self.signer = signer
        self.agency = agency
        self.origin = origin
        self.guard_path = guard_path
        self.kinds = kinds
        self._trust = trust
        self.clock = clock
        self.head = store.ensure_log(agency, origin, own=True)
        self._broken: str | None = None
        self.tip = self._open()

    def _open(self) -> Tip:
        """Reconcile the database with the guard file; replays a crashed batch.
        After a rollback the node still opens (to read and serve) but will not sign."""
        tip = load_tip(self.store, self.head)
        state = guard.load(self.guard_path)
        reader = self.store.reader(self.head.id)
        try:
            action = guard.reconcile(state, tip.size, tip.root, lambda size: merkle.root_at(reader, size))
        except guard.RollbackDetected as exc:
            self._broken = str(exc)
            return tip
        if action is guard.Reconcile.REPLAY:
            tip = self._replay(tip, state)
        elif action is guard.Reconcile.ADVANCE and tip.size:
            checkpoint = self.store.head(self.agency).checkpoint or ""
            guard.save(self.guard_path, guard.SignedState(self.origin, tip.size, tip.root, checkpoint, tip.size, tip.root, ()))
        return tip

    def _replay(self, tip: Tip, state: guard.SignedState) -> Tip:
        frontier, nodes = tip.frontier, []
        for data in state.batch:
            frontier, new_nodes = frontier.append(merkle.leaf_hash(data))
            nodes.extend(new_nodes)
        if frontier.root() != state.root:
            raise LedgerUnavailable("the guard file's batch does not produce its signed root; the key directory is damaged")
        with self.store.transaction():
            self.store.insert_batch(self.head.id, tip.size, state.batch, nodes)
            self.store.set_head(self.head.id, state.size, state.root, state.checkpoint)
        return Tip(state.size, frontier, merkle.leaf_hash(state.batch[-1]))

    def append(
        self,
        items: Sequence[tuple[str, dict[str, Any]]],
        on_commit: Callable[[Sequence[Leaf]], None] | None = None,
        author: str | None = None,
    ) -> Appended:
        """Append a batch atomically; `on_commit` runs inside the transaction
        (for the audit row), so it commits or rolls back with the batch.
        `author` is the signed-in user's name, for the kind rules."""
        if self._broken:
            raise LedgerUnavailable(self._broken)
        if not items:
            raise ValueError("nothing to append")
        time = format_time(self.clock.now())
        trust = self._trust()
        trial = trust.copy() if self.agency == trust.root_agency else None
        tip = self.tip
        with self.store.transaction() as conn:
            self._check_tip(tip)
            ctx = Context(conn, self.head.id, trial or trust, author)
            leaves, nodes, frontier, last = [], [], tip.frontier, tip.last_hash
            for offset, (kind, body) in enumerate(items):
                record = Record(self.agency, tip.size + offset, last.hex() if last else GENESIS_PREV, time, kind, body)
                leaf = self._admit(record, trial or trust, ctx)
                frontier, new_nodes = frontier.append(leaf.hash)
                nodes.extend(new_nodes)
                leaves.append(leaf)
                last = leaf.hash
            size = tip.size + len(leaves)
            note = sign_checkpoint(Checkpoint(self.origin, size, frontier.root()), self.signer.private_key)
            self._guard_then_store(tip, size, frontier.root(), note, leaves, nodes)
            for hook in self.kinds.after_store:
                hook(ctx)
            if on_commit is not None:
                on_commit(leaves)
        self._broken = None
        self.tip = Tip(size, frontier, last)
        if trial is not None:
            trust.adopt(trial)
        return Appended(tuple(leaves), note, size)

    def refuse(self, reason: str) -> None:
        """Stop signing until the operator acts (or `reload` finds it resolved)."""
        self._broken = reason

    def reload(self) -> None:
        """Re-read the head after the log was changed under us (recovery)."""
        self.head = self.store.head(self.agency)
        self._broken = None
        self.tip = self._open()

    @property
    def refusal(self) -> str | None:
        """Why this log will not sign now, or None."""
        return self._broken

    def _admit(self, record: Record, trust: TrustState, ctx: Context) -> Leaf:
        spec = self.kinds.get(record.kind)
        try:
            leaf = make_leaf(record, self.signer)
        except CanonicalError as exc:
            raise RecordRejected("MALFORMED", f"记录内容格式错误（{exc.path or '/'}）", str(exc), exc.path) from exc
        except RecordError as exc:
            raise RecordRejected(exc.code.upper(), "记录格式错误", str(exc)) from exc
        if len(leaf.data) > spec.max_body_bytes + 1024:
            raise RecordRejected("TOO_LARGE", "记录过大", f"record is {len(leaf.data)} bytes; {record.kind} allows {spec.max_body_bytes}")
        try:
            if record.log == trust.root_agency and record.kind.startswith("trust."):
                trust.apply(leaf)
            else:
                trust.authorise(record, leaf.kid, spec.permission(record))
        except TrustError as exc:
            raise RecordRejected(exc.code, "信任日志不允许此记录", str(exc)) from exc
        spec.check(record, ctx)
        spec.apply(record, ctx)
        return leaf

    def _check_tip(self, tip: Tip) -> None:
        head = self.store.head(self.agency)
        if head.size != tip.size or head.root != tip.root:
            self._broken = "another process changed this log; reopen the node"
            raise LedgerUnavailable(self._broken)

    def _guard_then_store(self, tip: Tip, size: int, root: bytes, note: str, leaves: list[Leaf], nodes) -> None:
        state = guard.SignedState(self.origin, size, root, note, tip.size, tip.root, tuple(l.data for l in leaves))
        try:
            guard.save(self.guard_path, state)
        except OSError as exc:
            raise LedgerUnavailable(f"cannot write the signed-state file: {exc}") from exc
        # From here the checkpoint is signed: if storing fails the batch must be
        # replayed from the guard file before anything else is signed.
        self._broken = "a signed batch was not stored; restart the node to replay it"
        self.store.insert_batch(self.head.id, tip.size, [l.data for l in leaves], nodes)
        self.store.set_head(self.head.id, size, root, note)

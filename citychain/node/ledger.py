"""The sequencer: the one writer of this agency's own log.

An append takes a batch of (kind, body), and in one transaction numbers,
chains, checks, signs and stores every record, extends the tree from its right
edge (never recomputing it), and signs one checkpoint for the batch. The
rollback guard file is written before the commit (see `guard`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citychain.clock import Clock, format_time
from citychain.errors import CityChainError, MessageError
from citychain.log import merkle
from citychain.log.canonical import CanonicalError
from citychain.log.checkpoint import Checkpoint, sign_checkpoint
from citychain.log.keys import Signer
from citychain.log.records import (
    GENESIS_PREV,
    Leaf,
    Record,
    RecordError,
    check_chain,
    make_leaf,
    parse_leaf,
)
from citychain.node import guard
from citychain.node.kinds import Context, KindRegistry, RecordRejected
from citychain.node.store import LogHead, Store
from citychain.node.trust import TrustError, TrustState


class LedgerUnavailable(MessageError, RuntimeError):
    """The own log cannot take appends until the operator acts. `str()` is
    the operator's `reason`; people are told the node cannot write, and why,
    in each language when the reason is the log's refusal (`OwnLog.refuse`)."""

    code = "UNAVAILABLE"

    def __init__(self, reason: str | CityChainError) -> None:
        zh, en = (reason.message_zh, reason.message_en) if isinstance(reason, CityChainError) else (reason, reason)
        super().__init__("本节点暂时不能写入账本：" + zh, "this node cannot write now: " + en)
        self.reason = str(reason)

    def __str__(self) -> str:
        return self.reason


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


StoredHook = Callable[[Sequence[Leaf], "guard.Author | None", str, bool], None]


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
        on_stored: StoredHook | None = None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.agency = agency
        self.origin = origin
        self.guard_path = guard_path
        self.kinds = kinds
        self._trust = trust
        self.clock = clock
        # Runs inside each batch's transaction (the audit row), for appends and replays alike.
        self.on_stored = on_stored
        self.head = store.ensure_log(agency, origin, own=True)
        self._broken: CityChainError | None = None
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
            self._broken = exc
            return tip
        if action is guard.Reconcile.REPLAY:
            return self._replay(tip, state)
        if action is guard.Reconcile.ADVANCE and tip.size:
            checkpoint = self.store.head(self.agency).checkpoint or ""
            guard.save(
                self.guard_path, guard.SignedState(self.origin, tip.size, tip.root, checkpoint, tip.size, tip.root, ())
            )
        return tip

    def _replay(self, tip: Tip, state: guard.SignedState) -> Tip:
        """Store a batch that was signed but not committed through the same
        rules, derived tables and audit row as `append`: a replay that skipped
        them left the derived tables behind the log, and the next append reused
        a certificate id or a receipt code that every peer then rejected."""
        leaves, last = [], tip.last_hash
        try:
            for seq, data in enumerate(state.batch, start=tip.size):
                leaf = parse_leaf(data, self.store.hasher)
                check_chain(leaf, self.agency, seq, last)
                leaves.append(leaf)
                last = leaf.hash
            self._commit(tip, leaves, state.author, state.target, signed=state)
        except (RecordError, RecordRejected, LedgerUnavailable) as exc:
            self._broken = CityChainError(
                "REPLAY_FAILED", f"the signed batch in {self.guard_path.name} cannot be replayed: {exc}"
            )
            return tip
        return self.tip

    def append(
        self, items: Sequence[tuple[str, dict[str, Any]]], author: guard.Author | None = None, target: str = ""
    ) -> Appended:
        """Append a batch atomically. `author` is the signed-in person, for the
        kind rules and the audit row (None for the node's own bootstrap)."""
        if self._broken is not None:
            raise LedgerUnavailable(self._broken)
        if not items:
            raise ValueError("nothing to append")
        time = format_time(self.clock.now())
        tip = self.tip
        leaves, last = [], tip.last_hash
        for offset, (kind, body) in enumerate(items):
            record = Record(self.agency, tip.size + offset, last.hex() if last else GENESIS_PREV, time, kind, body)
            leaves.append(self._make_leaf(record))
            last = leaves[-1].hash
        return self._commit(tip, leaves, author, target)

    def _commit(
        self,
        tip: Tip,
        leaves: list[Leaf],
        author: guard.Author | None,
        target: str,
        signed: guard.SignedState | None = None,
    ) -> Appended:
        """Judge, sign (unless `signed`, a replayed batch), guard and store
        `leaves` in one transaction: the one path every own entry takes."""
        trust = self._trust()
        trial = trust.copy() if self.agency == trust.root_agency else None
        with self.store.transaction() as conn:
            self._check_tip(tip)
            ctx = Context(conn, self.head.id, trial or trust, author.name if author else None)
            frontier, nodes = tip.frontier, []
            for leaf in leaves:
                self._judge(leaf, trial or trust, ctx)
                frontier, new_nodes = frontier.append(leaf.hash)
                nodes.extend(new_nodes)
            size, root = tip.size + len(leaves), frontier.root()
            if signed is None:
                note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer.private_key)
                self._save_guard(
                    guard.SignedState(
                        self.origin, size, root, note, tip.size, tip.root, tuple(l.data for l in leaves), author, target
                    )
                )
            elif root != signed.root:
                raise LedgerUnavailable("the batch does not produce its signed root; the key directory is damaged")
            else:
                note = signed.checkpoint
            self._store(tip, size, root, note, leaves, nodes)
            for hook in self.kinds.after_store:
                hook(ctx)
            if self.on_stored is not None:
                self.on_stored(leaves, author, target, signed is not None)
        self._broken = None
        self.tip = Tip(size, frontier, leaves[-1].hash)
        if trial is not None:
            trust.adopt(trial)
        return Appended(tuple(leaves), note, size)

    def refuse(self, why: CityChainError) -> None:
        """Stop signing until the operator acts (or `reload` finds it resolved);
        `why` keeps its code and both languages for whoever asks to sign."""
        self._broken = why

    def reload(self) -> None:
        """Re-read the head after the log was changed under us (recovery)."""
        self.head = self.store.head(self.agency)
        self._broken = None
        self.tip = self._open()

    @property
    def refused(self) -> CityChainError | None:
        """Why this log will not sign now, or None."""
        return self._broken

    @property
    def refusal(self) -> str | None:
        """`refused` as the status page and the operator read it ("zh / en")."""
        return None if self._broken is None else str(self._broken)

    def _make_leaf(self, record: Record) -> Leaf:
        try:
            return make_leaf(record, self.signer)
        except CanonicalError as exc:
            raise RecordRejected("MALFORMED", f"记录内容格式错误（{exc.path or '/'}）", str(exc), exc.path) from exc
        except RecordError as exc:
            raise RecordRejected(exc.code.upper(), "记录格式错误", str(exc)) from exc

    def _judge(self, leaf: Leaf, trust: TrustState, ctx: Context) -> None:
        """Size, trust and the kind's rules; then the kind's derived tables."""
        record = leaf.record
        spec = self.kinds.get(record.kind)
        if len(leaf.data) > spec.max_body_bytes + 1024:
            raise RecordRejected(
                "TOO_LARGE", "记录过大", f"record is {len(leaf.data)} bytes; {record.kind} allows {spec.max_body_bytes}"
            )
        try:
            if record.log == trust.root_agency and record.kind.startswith("trust."):
                trust.apply(leaf)
            else:
                trust.authorise(record, leaf.kid, spec.permission(record))
        except TrustError as exc:
            raise RecordRejected(exc.code, "信任日志不允许此记录", str(exc)) from exc
        spec.check(record, ctx)
        spec.apply(record, ctx)

    def _check_tip(self, tip: Tip) -> None:
        head = self.store.head(self.agency)
        if head.size != tip.size or head.root != tip.root:
            self._broken = CityChainError("LOG_CHANGED", "another process changed this log; reopen the node")
            raise LedgerUnavailable(self._broken)

    def _save_guard(self, state: guard.SignedState) -> None:
        try:
            guard.save(self.guard_path, state)
        except OSError as exc:
            raise LedgerUnavailable(f"cannot write the signed-state file: {exc}") from exc

    def _store(self, tip: Tip, size: int, root: bytes, note: str, leaves: list[Leaf], nodes) -> None:
        # From here the checkpoint is signed: if storing fails the batch must be
        # replayed from the guard file before anything else is signed.
        self._broken = CityChainError(
            "BATCH_NOT_STORED", "a signed batch was not stored; restart the node to replay it"
        )
        self.store.insert_batch(self.head.id, tip.size, [l.data for l in leaves], nodes)
        self.store.set_head(self.head.id, size, root, note)

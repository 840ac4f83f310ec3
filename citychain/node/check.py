"""`log check`: re-verify everything a node holds, trusting nothing stored.

For every log (the trust log first, so the others are judged against it):
each leaf's canonical form, signature and trust (key window, agency status,
permission) — spread over worker processes, since signatures dominate — then,
in order, the seq/prev chain, every stored tree node level by level, the root
and the signed checkpoint, and the `logs` row's own metadata (origin, own
flag, every stored checkpoint) against the trust log. Last, every table the
record kinds derive is rebuilt from the logs and compared with the node's
(`derived`).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from citychain.log import merkle
from citychain.log.records import GENESIS_PREV, RecordError, parse_leaf
from citychain.node import derived
from citychain.node.home import Config, Home, origin
from citychain.node.kinds import KindRegistry, Plugin, RecordRejected
from citychain.node.mirror import MirrorRejected, log_keys, verify_checkpoint
from citychain.node.store import LogHead, Store
from citychain.node.trust import TrustError, TrustState

CHUNK = 5000
MAX_PROBLEMS = 20


@dataclass
class LogReport:
    agency: str
    size: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("… more problems not shown")


@dataclass
class CheckReport:
    logs: list[LogReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(not log.problems for log in self.logs)

    def lines(self) -> list[str]:
        out = []
        for log in self.logs:
            out.append(f"{'ok  ' if not log.problems else 'FAIL'} {log.agency}: {log.size} entries")
            out.extend(f"     - {p}" for p in log.problems)
            out.extend(f"     · {n}" for n in log.notes)
        out.append("log check: all logs verify" if self.ok else "log check: PROBLEMS FOUND")
        return out


# Worker state, inherited through fork: the trust state and the kinds.
_WORKER: dict = {}


class _InProcess:
    """The pool's `imap`, run here: for a home of fewer entries than two chunks."""

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc) -> None:
        return None

    @staticmethod
    def imap(fn, jobs):
        return map(fn, jobs)


def _verify_chunk(args: tuple[str, int, str, int, int]) -> tuple[int, bytes, list[tuple[int, str]], list[str]]:
    """Parse and judge leaves [start, end); return their hashes and prev links."""
    db_path, log_id, agency, start, end = args
    trust: TrustState = _WORKER["trust"]
    kinds: KindRegistry = _WORKER["kinds"]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    hashes, links, problems = bytearray(), [], []
    hasher = trust.suite.hash
    try:
        rows = conn.execute(
            "SELECT seq, leaf FROM entries WHERE log=? AND seq>=? AND seq<? ORDER BY seq", (log_id, start, end)
        )
        for seq, data in rows:
            try:
                leaf = parse_leaf(data, hasher)
            except RecordError as exc:
                problems.append(f"entry {seq}: {exc}")
                hashes += merkle.leaf_hash(data, hasher)
                links.append((seq, ""))
                continue
            hashes += leaf.hash
            links.append((seq, leaf.record.prev))
            if leaf.record.seq != seq or leaf.record.log != agency:
                problems.append(f"entry {seq}: record says log {leaf.record.log!r} seq {leaf.record.seq}")
            if agency == trust.root_agency:
                continue  # the trust log was replayed in full before the workers started
            try:
                trust.judge(leaf, kinds.get(leaf.record.kind).permission(leaf.record))
            except (TrustError, RecordRejected) as exc:
                problems.append(f"entry {seq}: {exc}")
    finally:
        conn.close()
    return start, bytes(hashes), links, problems


def _replay_trust(store: Store, head: LogHead | None, trust: TrustState, report: LogReport) -> None:
    if head is None:
        return
    for seq, data in enumerate(store.iter_leaves(head.id)):
        try:
            trust.apply(parse_leaf(data, trust.suite.hash))
        except (RecordError, TrustError) as exc:
            report.add(f"trust record {seq}: {exc}")
            return


def _check_chain(links: list[tuple[int, str]], hashes: bytes, size: int, report: LogReport) -> None:
    if len(links) != size:
        report.add(f"the log claims {size} entries but {len(links)} are stored")
    prev = GENESIS_PREV
    for i, (seq, link) in enumerate(links):
        if seq != i:
            report.add(f"entry {i} is missing (next stored is {seq})")
            return
        if link and link != prev:
            report.add(f"entry {seq}: prev does not match the hash of entry {seq - 1}")
        prev = hashes[32 * i : 32 * i + 32].hex()


class _Levels:
    """`merkle.NodeReader` over whole levels held as concatenated hashes."""

    def __init__(self, hasher: merkle.Hasher) -> None:
        self.levels: list[bytes] = []
        self.hasher = hasher  # merkle.hasher_of: roots at any size fold with the city's hash

    def node(self, level: int, index: int) -> bytes:
        found = self.levels[level][32 * index : 32 * index + 32] if level < len(self.levels) else b""
        if len(found) != 32:
            raise LookupError(f"no complete subtree ({level}, {index})")
        return found


def _check_nodes(store: Store, head: LogHead, leaf_hashes: bytes, report: LogReport) -> _Levels:
    """Rebuild every complete subtree level by level, compare with the stored
    nodes, and return the rebuilt levels (a root at any size)."""
    levels, current, hasher = _Levels(store.hasher), leaf_hashes, store.hasher
    while len(current) >= 32:
        levels.levels.append(current)
        level = len(levels.levels) - 1
        stored = b"".join(
            r[0]
            for r in store.conn.execute("SELECT hash FROM nodes WHERE log=? AND level=? ORDER BY idx", (head.id, level))
        )
        if stored != current:
            count = len(current) // 32
            bad = next(
                (i for i in range(count) if stored[32 * i : 32 * i + 32] != current[32 * i : 32 * i + 32]), count
            )
            report.add(f"tree node (level {level}, index {bad}) is missing or wrong")
        nxt = bytearray()
        for i in range(0, len(current) - 63, 64):
            nxt += hasher(b"\x01" + current[i : i + 64]).digest()
        current = bytes(nxt)
    return levels


def _check_head(head: LogHead, levels: _Levels, trust: TrustState, city: str, report: LogReport) -> None:
    if merkle.root_at(levels, head.size) != head.root:
        report.add("the stored root does not match the entries")
    if head.size == 0:
        return
    try:
        checkpoint = verify_checkpoint(head.checkpoint or "", origin(city, head.agency), log_keys(trust, head.agency))
    except MirrorRejected as exc:
        report.add(f"checkpoint: {exc}")
        return
    if checkpoint.size > head.size or merkle.root_at(levels, checkpoint.size) != checkpoint.root:
        report.add(f"the checkpoint (size {checkpoint.size}) does not match the entries (size {head.size})")
    elif checkpoint.size < head.size and head.own:
        report.add(f"the own log holds {head.size} entries but its checkpoint signs only {checkpoint.size}")
    elif checkpoint.size < head.size:
        # Sync stores a long catch-up in pages, each proven consistent with the
        # target checkpoint, and stores that checkpoint only on arrival.
        report.notes.append(
            f"catch-up in progress: {head.size} entries held, the last complete checkpoint (size "
            f"{checkpoint.size}) matches them; the next sync continues from {head.size}"
        )


def check_home(path: Path, plugins: Sequence[Plugin] = (), workers: int | None = None) -> CheckReport:
    home = Home(Path(path))
    config = home.config()
    store = Store(home.db_path, suite=config.suite)  # a file relabelled to another suite is refused
    report = CheckReport()
    try:
        trust = TrustState(config.root_agency, frozenset(config.root_keys))
        heads = sorted(store.heads(), key=lambda h: h.agency != config.root_agency)
        trust_report = LogReport(config.root_agency, 0)
        _replay_trust(store, store.head(config.root_agency), trust, trust_report)
        _WORKER.update(trust=trust, kinds=KindRegistry.with_plugins(plugins))
        # Forking workers costs about a second: worth it from two chunks of entries on.
        (entries,) = store.conn.execute("SELECT COUNT(*) FROM entries").fetchone()
        processes = min(workers or os.cpu_count() or 1, -(-entries // CHUNK))
        starting = multiprocessing.get_context("fork").Pool(processes) if processes > 1 else _InProcess()
        with starting as pool:
            for head in heads:
                log_report = trust_report if head.agency == config.root_agency else LogReport(head.agency, 0)
                log_report.size = head.size
                levels = _check_log(store, head, pool, trust, config.city, log_report)
                _check_metadata(store, head, levels, trust, config, log_report)
                report.logs.append(log_report)
        size = sum(h.size for h in heads)
        report.logs.append(_check_derived(store.path, plugins, trust, size, {r.agency: r for r in report.logs}))
    finally:
        store.close()
    return report


def _check_derived(
    path: Path, plugins: Sequence[Plugin], trust: TrustState, size: int, by_agency: dict[str, LogReport]
) -> LogReport:
    """Rule breaks go to their log's report (or this one, for a log that
    arrived while checking); table differences to their own."""
    found = derived.rederive(path, plugins, trust, limit=MAX_PROBLEMS + 1)
    report = LogReport(f"derived tables ({len(found.tables)})", size)
    for rule in found.broken:
        by_agency.get(rule.agency, report).add(f"entry {rule.seq} breaks a rule: {rule.detail}")
    for difference in found.differences:
        report.add(str(difference))
    return report


def _check_log(store: Store, head: LogHead, pool, trust: TrustState, city: str, report: LogReport) -> _Levels:
    stored = store.conn.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries WHERE log=?", (head.id,)).fetchone()[0]
    end = max(stored, head.size)
    jobs = [(str(store.path), head.id, head.agency, s, min(s + CHUNK, end)) for s in range(0, end, CHUNK)]
    hashes, links = bytearray(), []
    for _, chunk_hashes, chunk_links, problems in pool.imap(_verify_chunk, jobs):
        hashes += chunk_hashes
        links.extend(chunk_links)
        for problem in problems:
            report.add(problem)
    _check_chain(links, bytes(hashes), head.size, report)
    levels = _check_nodes(store, head, bytes(hashes[: 32 * head.size]), report)
    _check_head(head, levels, trust, city, report)
    return levels


def _check_metadata(
    store: Store, head: LogHead, levels: _Levels, trust: TrustState, config: Config, report: LogReport
) -> None:
    """The `logs` row against what the trust log and the stored checkpoints
    give: its origin, whether it is the node's own, its checkpoint; and every
    stored checkpoint against the log's keys and the entries."""
    key = f"agency={head.agency!r}"
    expected = origin(config.city, head.agency)
    if head.origin != expected:
        report.add(str(derived.Difference("logs", key, f"origin={head.origin!r}", f"origin={expected!r}")))
    if head.own != (head.agency == config.agency):
        own = head.agency == config.agency
        report.add(str(derived.Difference("logs", key, f"own={int(head.own)}", f"own={int(own)}")))
    rows = store.conn.execute("SELECT size, note FROM checkpoints WHERE log=? ORDER BY size", (head.id,)).fetchall()
    if head.checkpoint and head.checkpoint not in {note for _, note in rows}:
        report.add(str(derived.Difference("logs", key, "checkpoint=(a note)", "no such stored checkpoint")))
    for size, note in rows:
        try:
            signed = verify_checkpoint(note, expected, log_keys(trust, head.agency))
        except MirrorRejected as exc:
            report.add(f"checkpoints log={head.id}, size={size}: {exc}")
            continue
        if signed.size != size or signed.size > head.size or merkle.root_at(levels, size) != signed.root:
            report.add(f"checkpoints log={head.id}, size={size}: the note signs size {signed.size}, another tree")

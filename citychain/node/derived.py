"""The tables a node derives from its logs, re-proven from the logs alone.

Record kinds keep index tables beside the log (a certificate's status, a
charity's pots). They are caches: `log check` replays every stored log through
the kinds' rules into a scratch database and compares each derived table, row
by row, with the node's own, so a table that drifted from its log (a crash
replay that skipped it, or a hand edit) is reported, not believed. A serving
node runs the same at start-up (`citychain.net.reconcile`); both read the
node's file inside one read transaction, so a node appending meanwhile is
seen at one moment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from citychain.log.records import record_from_json
from citychain.log.suite import DEFAULT
from citychain.node.kinds import Context, KindRegistry, Plugin
from citychain.node.store import SCHEMA as STORE_SCHEMA
from citychain.node.store import LogHead
from citychain.node.trust import TrustState


@dataclass(frozen=True)
class Difference:
    """One row of a derived table that the log does not give (or the reverse)."""

    table: str
    key: str
    stored: str
    replayed: str

    def __str__(self) -> str:
        return f"{self.table} {self.key}: stored {self.stored}, the log gives {self.replayed}"


@dataclass(frozen=True)
class BrokenRule:
    agency: str
    seq: int
    detail: str


@contextmanager
def snapshot(db_path: Path, plugins: Sequence[Plugin]) -> Iterator[sqlite3.Connection]:
    """A scratch in-memory database with the store's and the plug-ins' empty
    tables, and the node's file attached read-only as `stored`, inside one read
    transaction: the replay and the comparison see the same moment of a node
    that may be appending meanwhile."""
    scratch = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        scratch.executescript(STORE_SCHEMA)  # executescript commits: the tables come before the transaction
        for plugin in plugins:
            if plugin.schema is not None:
                plugin.schema(scratch)
        scratch.execute("ATTACH DATABASE ? AS stored", (f"file:{db_path}?mode=ro",))
        scratch.execute("BEGIN")
        try:
            yield scratch
        finally:
            scratch.execute("ROLLBACK")
    finally:
        scratch.close()


def stored_heads(scratch: sqlite3.Connection) -> list[LogHead]:
    """The logs of the attached node file, as its `logs` table says (to be judged)."""
    rows = scratch.execute(
        "SELECT id, agency, origin, own, size, root, checkpoint, status, status_detail FROM stored.logs ORDER BY id"
    )
    return [LogHead(r[0], r[1], r[2], bool(r[3]), *r[4:]) for r in rows]


def _stored_leaves(scratch: sqlite3.Connection, log_id: int, size: int) -> Iterator[bytes]:
    cursor = scratch.execute("SELECT leaf FROM stored.entries WHERE log=? AND seq<? ORDER BY seq", (log_id, size))
    return (data for (data,) in cursor)


def replay(
    scratch: sqlite3.Connection,
    heads: Sequence[LogHead],
    plugins: Sequence[Plugin],
    trust: TrustState,
    on_broken: Callable[[BrokenRule], None],
) -> None:
    """Fill a `snapshot` with what the logs alone give: every log's entries
    judged and applied in order by the plug-ins' own rules (the code a node
    appends and syncs with), with the cross-log hooks after each log."""
    kinds = KindRegistry.with_plugins(plugins)
    if trust.suite is not DEFAULT:  # rules that hash a leaf read the file's suite (store.file_suite)
        scratch.execute("INSERT INTO main.meta (key, value) VALUES ('suite', ?)", (trust.suite.name,))
    scratch.executemany(
        "INSERT INTO main.logs (id, agency, origin, own, size, root) VALUES (?, ?, ?, ?, 0, x'')",
        [(h.id, h.agency, h.origin, int(h.own)) for h in heads],
    )
    for head in heads:
        ctx = Context(scratch, head.id, trust)
        for seq, data in enumerate(_stored_leaves(scratch, head.id, head.size)):
            try:
                # Plain json, not the strict parse_leaf (twice as fast): `log check`'s
                # workers judge every leaf's form and signature; this needs its record.
                record = record_from_json(json.loads(data)["record"])
                spec = kinds.get(record.kind)
                spec.check(record, ctx)
                spec.apply(record, ctx)
            except (ValueError, LookupError, TypeError) as exc:  # RecordError and RecordRejected are ValueErrors
                on_broken(BrokenRule(head.agency, seq, f"{getattr(exc, 'code', 'INVALID')}: {exc}"))
                break  # a node takes nothing past a broken rule; neither does the replay
            scratch.execute("INSERT INTO main.entries (log, seq, leaf) VALUES (?, ?, ?)", (head.id, seq, data))
            scratch.execute("UPDATE main.logs SET size = ? WHERE id = ?", (seq + 1, head.id))
        for hook in kinds.after_store:
            hook(ctx)


def derived_tables(scratch: sqlite3.Connection) -> list[str]:
    """The tables the plug-ins create, not the store's own."""
    core = sqlite3.connect(":memory:")
    try:
        core.executescript(STORE_SCHEMA)
        own = {r[0] for r in core.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        core.close()
    names = scratch.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
    return [name for (name,) in names if name not in own and not name.startswith("sqlite_")]


def differences(scratch: sqlite3.Connection, tables: Sequence[str]) -> Iterator[Difference]:
    """Every row on which the node's derived tables and the replay disagree."""
    for table in tables:
        yield from _table_differences(scratch, table)


def _table_differences(conn: sqlite3.Connection, table: str) -> Iterator[Difference]:
    info = conn.execute(f'PRAGMA main.table_info("{table}")').fetchall()
    columns = [row[1] for row in info]
    keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]] or columns
    listed = ", ".join(f'"{c}"' for c in columns)
    if conn.execute("SELECT 1 FROM stored.sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is None:
        yield Difference(table, "(table)", "missing", "present")
        return

    def only(left: str, right: str) -> dict[tuple, tuple]:
        rows = conn.execute(f'SELECT {listed} FROM {left}."{table}" EXCEPT SELECT {listed} FROM {right}."{table}"')
        return {tuple(row[columns.index(k)] for k in keys): row for row in rows}

    stored, replayed = only("stored", "main"), only("main", "stored")
    for key in sorted(stored.keys() | replayed.keys(), key=repr):
        label = ", ".join(f"{k}={v!r}" for k, v in zip(keys, key))
        mine, theirs = stored.get(key), replayed.get(key)
        if mine is None or theirs is None:
            yield Difference(table, label, _row_text(columns, mine), _row_text(columns, theirs))
            continue
        changed = [i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
        yield Difference(
            table,
            label,
            ", ".join(f"{columns[i]}={mine[i]!r}" for i in changed),
            ", ".join(f"{columns[i]}={theirs[i]!r}" for i in changed),
        )


def _row_text(columns: Sequence[str], row: tuple | None) -> str:
    if row is None:
        return "no row"
    return "{" + ", ".join(f"{c}={_short(v)}" for c, v in zip(columns, row)) + "}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


@dataclass(frozen=True)
class Rederived:
    """What one replay found: the derived tables, their differing rows, and
    the entries that break a rule (a node takes nothing past one)."""

    tables: tuple[str, ...]
    differences: tuple[Difference, ...]
    broken: tuple[BrokenRule, ...]


def rederive(db_path: Path, plugins: Sequence[Plugin], trust: TrustState, limit: int = 1000) -> Rederived:
    """Replay the node file's logs into a scratch database through the
    plug-ins' own rules and compare every derived table with the node's
    (at most `limit` differences are kept)."""
    broken: list[BrokenRule] = []
    with snapshot(db_path, plugins) as scratch:
        replay(scratch, stored_heads(scratch), plugins, trust, broken.append)
        tables = derived_tables(scratch)
        found = tuple(islice(differences(scratch, tables), limit))
    return Rederived(tuple(tables), found, tuple(broken))

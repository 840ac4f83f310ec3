"""The node's SQLite file: every log it holds, their trees and checkpoints.

One file per node, WAL mode, `synchronous=FULL` (every batch publishes a
checkpoint). Transactions are explicit (`BEGIN IMMEDIATE`), so a batch, its
tree nodes, its checkpoint and its audit row commit together or not at all.
Leaves live in a rowid table (large blobs); tree nodes in a WITHOUT ROWID table
keyed by (log, level, index), one row per complete subtree, so a proof for any
size the log ever had is a handful of primary-key lookups.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from citychain.log import merkle
from citychain.log.suite import DEFAULT, Suite, SuiteProblem, named

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    agency TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    own INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    root BLOB NOT NULL,
    checkpoint TEXT,
    status TEXT NOT NULL DEFAULT 'ok',
    status_detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS entries (
    log INTEGER NOT NULL REFERENCES logs(id),
    seq INTEGER NOT NULL,
    leaf BLOB NOT NULL,
    PRIMARY KEY (log, seq)
);
CREATE TABLE IF NOT EXISTS nodes (
    log INTEGER NOT NULL,
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (log, level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    log INTEGER NOT NULL,
    size INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (log, size)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS witnessed (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS forks (
    id INTEGER PRIMARY KEY,
    agency TEXT NOT NULL,
    detected TEXT NOT NULL,
    source TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS peers (
    url TEXT PRIMARY KEY,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class LogHead:
    id: int
    agency: str
    origin: str
    own: bool
    size: int
    root: bytes
    checkpoint: str | None
    status: str
    status_detail: str


def connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False: the writer connection is shared by the node's
    # threads (sync loop, API handlers), always under the node's lock.
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Appends touch the right edge of three B-trees; a larger page cache keeps
    # their upper levels in memory as the log grows (default is only 2 MB).
    conn.execute("PRAGMA cache_size=-32768")
    return conn


class SqliteNodes:
    """`merkle.NodeReader` over the nodes table of one log."""

    def __init__(self, conn: sqlite3.Connection, log_id: int, hasher: merkle.Hasher = DEFAULT.hash) -> None:
        self._conn = conn
        self._log = log_id
        self.hasher = hasher  # what proofs built from these nodes hash with (merkle.hasher_of)

    def node(self, level: int, index: int) -> bytes:
        row = self._conn.execute(
            "SELECT hash FROM nodes WHERE log=? AND level=? AND idx=?", (self._log, level, index)
        ).fetchone()
        if row is None:
            raise LookupError(f"no tree node ({level}, {index}) in log {self._log}")
        return row[0]

    def nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(level, index) for level, index in coords]


def file_suite(conn: sqlite3.Connection) -> Suite:
    """The suite a node's file is in (`meta`; none recorded: Ed25519/SHA-256), for
    code that holds a connection rather than a Store (rules, derived tables)."""
    row = conn.execute("SELECT value FROM meta WHERE key='suite'").fetchone()
    return named(row[0]) if row else DEFAULT


def set_log_status(conn: sqlite3.Connection, log_id: int, status: str, detail: str) -> None:
    """ok, forked or invalid (with what and why): a log not ok takes nothing more in."""
    conn.execute("UPDATE logs SET status=?, status_detail=? WHERE id=?", (status, detail, log_id))


class Store:
    def __init__(self, path: Path, create: bool = True, suite: Suite | None = None) -> None:
        """`create=False` for a reader of a node's file: the node made the tables,
        and a reader that made a missing one again would write (and hide a fault).

        The file's suite (its tree hash) is in `meta`: a node passes its city's
        suite, written into a new file and checked against an existing one;
        readers take what the file says (no `suite` row: Ed25519/SHA-256)."""
        self.path = Path(path)
        self.conn = connect(self.path)
        self.db = sqlite_utils.Database(self.conn)
        if create:
            self.conn.executescript(SCHEMA)
        self.suite = self._suite(suite)
        self.hasher = self.suite.hash

    def _suite(self, wanted: Suite | None) -> Suite:
        try:
            stored = self.get_meta("suite")
        except sqlite3.OperationalError:  # a reader before the node made its tables
            stored = None
        if wanted is not None and stored is None and wanted is not DEFAULT:
            if self.conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone():
                raise SuiteProblem(
                    "节点数据库已有日志，不能改用另一密码套件", f"{self.path} already holds logs of another suite"
                )
            self.set_meta("suite", wanted.name)
            stored = wanted.name
        suite = named(stored) if stored else DEFAULT
        if wanted is not None and suite is not wanted:
            raise SuiteProblem(
                f"节点数据库的密码套件 {suite.name} 与城市的 {wanted.name} 不符",
                f"{self.path} is a {suite.name} file, but the city's suite is {wanted.name}",
            )
        return suite

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time (IMMEDIATE); all or nothing."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- logs -------------------------------------------------------------
    def heads(self) -> list[LogHead]:
        rows = self.conn.execute(
            "SELECT id, agency, origin, own, size, root, checkpoint, status, status_detail FROM logs ORDER BY id"
        )
        return [LogHead(r[0], r[1], r[2], bool(r[3]), *r[4:]) for r in rows]

    def head(self, agency: str) -> LogHead | None:
        return next((h for h in self.heads() if h.agency == agency), None)

    def ensure_log(self, agency: str, origin: str, own: bool = False) -> LogHead:
        head = self.head(agency)
        if head is None:
            self.conn.execute(
                "INSERT INTO logs (agency, origin, own, size, root) VALUES (?, ?, ?, 0, ?)",
                (agency, origin, int(own), merkle.empty_root(self.hasher)),
            )
            head = self.head(agency)
        return head

    def set_head(self, log_id: int, size: int, root: bytes, checkpoint: str) -> None:
        self.conn.execute("UPDATE logs SET size=?, root=?, checkpoint=? WHERE id=?", (size, root, checkpoint, log_id))
        self.conn.execute(
            "INSERT OR REPLACE INTO checkpoints (log, size, note) VALUES (?, ?, ?)", (log_id, size, checkpoint)
        )

    def set_size(self, log_id: int, size: int, root: bytes) -> None:
        """Entries past the last complete checkpoint (a catch-up in progress)."""
        self.conn.execute("UPDATE logs SET size=?, root=? WHERE id=?", (size, root, log_id))

    def update_checkpoint_note(self, log_id: int, size: int, note: str) -> None:
        """The same checkpoint with more co-signatures."""
        self.conn.execute("UPDATE logs SET checkpoint=? WHERE id=? AND size=?", (note, log_id, size))
        self.conn.execute("UPDATE checkpoints SET note=? WHERE log=? AND size=?", (note, log_id, size))

    def set_status(self, log_id: int, status: str, detail: str) -> None:
        set_log_status(self.conn, log_id, status, detail)

    # -- entries and tree -------------------------------------------------
    def insert_batch(
        self, log_id: int, first_seq: int, leaves: Sequence[bytes], nodes: Sequence[tuple[int, int, bytes]]
    ) -> None:
        self.conn.executemany(
            "INSERT INTO entries (log, seq, leaf) VALUES (?, ?, ?)",
            ((log_id, first_seq + i, data) for i, data in enumerate(leaves)),
        )
        self.conn.executemany(
            "INSERT INTO nodes (log, level, idx, hash) VALUES (?, ?, ?, ?)",
            ((log_id, level, idx, h) for level, idx, h in nodes),
        )

    def leaves(self, log_id: int, start: int, end: int) -> list[bytes]:
        return list(self.iter_leaves(log_id, start, end))

    def iter_leaves(self, log_id: int, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        end = end if end is not None else 1 << 62
        for (data,) in self.conn.execute(
            "SELECT leaf FROM entries WHERE log=? AND seq>=? AND seq<? ORDER BY seq", (log_id, start, end)
        ):
            yield data

    def node_range(self, log_id: int, level: int, start: int, end: int) -> list[bytes]:
        """The hashes of perfect subtrees (level, start…end−1) in order, in one
        query (a tlog tile); LookupError unless all of them exist."""
        rows = self.conn.execute(
            "SELECT hash FROM nodes WHERE log=? AND level=? AND idx>=? AND idx<? ORDER BY idx",
            (log_id, level, start, end),
        ).fetchall()
        if len(rows) != end - start:
            raise LookupError(f"log {log_id} lacks tree nodes at level {level} in [{start}, {end})")
        return [row[0] for row in rows]

    def reader(self, log_id: int) -> SqliteNodes:
        return SqliteNodes(self.conn, log_id, self.hasher)

    def checkpoint_at(self, log_id: int, size: int) -> str | None:
        row = self.conn.execute("SELECT note FROM checkpoints WHERE log=? AND size=?", (log_id, size)).fetchone()
        return row[0] if row else None

    # -- meta -------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

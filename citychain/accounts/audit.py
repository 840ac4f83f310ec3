"""The node's audit trail: who did what, append-only and hash-chained.

Personal data never goes into a row. `target` and `detail` carry ids, kinds,
counts and sequence numbers only — never names, ID numbers, addresses or
record bodies — because the trail outlives any record's retention period and
is shown to auditors who may not see private data.

Two layers keep the trail honest. SQLite triggers abort any UPDATE or DELETE,
so no code sharing the database can rewrite it by accident. Each row's `hash`
covers its fields and the previous row's hash, so someone who drops the
triggers (or edits the file) and changes or removes a row is caught by
`verify`. Cutting rows off the end is only visible against a head
(`AuditTrail.head`) noted somewhere else.

Transactions: `record` joins a transaction the caller already has open and
never commits it, so a business write and its audit row commit or roll back
together. With no transaction open it runs its own `BEGIN IMMEDIATE … COMMIT`.
Open the transaction *before* calling `record` (with `atomic(conn)`, the
store's `transaction()`, or an explicit `BEGIN IMMEDIATE`) — under Python's
default isolation a bare `with conn:` has not begun one until its first write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlite_utils

from citychain.clock import Clock, SystemClock, format_time, parse_time
from citychain.errors import MessageError

GENESIS = "0" * 64  # prev_hash of the first row
OUTCOMES = ("ok", "denied", "failed")
NODE_USER, NODE_ROLE = "(node)", "system"  # rows written with no signed-in user
MAX_DETAIL = 4096  # characters of detail JSON; ids and counts fit easily
MAX_QUERY = 10_000
_FIELDS = ("time", "user", "role", "action", "outcome", "target", "detail")
_APPEND_ONLY = "审计记录只能追加 / the audit trail is append-only"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL UNIQUE
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
)


class Actor(Protocol):
    """Anything with a name and a role (a signed-in `users.User`)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


class AuditError(MessageError, ValueError):
    """An audit detail the trail will not hold, in both languages."""

    code = "BAD_AUDIT_DETAIL"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh, message_en)


class AuditTampered(AuditError):
    code = "AUDIT_TAMPERED"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("审计链校验失败", "the audit trail does not verify: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AuditHead:
    """Row count and newest hash; note it elsewhere to catch a cut-off tail."""

    size: int
    hash: str


@contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Join the caller's open transaction, or run our own IMMEDIATE one.

    IMMEDIATE takes the write lock before we read the chain head, so two
    writers cannot both extend the same row.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def encode(value: Mapping[str, Any]) -> str:
    """The row encoding hashed and stored (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def row_hash(fields: Mapping[str, str], prev_hash: str) -> str:
    """hex SHA-256 over the row's fields and the previous row's hash."""
    material = {name: fields[name] for name in _FIELDS} | {"prev_hash": prev_hash}
    return hashlib.sha256(encode(material).encode("utf-8")).hexdigest()


def _detail_text(detail: Mapping[str, Any] | None) -> str:
    if detail is None:
        return "{}"
    if not isinstance(detail, Mapping):
        raise TypeError("audit detail must be a mapping of ids and counts")
    try:
        text = encode(detail)
    except (TypeError, ValueError) as exc:
        raise AuditError("审计详情必须是 JSON", f"audit detail must be plain JSON: {exc}") from None
    if len(text) > MAX_DETAIL:
        raise AuditError("审计详情过长", f"audit detail is over {MAX_DETAIL} characters; record ids, not data")
    return text


def _since_text(since: datetime | str) -> str:
    return format_time(since) if isinstance(since, datetime) else format_time(parse_time(since))


class AuditTrail:
    def __init__(self, db: sqlite_utils.Database, clock: Clock | None = None) -> None:
        self.conn: sqlite3.Connection = db.conn
        self.clock = clock or SystemClock()
        with atomic(self.conn):
            for statement in SCHEMA:
                self.conn.execute(statement)

    def record(
        self,
        user: Actor | None,
        action: str,
        outcome: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> str:
        """Append one row and return its hash. `user=None` means the node itself.

        Joins an open transaction without committing it (see the module notes).
        `target` and `detail` hold ids only, never personal data.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"audit outcome must be one of {OUTCOMES}, not {outcome!r}")
        if not isinstance(action, str) or not action:
            raise ValueError("audit action must be a non-empty string")
        if not isinstance(target, str):
            raise TypeError("audit target must be a string id")
        fields = {
            "time": format_time(now or self.clock.now()),
            "user": str(user.name) if user is not None else NODE_USER,
            "role": str(user.role) if user is not None else NODE_ROLE,
            "action": action,
            "outcome": outcome,
            "target": target,
            "detail": _detail_text(detail),
        }
        with atomic(self.conn):
            prev = self._last_hash()
            digest = row_hash(fields, prev)
            self.conn.execute(
                "INSERT INTO audit (time, user, role, action, outcome, target, detail, prev_hash, hash) "
                "VALUES (:time, :user, :role, :action, :outcome, :target, :detail, :prev_hash, :hash)",
                fields | {"prev_hash": prev, "hash": digest},
            )
        return digest

    def _last_hash(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS

    def head(self) -> AuditHead:
        size, last = self.conn.execute(  # one statement, so one snapshot
            "SELECT (SELECT COUNT(*) FROM audit), (SELECT hash FROM audit ORDER BY id DESC LIMIT 1)"
        ).fetchone()
        return AuditHead(size, last or GENESIS)

    def query(
        self,
        since: datetime | str | None = None,
        user: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Newest rows first, `detail` decoded. Callers check `audit.read` first."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY:
            raise ValueError(f"limit must be between 1 and {MAX_QUERY}")
        where, params = [], []
        for column, value in (("user", user), ("action", action), ("outcome", outcome)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("time >= ?")
            params.append(_since_text(since))
        sql = "SELECT id, time, user, role, action, outcome, target, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        cursor = self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor]
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows

    def verify(self) -> list[str]:
        """Problems with the chain, oldest first; empty when it holds."""
        problems, prev = [], GENESIS
        columns = ("id", *_FIELDS, "prev_hash", "hash")
        for values in self.conn.execute(f"SELECT {', '.join(columns)} FROM audit ORDER BY id"):
            row = dict(zip(columns, values))
            if row["prev_hash"] != prev:
                problems.append(
                    f"审计行 {row['id']} 与前一行不相连 / audit row {row['id']} does not follow the row before it "
                    "(a row was removed, inserted or changed)"
                )
            if row["hash"] != row_hash(row, row["prev_hash"]):
                problems.append(f"审计行 {row['id']} 被修改 / audit row {row['id']} was changed")
            prev = row["hash"]
        return problems

    def check(self) -> None:
        """`verify`, raising `AuditTampered` instead of returning problems."""
        problems = self.verify()
        if problems:
            raise AuditTampered(problems)

"""The node's audit trail: who did what, append-only and hash-chained.

Rows never hold personal data: callers pass ids and counts only. Triggers make
the table append-only for any code using the database; the hash chain makes
tampering by anyone who drops the triggers visible to `verify`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import sqlite_utils

from .clock import Clock, SystemClock, format_time

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""
GENESIS = "0" * 64
_FIELDS = ("time", "user", "role", "action", "outcome", "target", "detail")


def row_hash(row: dict[str, Any], prev_hash: str) -> str:
    material = {name: row[name] for name in _FIELDS} | {"prev_hash": prev_hash}
    data = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


class AuditTrail:
    def __init__(self, db: sqlite_utils.Database, clock: Clock | None = None) -> None:
        self.conn: sqlite3.Connection = db.conn
        self.clock = clock or SystemClock()
        self.conn.executescript(SCHEMA)

    def record(
        self, user, action: str, outcome: str, target: str = "", detail: dict | None = None
    ) -> None:
        """Add a row. Inside a caller's transaction it commits with it; outside
        one it is its own (autocommit) statement."""
        last = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        row = {
            "time": format_time(self.clock.now()),
            "user": user.name if user else "(node)",
            "role": user.role if user else "system",
            "action": action,
            "outcome": outcome,
            "target": target,
            "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
        }
        prev = last[0] if last else GENESIS
        self.conn.execute(
            "INSERT INTO audit (time, user, role, action, outcome, target, detail, prev_hash, hash) "
            "VALUES (:time, :user, :role, :action, :outcome, :target, :detail, :prev, :hash)",
            row | {"prev": prev, "hash": row_hash(row, prev)},
        )

    def query(self, user: str | None = None, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, params = [], []
        if user:
            where.append("user = ?")
            params.append(user)
        if action:
            where.append("action = ?")
            params.append(action)
        sql = "SELECT id, time, user, role, action, outcome, target, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        cursor = self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def verify(self) -> list[str]:
        """Problems with the chain, oldest first; empty when it holds."""
        problems, prev = [], GENESIS
        rows = self.conn.execute(f"SELECT id, {', '.join(_FIELDS)}, prev_hash, hash FROM audit ORDER BY id")
        for row in rows:
            values = dict(zip(("id", *_FIELDS, "prev_hash", "hash"), row))
            if values["prev_hash"] != prev or values["hash"] != row_hash(values, prev):
                problems.append(f"audit row {values['id']} was changed or a row before it was removed")
            prev = values["hash"]
        return problems

"""The audit trail on real SQLite files: chaining, append-only, atomic with business writes."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from citychain.accounts.audit import (
    GENESIS,
    AuditError,
    AuditHead,
    AuditTampered,
    AuditTrail,
    atomic,
)
from citychain.accounts.users import Role, User
from citychain.clock import FakeClock

CLERK = User("clerk", "Clerk", Role.CLERK)
AUDITOR = User("auditor", "Auditor", Role.AUDITOR)
T0 = datetime(2026, 3, 1, 8, 0, 0, 123_456, tzinfo=UTC)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "node.sqlite"


@pytest.fixture
def db(path) -> sqlite_utils.Database:
    database = sqlite_utils.Database(path)
    database.enable_wal()
    database.conn.execute("CREATE TABLE certificates (id TEXT PRIMARY KEY)")
    database.conn.commit()
    return database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def trail(db, clock) -> AuditTrail:
    return AuditTrail(db, clock)


def fill(trail: AuditTrail, clock: FakeClock) -> None:
    trail.record(None, "node.start", "ok")
    clock.advance(seconds=1)
    trail.record(CLERK, "certificate.issue", "ok", target="cert-1", detail={"seq": 7, "kinds": ["certificate.issued"]})
    clock.advance(seconds=1)
    trail.record(CLERK, "certificate.revoke", "denied", target="cert-1")
    clock.advance(seconds=1)
    trail.record(AUDITOR, "audit.read", "ok", detail={"rows": 3})


def rows(conn: sqlite3.Connection) -> list[dict]:
    cursor = conn.execute("SELECT * FROM audit ORDER BY id")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def tampered_copy(db, tmp_path, *statements: str) -> AuditTrail:
    """A byte copy of the database, triggers dropped, then edited."""
    copy_path = tmp_path / "copy.sqlite"
    with sqlite3.connect(copy_path) as copy:
        db.conn.backup(copy)
    copy = sqlite3.connect(copy_path, isolation_level=None)
    copy.execute("DROP TRIGGER audit_no_update")
    copy.execute("DROP TRIGGER audit_no_delete")
    for statement in statements:
        copy.execute(statement)
    copy.close()
    return AuditTrail(sqlite_utils.Database(copy_path))


# -- the row format and chain ----------------------------------------------------
def test_rows_chain_from_genesis_and_each_hash_is_sha256_of_the_row(db, trail, clock):
    fill(trail, clock)
    stored = rows(db.conn)
    assert [r["id"] for r in stored] == [1, 2, 3, 4]
    prev = GENESIS
    for row in stored:
        assert row["prev_hash"] == prev
        material = {k: row[k] for k in ("time", "user", "role", "action", "outcome", "target", "detail")}
        material["prev_hash"] = prev
        encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row["hash"] == hashlib.sha256(encoded.encode("utf-8")).hexdigest()
        prev = row["hash"]
    assert trail.verify() == []
    trail.check()
    assert trail.head() == AuditHead(4, prev)


def test_row_fields_time_user_role_and_detail(db, trail, clock):
    fill(trail, clock)
    first, second = rows(db.conn)[:2]
    assert first["time"] == "2026-03-01T08:00:00.123Z"
    assert (first["user"], first["role"], first["target"], first["detail"]) == ("(node)", "system", "", "{}")
    assert second["time"] == "2026-03-01T08:00:01.123Z"
    assert (second["user"], second["role"], second["outcome"]) == ("clerk", "clerk", "ok")
    assert second["detail"] == '{"kinds":["certificate.issued"],"seq":7}'
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in rows(db.conn))


def test_an_explicit_time_overrides_the_clock(db, trail):
    trail.record(CLERK, "certificate.issue", "ok", now=datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC))
    assert rows(db.conn)[0]["time"] == "2026-01-02T03:04:05.006Z"


def test_bad_rows_are_refused(trail):
    with pytest.raises(ValueError):
        trail.record(CLERK, "certificate.issue", "maybe")
    with pytest.raises(ValueError):
        trail.record(CLERK, "", "ok")
    with pytest.raises(AuditError):
        trail.record(CLERK, "certificate.issue", "ok", detail={"ids": {1, 2}})
    with pytest.raises(AuditError):
        trail.record(CLERK, "certificate.issue", "ok", detail={"x": float("nan")})
    with pytest.raises(AuditError, match="record ids, not data"):
        trail.record(CLERK, "certificate.issue", "ok", detail={"body": "x" * 5000})
    assert trail.head() == AuditHead(0, GENESIS)


# -- append-only -------------------------------------------------------------------
def test_update_and_delete_are_refused_even_to_other_code(path, trail, clock):
    fill(trail, clock)
    other = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        other.execute("UPDATE audit SET outcome = 'ok' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        other.execute("DELETE FROM audit WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        other.execute("DELETE FROM audit")
    other.close()
    assert len(rows(trail.conn)) == 4 and trail.verify() == []


def test_a_changed_row_is_caught_in_a_copy_with_the_triggers_dropped(db, tmp_path, trail, clock):
    fill(trail, clock)
    copy = tampered_copy(db, tmp_path, "UPDATE audit SET outcome = 'ok' WHERE id = 3")
    problems = copy.verify()
    assert len(problems) == 1 and "audit row 3 was changed" in problems[0]
    with pytest.raises(AuditTampered) as caught:
        copy.check()
    assert caught.value.problems == problems and "审计" in caught.value.message_zh


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(db, tmp_path, trail, clock):
    fill(trail, clock)
    row = rows(db.conn)[1]
    row["target"] = "cert-2"
    material = {k: row[k] for k in ("time", "user", "role", "action", "outcome", "target", "detail", "prev_hash")}
    forged = hashlib.sha256(
        json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    copy = tampered_copy(db, tmp_path, f"UPDATE audit SET target = 'cert-2', hash = '{forged}' WHERE id = 2")
    problems = copy.verify()
    assert len(problems) == 1 and "audit row 3 does not follow" in problems[0]


def test_a_removed_row_is_caught(db, tmp_path, trail, clock):
    fill(trail, clock)
    problems = tampered_copy(db, tmp_path, "DELETE FROM audit WHERE id = 2").verify()
    assert len(problems) == 1 and "audit row 3 does not follow" in problems[0]


# -- transactions --------------------------------------------------------------------
def test_a_row_recorded_inside_a_rolled_back_transaction_is_gone(path, db, trail):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        with db.conn:
            db.conn.execute("INSERT INTO certificates VALUES ('cert-1')")
            trail.record(CLERK, "certificate.issue", "ok", target="cert-1")
            raise Refused
    assert rows(db.conn) == []
    assert db.conn.execute("SELECT COUNT(*) FROM certificates").fetchone()[0] == 0
    with db.conn:
        db.conn.execute("INSERT INTO certificates VALUES ('cert-1')")
        trail.record(CLERK, "certificate.issue", "ok", target="cert-1")
    other = sqlite3.connect(path)
    assert other.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1
    assert other.execute("SELECT COUNT(*) FROM certificates").fetchone()[0] == 1
    assert trail.verify() == []


def test_atomic_joins_a_store_style_explicit_transaction(path, trail):
    conn = sqlite3.connect(path, isolation_level=None)  # how the node's Store connects
    store_trail = AuditTrail(sqlite_utils.Database(conn))
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO certificates VALUES ('cert-1')")
    store_trail.record(CLERK, "certificate.issue", "ok")
    assert conn.in_transaction  # record did not commit the caller's transaction
    conn.execute("ROLLBACK")
    assert rows(conn) == []
    with atomic(conn):
        conn.execute("INSERT INTO certificates VALUES ('cert-2')")
        store_trail.record(CLERK, "certificate.issue", "ok", target="cert-2")
    assert [r["target"] for r in rows(trail.conn)] == ["cert-2"]


def test_outside_a_transaction_a_row_commits_by_itself(path, db, trail):
    trail.record(CLERK, "certificate.issue", "ok")
    assert not db.conn.in_transaction
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1


def test_two_connections_writing_in_turn_keep_one_chain(path, trail):
    second = AuditTrail(sqlite_utils.Database(path))
    for i in range(6):
        (trail if i % 2 else second).record(CLERK, "certificate.issue", "ok", target=f"cert-{i}")
    assert trail.verify() == [] and second.head() == trail.head() and trail.head().size == 6


# -- reading ---------------------------------------------------------------------------
def test_query_filters_newest_first(trail, clock):
    fill(trail, clock)
    assert [r["id"] for r in trail.query()] == [4, 3, 2, 1]
    assert [r["action"] for r in trail.query(user="clerk")] == ["certificate.revoke", "certificate.issue"]
    assert [r["id"] for r in trail.query(action="certificate.issue")] == [2]
    assert [r["id"] for r in trail.query(outcome="denied")] == [3]
    assert [r["id"] for r in trail.query(since=T0 + timedelta(seconds=2))] == [4, 3]
    assert [r["id"] for r in trail.query(since="2026-03-01T08:00:01.123Z")] == [4, 3, 2]
    assert [r["id"] for r in trail.query(limit=2)] == [4, 3]
    assert trail.query(action="certificate.issue")[0]["detail"] == {"kinds": ["certificate.issued"], "seq": 7}
    with pytest.raises(ValueError):
        trail.query(since="yesterday")
    with pytest.raises(ValueError):
        trail.query(limit=0)

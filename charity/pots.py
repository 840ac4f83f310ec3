"""Money lines: where every fen of a fund or a project is, as ranges.

A *pot* (a fund or a project) has a line of fen positions, numbered in the
order money came in: a fund's line is its donations in log order, a project's
its allocations in log order. Positions are never reused or renumbered. At any
moment each position is either **free** (a fund's unallocated money, a
project's unreserved money) or **used** by exactly one record (an allocation,
refund, disbursement request, expenditure or reversal).

- `take_lowest` — FIFO: the oldest free positions go first.
- `take_highest_within` — the newest free positions inside one range (a
  refund takes the refunded donation's own newest unallocated fen).
- `release` — a cancelled or reversed record's positions become free again,
  in place, so they are again the oldest free money.

Free ranges are kept merged (maximal), uses are kept as taken; both tables are
keyed by (log, pot, start), so "what lies on [lo, hi)" is one index seek and a
short ordered scan, whatever the length of the log. The charity rules and the
trace are written on top of these few functions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS charity_pots (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    line_end INTEGER NOT NULL DEFAULT 0,
    free INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_free (
    log INTEGER NOT NULL,
    pot TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    PRIMARY KEY (log, pot, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_uses (
    log INTEGER NOT NULL,
    pot TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    holder TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_start INTEGER,
    PRIMARY KEY (log, pot, start)
);
CREATE INDEX IF NOT EXISTS charity_uses_by_holder ON charity_uses (log, holder);
"""


@dataclass(frozen=True)
class Use:
    """Positions [start, end) of a pot, held by record `holder` (a `kind`); for an
    allocation, `target_start` is where the piece begins on the project's line."""

    start: int
    end: int
    holder: str
    kind: str
    target_start: int | None

    def clip(self, lo: int, hi: int) -> Use:
        start, end = max(self.start, lo), min(self.end, hi)
        target = None if self.target_start is None else self.target_start + (start - self.start)
        return Use(start, end, self.holder, self.kind, target)

    @property
    def size(self) -> int:
        return self.end - self.start


def create_pot(conn: sqlite3.Connection, log: int, pot: str) -> None:
    conn.execute("INSERT INTO charity_pots (log, id) VALUES (?, ?)", (log, pot))


def balance(conn: sqlite3.Connection, log: int, pot: str) -> int:
    """Free fen in the pot (0 for a pot that does not exist)."""
    row = conn.execute("SELECT free FROM charity_pots WHERE log=? AND id=?", (log, pot)).fetchone()
    return row[0] if row else 0


def add_inflow(conn: sqlite3.Connection, log: int, pot: str, amount: int) -> int:
    """Money comes in at the end of the line; returns where it starts."""
    (start,) = conn.execute("SELECT line_end FROM charity_pots WHERE log=? AND id=?", (log, pot)).fetchone()
    conn.execute(
        "UPDATE charity_pots SET line_end = line_end + ?, free = free + ? WHERE log=? AND id=?",
        (amount, amount, log, pot),
    )
    _add_free(conn, log, pot, start, start + amount)
    return start


def take_lowest(
    conn: sqlite3.Connection, log: int, pot: str, amount: int, holder: str, kind: str, target_start: int | None = None
) -> list[Use]:
    """FIFO: use the oldest free `amount` fen. `target_start` (allocations) maps
    the pieces, in order, onto a project line from that position."""
    taken: list[Use] = []
    need = amount
    rows = conn.execute("SELECT start, end FROM charity_free WHERE log=? AND pot=? ORDER BY start", (log, pot))
    for start, end in rows:
        take = min(need, end - start)
        target = None if target_start is None else target_start + (amount - need)
        taken.append(Use(start, start + take, holder, kind, target))
        need -= take
        if need == 0:
            break
    rows.close()
    if need:
        raise ValueError(f"pot {pot!r} holds less than {amount} fen")
    for use in taken:
        _remove_free(conn, log, pot, use.start, use.end)
    _record_uses(conn, log, pot, taken, amount)
    return taken


def take_highest_within(
    conn: sqlite3.Connection, log: int, pot: str, lo: int, hi: int, amount: int, holder: str, kind: str
) -> list[Use]:
    """Use the newest `amount` free fen inside [lo, hi)."""
    taken: list[Use] = []
    need = amount
    for start, end in reversed(_overlapping(conn, "charity_free", "start, end", log, pot, lo, hi)):
        top, bottom = min(end, hi), max(start, lo)
        take = min(need, top - bottom)
        if take > 0:
            taken.append(Use(top - take, top, holder, kind, None))
            need -= take
        if need == 0:
            break
    if need:
        raise ValueError(f"pot {pot!r} holds less than {amount} free fen in [{lo}, {hi})")
    for use in taken:
        _remove_free(conn, log, pot, use.start, use.end)
    _record_uses(conn, log, pot, taken, amount)
    return taken


def release(conn: sqlite3.Connection, log: int, holder: str) -> int:
    """Free every position `holder` holds (in whichever pot); returns the fen freed."""
    rows = conn.execute("SELECT pot, start, end FROM charity_uses WHERE log=? AND holder=?", (log, holder)).fetchall()
    for pot, start, end in rows:
        conn.execute("DELETE FROM charity_uses WHERE log=? AND pot=? AND start=?", (log, pot, start))
        conn.execute("UPDATE charity_pots SET free = free + ? WHERE log=? AND id=?", (end - start, log, pot))
        _add_free(conn, log, pot, start, end)
    return sum(end - start for _, start, end in rows)


def free_within(conn: sqlite3.Connection, log: int, pot: str, lo: int, hi: int) -> int:
    """How many fen of [lo, hi) are free."""
    return sum(
        min(end, hi) - max(start, lo)
        for start, end in _overlapping(conn, "charity_free", "start, end", log, pot, lo, hi)
    )


def uses_within(conn: sqlite3.Connection, log: int, pot: str, lo: int, hi: int) -> list[Use]:
    """The uses lying on [lo, hi), clipped to it, in line order."""
    rows = _overlapping(conn, "charity_uses", "start, end, holder, kind, target_start", log, pot, lo, hi)
    return [Use(*row).clip(lo, hi) for row in rows]


# -- internals ---------------------------------------------------------------
def _overlapping(
    conn: sqlite3.Connection, table: str, columns: str, log: int, pot: str, lo: int, hi: int
) -> list[tuple]:
    """Rows of a table of disjoint ranges that overlap [lo, hi): the last one
    starting at or before lo, then those starting inside. Two index seeks."""
    if hi <= lo:
        return []
    rows = conn.execute(
        f"SELECT {columns} FROM {table} WHERE log=?1 AND pot=?2 AND start < ?4 AND start >= "
        f"COALESCE((SELECT MAX(start) FROM {table} WHERE log=?1 AND pot=?2 AND start <= ?3), ?3) ORDER BY start",
        (log, pot, lo, hi),
    ).fetchall()
    return [row for row in rows if row[1] > lo]


def _record_uses(conn: sqlite3.Connection, log: int, pot: str, uses: list[Use], amount: int) -> None:
    conn.executemany(
        "INSERT INTO charity_uses (log, pot, start, end, holder, kind, target_start) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((log, pot, u.start, u.end, u.holder, u.kind, u.target_start) for u in uses),
    )
    conn.execute("UPDATE charity_pots SET free = free - ? WHERE log=? AND id=?", (amount, log, pot))


def _remove_free(conn: sqlite3.Connection, log: int, pot: str, lo: int, hi: int) -> None:
    """[lo, hi) lies inside one free range: cut it out."""
    start, end = conn.execute(
        "SELECT start, end FROM charity_free WHERE log=? AND pot=? AND start <= ? ORDER BY start DESC LIMIT 1",
        (log, pot, lo),
    ).fetchone()
    assert start <= lo and hi <= end, (start, end, lo, hi)
    conn.execute("DELETE FROM charity_free WHERE log=? AND pot=? AND start=?", (log, pot, start))
    if start < lo:
        conn.execute("INSERT INTO charity_free (log, pot, start, end) VALUES (?, ?, ?, ?)", (log, pot, start, lo))
    if hi < end:
        conn.execute("INSERT INTO charity_free (log, pot, start, end) VALUES (?, ?, ?, ?)", (log, pot, hi, end))


def _add_free(conn: sqlite3.Connection, log: int, pot: str, lo: int, hi: int) -> None:
    """Mark [lo, hi) free, merging with free neighbours so ranges stay maximal."""
    before = conn.execute(
        "SELECT start, end FROM charity_free WHERE log=? AND pot=? AND start < ? ORDER BY start DESC LIMIT 1",
        (log, pot, lo),
    ).fetchone()
    if before is not None and before[1] == lo:
        conn.execute("DELETE FROM charity_free WHERE log=? AND pot=? AND start=?", (log, pot, before[0]))
        lo = before[0]
    after = conn.execute("SELECT end FROM charity_free WHERE log=? AND pot=? AND start=?", (log, pot, hi)).fetchone()
    if after is not None:
        conn.execute("DELETE FROM charity_free WHERE log=? AND pot=? AND start=?", (log, pot, hi))
        hi = after[0]
    conn.execute("INSERT INTO charity_free (log, pot, start, end) VALUES (?, ?, ?, ?)", (log, pot, lo, hi))

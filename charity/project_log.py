"""A charity's projects as its own log tells them, read from the signed
entries in one pass (no index table): each project's names, budget, dates,
disclosures and closure, and every money movement with its city date.

A movement changes a project's figures by signed deltas, the way the rules
move money: an allocation adds to `allocated`; a request reserves
(`pending`); its approval turns the reservation into `disbursed`, its
cancellation frees it; an expenditure is `spent`; a reversal takes back
what it reverses. Money held in the project is what is left:
`held = allocated − pending − disbursed − spent`. Movements that moved money
carry their IATI transaction type (2 commitment, 3 disbursement, 4
expenditure), the same rows `charity.export_csv` writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from . import rules
from .disbursements import log_id
from .periods import city_date


@dataclass(frozen=True)
class Figures:
    """A project's money at a moment, in fen."""

    allocated_fen: int = 0
    pending_fen: int = 0
    disbursed_fen: int = 0
    spent_fen: int = 0

    @property
    def held_fen(self) -> int:
        return self.allocated_fen - self.pending_fen - self.disbursed_fen - self.spent_fen

    def plus(self, other: Figures) -> Figures:
        return Figures(
            self.allocated_fen + other.allocated_fen,
            self.pending_fen + other.pending_fen,
            self.disbursed_fen + other.disbursed_fen,
            self.spent_fen + other.spent_fen,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "allocated_fen": self.allocated_fen,
            "pending_fen": self.pending_fen,
            "disbursed_fen": self.disbursed_fen,
            "spent_fen": self.spent_fen,
            "held_fen": self.held_fen,
        }


@dataclass(frozen=True)
class Movement:
    seq: int
    day: date  # the record's city date
    ref: str  # the id the transaction is known by (allocation, request, expenditure, reversal)
    iati_type: int | None  # None: only a reservation changed (request, cancellation)
    delta: Figures

    @property
    def value_fen(self) -> int:
        """The IATI transaction's value: what this movement added to its type's total."""
        d = self.delta
        return {2: d.allocated_fen, 3: d.disbursed_fen, 4: d.spent_fen}.get(self.iati_type or 0, 0)


@dataclass(frozen=True)
class Disclosure:
    period: str  # 2026Q4
    report_sha256: str
    day: date
    seq: int


@dataclass(frozen=True)
class Project:
    charity: str
    id: str
    fund: str
    name_zh: str
    name_en: str
    budget_fen: int
    start: date | None = None
    planned_end: date | None = None
    end: date | None = None
    closed: Disclosure | None = None  # the closure record, with its final report's hash
    disclosures: tuple[Disclosure, ...] = ()
    movements: tuple[Movement, ...] = field(default=(), repr=False)

    def figures(self, until: date | None = None, since: date | None = None) -> Figures:
        """The sum of the movements dated in [since, until] (either end open)."""
        total = Figures()
        for m in self.movements:
            if (since is None or m.day >= since) and (until is None or m.day <= until):
                total = total.plus(m.delta)
        return total

    def disclosure(self, period: str) -> Disclosure | None:
        return next((d for d in self.disclosures if d.period == period), None)


# Donations and refunds are most of a charity's log and never a project's:
# skipped unparsed. In a leaf's JSON these bytes can only be the record's own
# kind (a quote inside any string value is escaped, and bodies have no `kind`).
_FUND_ONLY = (b'"kind":"' + rules.DONATION.encode() + b'"', b'"kind":"' + rules.REFUND.encode() + b'"')


def _entries(conn: sqlite3.Connection, charity: str) -> Iterable[tuple[int, dict]]:
    for seq, leaf in conn.execute("SELECT seq, leaf FROM entries WHERE log=? ORDER BY seq", (log_id(conn, charity),)):
        if not any(marker in leaf for marker in _FUND_ONLY):
            yield seq, json.loads(leaf)["record"]


class _Reader:
    """Folds records into projects; keeps what later records refer back to."""

    def __init__(self, charity: str) -> None:
        self.charity = charity
        self.projects: dict[str, Project] = {}
        self.items: dict[str, tuple[str, str, int]] = {}  # id -> (kind, project, fen)
        self.moves: dict[str, list[Movement]] = {}
        self.disclosed_in: dict[str, list[Disclosure]] = {}

    def move(self, project: str, seq: int, day: date, ref: str, iati: int | None, **delta: int) -> None:
        self.moves[project].append(Movement(seq, day, ref, iati, Figures(**delta)))

    def finish(self) -> tuple[Project, ...]:
        return tuple(
            replace(p, movements=tuple(self.moves[p.id]), disclosures=tuple(self.disclosed_in[p.id]))
            for p in self.projects.values()
        )

    def read(self, seq: int, record: dict) -> None:
        kind, body, day = record["kind"], record["body"], city_date(record["time"])
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, seq, day, body)

    def created(self, seq: int, day: date, b: dict) -> None:
        self.projects[b["id"]] = Project(self.charity, b["id"], b["fund"], b["name_zh"], b["name_en"], b["budget_fen"])
        self.moves[b["id"]], self.disclosed_in[b["id"]] = [], []

    def started(self, seq: int, day: date, b: dict) -> None:
        p = self.projects[b["project"]]
        start, planned = date.fromisoformat(b["start"]), date.fromisoformat(b["planned_end"])
        self.projects[b["project"]] = replace(p, start=start, planned_end=planned)

    def ended(self, seq: int, day: date, b: dict) -> None:
        p = self.projects[b["project"]]
        self.projects[b["project"]] = replace(p, end=date.fromisoformat(b["end"]))

    def disclosed(self, seq: int, day: date, b: dict) -> None:
        self.disclosed_in[b["project"]].append(Disclosure(b["period"], b["report_sha256"], day, seq))

    def closed(self, seq: int, day: date, b: dict) -> None:
        p = self.projects[b["project"]]
        self.projects[b["project"]] = replace(p, closed=Disclosure("final", b["report_sha256"], day, seq))

    def allocation(self, seq: int, day: date, b: dict) -> None:
        self.items[b["id"]] = ("allocation", b["project"], b["amount_fen"])
        self.move(b["project"], seq, day, b["id"], 2, allocated_fen=b["amount_fen"])

    def request(self, seq: int, day: date, b: dict) -> None:
        self.items[b["id"]] = ("request", b["project"], b["amount_fen"])
        self.move(b["project"], seq, day, b["id"], None, pending_fen=b["amount_fen"])

    def approval(self, seq: int, day: date, b: dict) -> None:
        _, project, fen = self.items[b["request"]]
        self.move(project, seq, day, b["request"], 3, pending_fen=-fen, disbursed_fen=fen)

    def cancellation(self, seq: int, day: date, b: dict) -> None:
        _, project, fen = self.items[b["request"]]
        self.move(project, seq, day, b["request"], None, pending_fen=-fen)

    def expenditure(self, seq: int, day: date, b: dict) -> None:
        self.items[b["id"]] = ("expenditure", b["project"], b["amount_fen"])
        self.move(b["project"], seq, day, b["id"], 4, spent_fen=b["amount_fen"])

    def reversal(self, seq: int, day: date, b: dict) -> None:
        target = self.items.get(b["target"])
        if target is None:  # a donation: fund money, no project's
            return
        kind, project, fen = target
        if kind == "allocation":
            self.move(project, seq, day, b["id"], 2, allocated_fen=-fen)
        elif kind == "request":  # only an approved request can be reversed
            self.move(project, seq, day, b["id"], 3, disbursed_fen=-fen)
        else:
            self.move(project, seq, day, b["id"], 4, spent_fen=-fen)


_HANDLERS = {
    rules.PROJECT_CREATED: _Reader.created,
    rules.PROJECT_STARTED: _Reader.started,
    rules.PROJECT_ENDED: _Reader.ended,
    rules.PROJECT_DISCLOSED: _Reader.disclosed,
    rules.PROJECT_CLOSED: _Reader.closed,
    rules.ALLOCATION: _Reader.allocation,
    rules.REQUESTED: _Reader.request,
    rules.APPROVED: _Reader.approval,
    rules.CANCELLED: _Reader.cancellation,
    rules.EXPENDITURE: _Reader.expenditure,
    rules.REVERSAL: _Reader.reversal,
}


def read_projects(conn: sqlite3.Connection, charity: str) -> tuple[Project, ...]:
    """Every project of `charity`'s log (as this node holds it), in log order."""
    reader = _Reader(charity)
    for seq, record in _entries(conn, charity):
        reader.read(seq, record)
    return reader.finish()

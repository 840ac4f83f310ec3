"""Where a donation went, and what each fund and project holds.

Reads only the index tables the charity rules keep (`charity.rules`), so it
answers the same on every node that mirrors the charity's log (and, for
acknowledgements, the beneficiary agency's log). A trace follows the
donation's own fen positions (see `charity.pots` and docs/charity.md):

    donation [a, b) on the fund's line
      ├─ free positions                      → unallocated
      ├─ used by a refund / reversal         → refunded (returned or voided)
      └─ used by an allocation → positions on the project's line
           ├─ free positions                 → held_in_project
           ├─ used by an expenditure         → disbursed (spent by the project)
           └─ used by a request: pending     → pending
                                 approved    → disbursed, or acknowledged
                                               once the beneficiary agency's
                                               acknowledgement is verified

The breakdown has exactly the six states of `STATES`, always all six: money
the project spent itself counts as `disbursed` (it left the organisation), a
reversed donation as `refunded` (it never stayed); the steps keep the detail
(`AllocationShare.expenditures`, `DonationTrace.reversal`). Each state is
summed from its own rows; none is a remainder, so a breakdown that adds up to
the donation is evidence the index is sound, not a tautology.
One trace costs a few index seeks per piece of the donation, whatever the size
of the log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from citychain.errors import CityChainError

from . import pots, rules
from .money_states import BREAKDOWN
from .receipts import parse_receipt

STATES = tuple(state.key for state in BREAKDOWN)  # the wire keys, in order


class TraceError(CityChainError, LookupError):
    """A receipt, fund or charity this node cannot trace, in both languages."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)

    @property
    def status(self) -> int:
        return 409 if self.code == "AMBIGUOUS_RECEIPT" else 404


@dataclass(frozen=True)
class Acknowledgement:
    agency: str  # the acknowledging (beneficiary) agency
    seq: int  # in that agency's log
    status: str  # verified | pending (its disbursement not yet seen here) | invalid


@dataclass(frozen=True)
class Share:
    """The part of this donation in one record (a refund or an expenditure)."""

    id: str
    seq: int
    amount_fen: int


@dataclass(frozen=True)
class DisbursementShare:
    request: str
    seq: int  # of the request
    amount_fen: int  # this donation's part of it
    request_amount_fen: int  # the whole request
    status: str  # pending | approved
    approval_seq: int | None
    acknowledgements: tuple[Acknowledgement, ...]

    @property
    def state(self) -> str:
        if self.status == "pending":
            return "pending"
        return "acknowledged" if any(a.status == "verified" for a in self.acknowledgements) else "disbursed"


@dataclass(frozen=True)
class AllocationShare:
    id: str
    seq: int
    project: str
    amount_fen: int  # this donation's part of the allocation
    disbursements: tuple[DisbursementShare, ...]
    expenditures: tuple[Share, ...]
    held_fen: int  # of this part, still unreserved in the project


@dataclass(frozen=True)
class DonationTrace:
    charity: str
    receipt: str
    seq: int
    time: str
    fund: str
    fund_name_zh: str
    fund_name_en: str
    amount_fen: int
    channel: str
    anonymous: bool
    reversed_by: str | None
    allocations: tuple[AllocationShare, ...]
    refunds: tuple[Share, ...]
    unallocated_fen: int
    breakdown: tuple[tuple[str, int], ...] = field(default=())
    reversal: Share | None = None  # the donation voided as a whole (counted as refunded)

    def amount_in(self, state: str) -> int:
        return dict(self.breakdown).get(state, 0)

    @property
    def spent_fen(self) -> int:
        """Of `disbursed`, what the projects spent themselves (expenditure records)."""
        return sum(e.amount_fen for a in self.allocations for e in a.expenditures)

    @property
    def reversed_fen(self) -> int:
        """Of `refunded`, what was voided by reversing the donation."""
        return self.reversal.amount_fen if self.reversal else 0

    def to_json(self) -> dict[str, Any]:
        def share(s: Share) -> dict:
            return {"id": s.id, "seq": s.seq, "amount_fen": s.amount_fen}

        return {
            "charity": self.charity,
            "receipt": self.receipt,
            "seq": self.seq,
            "time": self.time,
            "fund": {"id": self.fund, "name_zh": self.fund_name_zh, "name_en": self.fund_name_en},
            "amount_fen": self.amount_fen,
            "channel": self.channel,
            "anonymous": self.anonymous,
            "reversed_by": self.reversed_by,
            "breakdown": [{"state": state, "amount_fen": amount} for state, amount in self.breakdown],
            "allocations": [
                {
                    "id": a.id,
                    "seq": a.seq,
                    "project": a.project,
                    "amount_fen": a.amount_fen,
                    "held_fen": a.held_fen,
                    "expenditures": [share(e) for e in a.expenditures],
                    "disbursements": [
                        {
                            "request": d.request,
                            "seq": d.seq,
                            "amount_fen": d.amount_fen,
                            "request_amount_fen": d.request_amount_fen,
                            "status": d.status,
                            "state": d.state,
                            "approval_seq": d.approval_seq,
                            "acknowledgements": [
                                {"agency": k.agency, "seq": k.seq, "status": k.status} for k in d.acknowledgements
                            ],
                        }
                        for d in a.disbursements
                    ],
                }
                for a in self.allocations
            ],
            "refunds": [share(r) for r in self.refunds],
            "reversal": share(self.reversal) if self.reversal else None,
            "unallocated_fen": self.unallocated_fen,
        }


@dataclass(frozen=True)
class ProjectTotals:
    charity: str
    id: str
    fund: str
    name_zh: str
    name_en: str
    budget_fen: int
    allocated_fen: int  # live allocations (reversed ones left out)
    pending_fen: int  # reserved by requests awaiting a decision
    disbursed_fen: int  # approved and not reversed, acknowledged or not
    acknowledged_fen: int  # the part of disbursed_fen the beneficiary agency acknowledged
    spent_fen: int  # expenditure not reversed
    held_fen: int  # unreserved money in the project

    @property
    def unspent_fen(self) -> int:
        """Money still with the organisation: held, or reserved and not yet paid."""
        return self.held_fen + self.pending_fen


@dataclass(frozen=True)
class FundTotals:
    charity: str
    id: str
    name_zh: str
    name_en: str
    target_fen: int | None
    donations: int  # not reversed
    raised_fen: int  # donations not reversed, before refunds
    refunded_fen: int
    allocated_fen: int  # live allocations to the fund's projects
    unallocated_fen: int
    pending_fen: int  # over the fund's projects
    disbursed_fen: int
    acknowledged_fen: int
    spent_fen: int
    held_fen: int

    @property
    def unspent_fen(self) -> int:
        return self.unallocated_fen + self.held_fen + self.pending_fen


@dataclass(frozen=True)
class DonationSummary:
    charity: str
    receipt: str
    seq: int
    time: str
    fund: str
    amount_fen: int
    channel: str
    anonymous: bool
    refunded_fen: int
    reversed_by: str | None


# -- entry points -----------------------------------------------------------------
def trace_donation(conn: sqlite3.Connection, receipt: str, charity: str | None = None) -> DonationTrace:
    """The path of one donation, by its receipt code (typed or scanned).
    `charity` (an agency id) is needed only if two charities issued the code."""
    code = str(parse_receipt(receipt))  # InvalidReceipt says what is wrong with it
    rows = conn.execute(
        "SELECT l.agency, d.log, d.fund, d.amount, d.start, d.channel, d.anonymous, d.time, d.seq, d.reversed_by "
        "FROM charity_donations d JOIN logs l ON l.id = d.log WHERE d.receipt = ?",
        (code,),
    ).fetchall()
    if charity is not None:
        rows = [row for row in rows if row[0] == charity]
    if not rows:
        raise TraceError(
            "UNKNOWN_RECEIPT", f"本节点没有收据 {code} 的捐赠记录", f"no donation with receipt {code} on this node"
        )
    if len(rows) > 1:
        raise TraceError(
            "AMBIGUOUS_RECEIPT",
            f"多个慈善组织有收据 {code}，请指明机构",
            f"several charities issued receipt {code}; name the charity",
        )
    agency, log, fund, amount, start, channel, anonymous, time, seq, reversed_by = rows[0]
    name_zh, name_en = conn.execute(
        "SELECT name_zh, name_en FROM charity_funds WHERE log=? AND id=?", (log, fund)
    ).fetchone()
    reader = _Reader(conn, log, agency)
    lo, hi = start, start + amount

    unallocated = pots.free_within(conn, log, fund, lo, hi)
    refunds: dict[str, int] = {}
    voided: dict[str, int] = {}
    pieces: dict[str, list[pots.Use]] = {}
    for use in pots.uses_within(conn, log, fund, lo, hi):
        if use.kind == "allocation":
            pieces.setdefault(use.holder, []).append(use)
        elif use.kind in ("refund", "reversal"):
            bucket = refunds if use.kind == "refund" else voided
            bucket[use.holder] = bucket.get(use.holder, 0) + use.size
    allocations = tuple(reader.allocation_share(alloc_id, uses) for alloc_id, uses in pieces.items())
    totals = dict.fromkeys(STATES, 0)
    totals.update(unallocated=unallocated, refunded=sum(refunds.values()) + sum(voided.values()))
    for share in allocations:
        totals["held_in_project"] += share.held_fen
        totals["disbursed"] += sum(e.amount_fen for e in share.expenditures)
        for d in share.disbursements:
            totals[d.state] += d.amount_fen
    reversal = next((Share(rid, reader.seq_of(rid), fen) for rid, fen in voided.items()), None)
    return DonationTrace(
        agency,
        code,
        seq,
        time,
        fund,
        name_zh,
        name_en,
        amount,
        channel,
        bool(anonymous),
        reversed_by,
        allocations,
        tuple(Share(rid, reader.seq_of(rid), fen) for rid, fen in refunds.items()),
        unallocated,
        tuple((s, totals[s]) for s in STATES),
        reversal,
    )


def project_totals(conn: sqlite3.Connection, charity: str, project_id: str) -> ProjectTotals:
    log = _log_id(conn, charity)
    row = conn.execute(
        "SELECT fund, name_zh, name_en, budget FROM charity_projects WHERE log=? AND id=?", (log, project_id)
    ).fetchone()
    if row is None:
        raise TraceError(
            "UNKNOWN_PROJECT", f"{charity} 没有项目 {project_id}", f"{charity} has no project {project_id}"
        )
    fund, name_zh, name_en, budget = row

    def total(sql: str, *args: Any) -> int:
        return conn.execute(sql, args).fetchone()[0] or 0

    requests = "SELECT SUM(amount) FROM charity_requests WHERE log=? AND project=? AND status=?"
    return ProjectTotals(
        charity,
        project_id,
        fund,
        name_zh,
        name_en,
        budget,
        allocated_fen=total(
            "SELECT SUM(amount) FROM charity_allocations WHERE log=? AND project=? AND reversed_by IS NULL",
            log,
            project_id,
        ),
        pending_fen=total(requests, log, project_id, "pending"),
        disbursed_fen=total(requests, log, project_id, "approved"),
        acknowledged_fen=_acknowledged(conn, charity, log, project_id),
        spent_fen=total(
            "SELECT SUM(amount) FROM charity_expenditures WHERE log=? AND project=? AND reversed_by IS NULL",
            log,
            project_id,
        ),
        held_fen=pots.balance(conn, log, project_id),
    )


def fund_totals(conn: sqlite3.Connection, charity: str, fund_id: str) -> FundTotals:
    log = _log_id(conn, charity)
    row = conn.execute(
        "SELECT name_zh, name_en, target FROM charity_funds WHERE log=? AND id=?", (log, fund_id)
    ).fetchone()
    if row is None:
        raise TraceError("UNKNOWN_FUND", f"{charity} 没有基金 {fund_id}", f"{charity} has no fund {fund_id}")
    count, raised, refunded = conn.execute(
        "SELECT COUNT(*), SUM(amount), SUM(refunded) FROM charity_donations WHERE log=? AND fund=? AND reversed_by IS NULL",
        (log, fund_id),
    ).fetchone()
    (allocated,) = conn.execute(
        "SELECT SUM(amount) FROM charity_allocations WHERE log=? AND fund=? AND reversed_by IS NULL", (log, fund_id)
    ).fetchone()
    projects = [project_totals(conn, charity, p) for p in _project_ids(conn, log, fund_id)]
    return FundTotals(
        charity,
        fund_id,
        row[0],
        row[1],
        row[2],
        count,
        raised or 0,
        refunded or 0,
        allocated or 0,
        unallocated_fen=pots.balance(conn, log, fund_id),
        pending_fen=sum(p.pending_fen for p in projects),
        disbursed_fen=sum(p.disbursed_fen for p in projects),
        acknowledged_fen=sum(p.acknowledged_fen for p in projects),
        spent_fen=sum(p.spent_fen for p in projects),
        held_fen=sum(p.held_fen for p in projects),
    )


def funds(conn: sqlite3.Connection, charity: str) -> tuple[FundTotals, ...]:
    log = _log_id(conn, charity)
    ids = [r[0] for r in conn.execute("SELECT id FROM charity_funds WHERE log=? ORDER BY seq", (log,))]
    return tuple(fund_totals(conn, charity, fund_id) for fund_id in ids)


def charities(conn: sqlite3.Connection) -> list[str]:
    """Every charity whose log this node holds with a fund in it, by agency id."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT l.agency FROM charity_funds f JOIN logs l ON l.id = f.log ORDER BY l.agency"
        )
    ]


def project_names(conn: sqlite3.Connection, charity: str) -> dict[str, tuple[str, str]]:
    """Project id -> (name_zh, name_en) in `charity`'s log; empty if it is not held."""
    return {
        pid: (zh, en)
        for pid, zh, en in conn.execute(
            "SELECT p.id, p.name_zh, p.name_en FROM charity_projects p JOIN logs l ON l.id = p.log WHERE l.agency = ?",
            (charity,),
        )
    }


def projects(conn: sqlite3.Connection, charity: str, fund_id: str | None = None) -> tuple[ProjectTotals, ...]:
    log = _log_id(conn, charity)
    if fund_id is None:
        ids = [r[0] for r in conn.execute("SELECT id FROM charity_projects WHERE log=? ORDER BY seq", (log,))]
    else:
        ids = _project_ids(conn, log, fund_id)
    return tuple(project_totals(conn, charity, p) for p in ids)


def donations(conn: sqlite3.Connection, charity: str | None = None) -> Iterable[DonationSummary]:
    """Every donation this node holds, in log order (of each charity)."""
    sql = (
        "SELECT l.agency, d.receipt, d.seq, d.time, d.fund, d.amount, d.channel, d.anonymous, d.refunded, "
        "d.reversed_by FROM charity_donations d JOIN logs l ON l.id = d.log"
    )
    args: tuple = ()
    if charity is not None:
        sql += " WHERE l.agency = ?"
        args = (charity,)
    for row in conn.execute(sql + " ORDER BY d.log, d.seq", args):
        yield DonationSummary(*row[:7], bool(row[7]), *row[8:])


# -- internals -------------------------------------------------------------------
def _current(
    conn: sqlite3.Connection,
    charity: str,
    seq: int,
    agency: str,
    status: str,
    leaf_hash: str,
    request: str,
    amount: int,
) -> str:
    """An acknowledgement's status now (a held one is checked on the spot)."""
    if status != rules.PENDING:
        return status
    return rules.ack_status(conn, agency, charity, seq, leaf_hash, request, amount)


def _acknowledged(conn: sqlite3.Connection, charity: str, log: int, project_id: str) -> int:
    """Approved, unreversed disbursements of the project with a verified acknowledgement."""
    acknowledged: dict[int, int] = {}
    for amount, seq, agency, *ack in conn.execute(
        "SELECT r.amount, r.approval_seq, l.agency, a.status, a.leaf_hash, a.request, a.amount "
        "FROM charity_requests r JOIN charity_acks a ON a.charity = ? AND a.seq = r.approval_seq "
        "JOIN logs l ON l.id = a.ack_log WHERE r.log = ? AND r.project = ? AND r.status = 'approved' "
        "AND a.status IN ('verified', 'pending')",
        (charity, log, project_id),
    ):
        if _current(conn, charity, seq, agency, *ack) == "verified":
            acknowledged[seq] = amount
    return sum(acknowledged.values())


def _log_id(conn: sqlite3.Connection, charity: str) -> int:
    row = conn.execute("SELECT id FROM logs WHERE agency=?", (charity,)).fetchone()
    if row is None:
        raise TraceError("UNKNOWN_CHARITY", f"本节点没有 {charity} 的日志", f"this node holds no log of {charity}")
    return row[0]


def _project_ids(conn: sqlite3.Connection, log: int, fund_id: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute("SELECT id FROM charity_projects WHERE log=? AND fund=? ORDER BY seq", (log, fund_id))
    ]


class _Reader:
    """Lookups for one trace, each record read once."""

    def __init__(self, conn: sqlite3.Connection, log: int, agency: str) -> None:
        self.conn, self.log, self.agency = conn, log, agency
        self._requests: dict[str, tuple] = {}

    def seq_of(self, item_id: str) -> int:
        return self.conn.execute("SELECT seq FROM charity_items WHERE log=? AND id=?", (self.log, item_id)).fetchone()[
            0
        ]

    def allocation_share(self, alloc_id: str, uses: list[pots.Use]) -> AllocationShare:
        project, seq = self.conn.execute(
            "SELECT project, seq FROM charity_allocations WHERE log=? AND id=?", (self.log, alloc_id)
        ).fetchone()
        held = 0
        requests: dict[str, int] = {}
        spent: dict[str, int] = {}
        for use in uses:
            lo, hi = use.target_start, use.target_start + use.size
            held += pots.free_within(self.conn, self.log, project, lo, hi)
            for inner in pots.uses_within(self.conn, self.log, project, lo, hi):
                bucket = requests if inner.kind == "request" else spent if inner.kind == "expenditure" else None
                if bucket is None:
                    raise RuntimeError(f"live allocation {alloc_id} overlaps a {inner.kind} in project {project}")
                bucket[inner.holder] = bucket.get(inner.holder, 0) + inner.size
        return AllocationShare(
            alloc_id,
            seq,
            project,
            sum(u.size for u in uses),
            tuple(self._disbursement(rid, fen) for rid, fen in requests.items()),
            tuple(Share(eid, self.seq_of(eid), fen) for eid, fen in spent.items()),
            held,
        )

    def _disbursement(self, request_id: str, fen: int) -> DisbursementShare:
        seq, amount, status, approval_seq = self.conn.execute(
            "SELECT seq, amount, status, approval_seq FROM charity_requests WHERE log=? AND id=?",
            (self.log, request_id),
        ).fetchone()
        acks: tuple[Acknowledgement, ...] = ()
        if approval_seq is not None:
            acks = tuple(
                Acknowledgement(agency, ack_seq, _current(self.conn, self.agency, approval_seq, agency, *rest))
                for agency, ack_seq, *rest in self.conn.execute(
                    "SELECT l.agency, a.ack_seq, a.status, a.leaf_hash, a.request, a.amount FROM charity_acks a "
                    "JOIN logs l ON l.id = a.ack_log WHERE a.charity=? AND a.seq=? ORDER BY a.ack_log",
                    (self.agency, approval_seq),
                )
            )
        return DisbursementShare(request_id, seq, fen, amount, status, approval_seq, acks)

"""The public JSON of a trace and of fund totals: one shape for the CLI
(`charity trace --json`), the HTTP API (`GET /v1/charity/trace/{receipt}`,
`GET /v1/charity/funds`) and the apps.

Beside the trace itself (`DonationTrace.to_json`) a report lists the
**steps** — every record the donation's money passed through, in the order
they were written — each with its **proof status** as this node can show it:

| status | meaning |
|---|---|
| `included` | the record is in the log's newest checkpoint held here, and its inclusion proof checks against that checkpoint's root; `cosigners` names the witnesses that co-signed it, `witnessed` says whether they reach the city's quorum |
| `awaiting_checkpoint` | the record is stored but no checkpoint covering it has arrived yet |
| `log_invalid` | the node flagged the log (a broken rule or a fork): nothing in it is vouched for |
| `not_held` | the node holds no copy of that log (an acknowledgement's agency) |
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, open_checkpoint
from citychain.log.records import parse_leaf
from citychain.node.home import origin
from citychain.node.mirror import MirrorRejected, log_keys
from citychain.node.store import SqliteNodes, Store
from citychain.node.trust import TrustState
from citychain.node.witnesses import witnessed_by

from .trace import (
    DonationTrace,
    FundTotals,
    ProjectTotals,
    charities,
    funds,
    project_names,
    projects,
    trace_donation,
)


@dataclass(frozen=True)
class Step:
    step: str  # donation | allocation | disbursement.requested | disbursement.approved | acknowledged | expenditure | refund | reversal
    id: str
    log: str  # the agency whose log holds the record
    seq: int
    amount_fen: int  # this donation's part


@dataclass(frozen=True)
class ProofView:
    """What one node can prove about its logs, read once per report."""

    conn: sqlite3.Connection
    trust: TrustState
    city: str
    quorum: int
    now: int  # unix seconds, for co-signature times


def steps(trace: DonationTrace) -> list[Step]:
    """Every record the donation touches, in log order (acknowledgements after their approval)."""
    out = [Step("donation", trace.receipt, trace.charity, trace.seq, trace.amount_fen)]
    for a in trace.allocations:
        out.append(Step("allocation", a.id, trace.charity, a.seq, a.amount_fen))
        for d in a.disbursements:
            out.append(Step("disbursement.requested", d.request, trace.charity, d.seq, d.amount_fen))
            if d.approval_seq is not None:
                out.append(Step("disbursement.approved", d.request, trace.charity, d.approval_seq, d.amount_fen))
            for k in d.acknowledgements:
                out.append(Step("acknowledged", d.request, k.agency, k.seq, d.amount_fen))
        out.extend(Step("expenditure", e.id, trace.charity, e.seq, e.amount_fen) for e in a.expenditures)
    out.extend(Step("refund", r.id, trace.charity, r.seq, r.amount_fen) for r in trace.refunds)
    if trace.reversal is not None:
        out.append(Step("reversal", trace.reversal.id, trace.charity, trace.reversal.seq, trace.reversal.amount_fen))
    own = [s for s in out if s.log == trace.charity]
    return sorted(own, key=lambda s: s.seq) + [s for s in out if s.log != trace.charity]


class _Proofs:
    """Proof status of records, each log's checkpoint opened once."""

    def __init__(self, view: ProofView) -> None:
        self.view = view
        self._logs: dict[str, tuple] = {}

    def _log(self, agency: str) -> tuple:
        if agency not in self._logs:
            self._logs[agency] = self._open(agency)
        return self._logs[agency]

    def _open(self, agency: str) -> tuple:
        """(log id, checkpoint or None, cosigners, status, detail)."""
        v = self.view
        row = v.conn.execute(
            "SELECT id, checkpoint, status, status_detail FROM logs WHERE agency=?", (agency,)
        ).fetchone()
        if row is None:
            return None, None, (), "not_held", ""
        log_id, note, status, detail = row
        if status != "ok":
            return log_id, None, (), "log_invalid", f"{status}: {detail}"
        if not note:
            return log_id, None, (), "awaiting_checkpoint", ""
        try:
            signed = open_checkpoint(note, origin(v.city, agency), log_keys(v.trust, agency))
        except (CheckpointError, MirrorRejected) as exc:
            return log_id, None, (), "log_invalid", f"checkpoint: {exc}"
        names = tuple(sorted(n.rsplit("/", 1)[-1] for n in witnessed_by(signed, v.trust, v.city, agency, v.now)))
        return log_id, signed.checkpoint, names, "ok", ""

    def status(self, agency: str, seq: int) -> dict[str, Any]:
        log_id, checkpoint, cosigners, status, detail = self._log(agency)
        out: dict[str, Any] = {"status": status}
        if log_id is not None:
            leaf = self.view.conn.execute("SELECT leaf FROM entries WHERE log=? AND seq=?", (log_id, seq)).fetchone()
            if leaf is None:
                return {"status": "not_held"}
            out["leaf_hash"] = merkle.leaf_hash(leaf[0], self.view.trust.suite.hash).hex()
        if status != "ok":
            return out | ({"detail": detail} if detail else {})
        if seq >= checkpoint.size:
            return out | {"status": "awaiting_checkpoint", "checkpoint_size": checkpoint.size}
        hasher = self.view.trust.suite.hash
        path = merkle.inclusion_proof(SqliteNodes(self.view.conn, log_id, hasher), seq, checkpoint.size)
        try:
            merkle.verify_inclusion(
                bytes.fromhex(out["leaf_hash"]), seq, checkpoint.size, path, checkpoint.root, hasher
            )
        except merkle.ProofError as exc:
            return out | {"status": "log_invalid", "detail": f"inclusion proof: {exc}"}
        return out | {
            "status": "included",
            "checkpoint_size": checkpoint.size,
            "cosigners": list(cosigners),
            "witnessed": len(cosigners) >= self.view.quorum,
        }


def trace_report(view: ProofView, receipt: str, charity: str | None = None) -> dict[str, Any]:
    """`receipt`, `amount_fen`, `breakdown` (six states, summing to the amount),
    the nested trace, and `steps` with each step's proof status."""
    trace = trace_donation(view.conn, receipt, charity)
    proofs = _Proofs(view)
    report = trace.to_json()
    report["detail"] = {"spent_fen": trace.spent_fen, "reversed_fen": trace.reversed_fen}
    report["steps"] = [asdict(s) | {"proof": proofs.status(s.log, s.seq)} for s in steps(trace)]
    return report


def project_json(t: ProjectTotals) -> dict[str, Any]:
    return asdict(t) | {"unspent_fen": t.unspent_fen}


def fund_json(t: FundTotals, projects: tuple[ProjectTotals, ...] = ()) -> dict[str, Any]:
    out = asdict(t) | {"unspent_fen": t.unspent_fen}
    if projects:
        out["projects"] = [project_json(p) for p in projects]
    return out


def funds_report(
    conn: sqlite3.Connection, charity: str | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """`fund_json` of every fund, with its projects, of `charity` or of every
    charity this node holds (`GET /v1/charity/funds`, the kiosk's fund pages).
    Given the city's `today`, each project also carries its `disclosure`
    (`charity.disclosure.fund_page_disclosures`)."""
    out = []
    for agency in [charity] if charity else charities(conn):
        reports = [fund_json(totals, projects(conn, agency, totals.id)) for totals in funds(conn, agency)]
        if today is not None:
            from .disclosure import fund_page_disclosures

            schedule = fund_page_disclosures(conn, agency, today)
            for fund in reports:
                for project in fund.get("projects", ()):
                    project["disclosure"] = schedule.get(project["id"])
        out.extend(reports)
    return out


def step_time(step: dict[str, Any], leaf: bytes | None, hasher: merkle.Hasher = merkle.DEFAULT_HASHER) -> str | None:
    """The time a step's record claims, for a timeline: only if `leaf` is the
    very entry the step's proof names."""
    if leaf is None:
        return None
    expected = (step.get("proof") or {}).get("leaf_hash")
    if expected and merkle.leaf_hash(leaf, hasher).hex() != expected:
        return None
    return parse_leaf(leaf).record.time


def timeline(store: Store, report: dict[str, Any]) -> dict[str, Any]:
    """`report` (trace_report) with each step's `time` and the charity's
    `project_names` (id -> [zh, en]) added, as a kiosk shows a trace."""
    for step in report.get("steps", ()):
        if "time" not in step:
            head = store.head(str(step.get("log")))
            seq = step.get("seq")
            leaves = store.leaves(head.id, seq, seq + 1) if head is not None and isinstance(seq, int) else []
            step["time"] = step_time(step, leaves[0] if leaves else None, store.hasher)
    names = project_names(store.conn, str(report.get("charity", "")))
    report["project_names"] = {pid: list(pair) for pid, pair in names.items()}
    return report

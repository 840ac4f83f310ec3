"""A charity's transactions as CSV in IATI-like columns, for auditors and
spreadsheets (docs/charity.md, "CSV export").

One row per record that moved money, in log order, with the IATI transaction
type code (codelist TransactionType): 1 Incoming Funds (donations), 2
Outgoing Commitment (allocations to projects), 3 Disbursement (approved
requests, dated by the approval), 4 Expenditure. Nothing is ever edited on
the ledger, so returns and corrections are compensating rows of the same
type with a negative value, as IATI advises: a refund to a donor is negative
incoming funds, a reversal the negative of what it reverses. Pending and
cancelled requests moved no money and are not transactions. Hence, per fund:
Σ type 1 = raised − refunded, Σ type 2 = allocated, Σ type 3 = disbursed,
Σ type 4 = spent, as `charity.trace.fund_totals` gives them.

Personal data: donors and beneficiaries are only commitments on the ledger
and stay so here — a row says "donor" or "anonymous donor", never a name.
UTF-8 with a byte-order mark, so Excel opens the Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from citychain.clock import parse_time
from citychain.documents.city_time import city_datetime
from citychain.documents.money import yuan_amount
from citychain.log import merkle
from citychain.node.store import file_suite

from . import rules
from .disbursements import disbursements, log_id

COLUMNS = (
    "iati-identifier",
    "reporting-org-ref",
    "transaction-ref",
    "transaction-type-code",
    "transaction-type",
    "transaction-date",
    "value",
    "value-fen",
    "currency",
    "description",
    "provider-org",
    "receiver-org",
    "fund-id",
    "activity-id",
    "channel",
    "acknowledged",
    "ledger-log",
    "ledger-seq",
    "ledger-time",
    "leaf-hash",
)
TYPES = {1: "Incoming Funds", 2: "Outgoing Commitment", 3: "Disbursement", 4: "Expenditure"}
_SUPPLIER = "供应商（未记录） supplier (not recorded)"
_CHANNELS = {"cash": "现金 cash", "bank": "银行转账 bank transfer", "online": "网上支付 online"}


class _Lookup:
    """The index tables' facts a row needs beyond its own record body."""

    def __init__(self, conn: sqlite3.Connection, charity: str, log: int) -> None:
        self.conn, self.log = conn, log
        self.project_fund = dict(conn.execute("SELECT id, fund FROM charity_projects WHERE log=?", (log,)))
        self.donations = {
            r: (f, a)
            for r, f, a in conn.execute("SELECT receipt, fund, amount FROM charity_donations WHERE log=?", (log,))
        }
        self.allocations = {
            i: (f, p, a)
            for i, f, p, a in conn.execute(
                "SELECT id, fund, project, amount FROM charity_allocations WHERE log=?", (log,)
            )
        }
        self.expenditures = {
            i: (p, a)
            for i, p, a in conn.execute("SELECT id, project, amount FROM charity_expenditures WHERE log=?", (log,))
        }
        self.requests = {d.id: d for d in disbursements(conn, charity)}
        self.kinds = dict(conn.execute("SELECT id, kind FROM charity_items WHERE log=?", (log,)))


def _rows(conn: sqlite3.Connection, charity: str) -> Iterator[dict[str, Any]]:
    log = log_id(conn, charity)
    look, hasher = _Lookup(conn, charity, log), file_suite(conn).hash
    for seq, leaf in conn.execute("SELECT seq, leaf FROM entries WHERE log=? ORDER BY seq", (log,)):
        record = json.loads(leaf)["record"]
        kind, body = record["kind"], record["body"]
        base = {
            "ledger-log": charity,
            "ledger-seq": seq,
            "ledger-time": record["time"],
            "transaction-date": city_datetime(parse_time(record["time"])).date().isoformat(),
            "leaf-hash": merkle.leaf_hash(leaf, hasher).hex(),
        }
        row = _row(kind, body, look)
        if row is not None:
            yield {**base, **row}


def _row(kind: str, body: dict[str, Any], look: _Lookup) -> dict[str, Any] | None:
    if kind == rules.DONATION:
        donor = "匿名捐赠人 anonymous donor" if body["anonymous"] else "捐赠人 donor"
        return _tx(
            1,
            body["receipt"],
            body["amount_fen"],
            body["fund"],
            "",
            f"捐赠 donation ({body['channel']})",
            donor,
            "",
            channel=_CHANNELS.get(body["channel"], body["channel"]),
        )
    if kind == rules.REFUND:
        fund, _ = look.donations[body["receipt"]]
        return _tx(
            1,
            body["id"],
            -body["amount_fen"],
            fund,
            "",
            f"退款 refund of {body['receipt']}: {body['reason']}",
            "",
            "捐赠人 donor",
        )
    if kind == rules.ALLOCATION:
        return _tx(
            2,
            body["id"],
            body["amount_fen"],
            body["fund"],
            body["project"],
            f"拨付项目 allocation to project {body['project']}",
            "",
            f"项目 project {body['project']}",
        )
    if kind == rules.APPROVED:
        r = look.requests[body["request"]]
        return _tx(
            3,
            r.id,
            r.amount_fen,
            look.project_fund[r.project],
            r.project,
            f"支出 disbursement: {r.purpose}",
            "",
            f"{r.beneficiary_agency} · 受益人 beneficiary",
            acknowledged=_acknowledged(r),
        )
    if kind == rules.EXPENDITURE:
        return _tx(
            4,
            body["id"],
            body["amount_fen"],
            look.project_fund[body["project"]],
            body["project"],
            f"项目支出 expenditure: {body['purpose']}",
            "",
            _SUPPLIER,
        )
    if kind == rules.REVERSAL:
        return _reversal(body, look)
    return None


def _reversal(body: dict[str, Any], look: _Lookup) -> dict[str, Any]:
    target, why = body["target"], f"冲正 reversal of {body['target']}: {body['reason']}"
    kind = look.kinds[target]
    if kind == "donation":
        fund, amount = look.donations[target]
        return _tx(1, body["id"], -amount, fund, "", why, "捐赠人 donor", "")
    if kind == "allocation":
        fund, project, amount = look.allocations[target]
        return _tx(2, body["id"], -amount, fund, project, why, "", f"项目 project {project}")
    if kind == "request":
        r = look.requests[target]
        return _tx(
            3,
            body["id"],
            -r.amount_fen,
            look.project_fund[r.project],
            r.project,
            why,
            "",
            f"{r.beneficiary_agency} · 受益人 beneficiary",
        )
    project, amount = look.expenditures[target]
    return _tx(4, body["id"], -amount, look.project_fund[project], project, why, "", _SUPPLIER)


def _acknowledged(r) -> str:
    return f"yes {r.acknowledged_by} #{r.ack_seq}" if r.acknowledged_by else "no"


def _tx(
    code: int,
    ref: str,
    fen: int,
    fund: str,
    activity: str,
    description: str,
    provider: str,
    receiver: str,
    channel: str = "",
    acknowledged: str = "",
) -> dict[str, Any]:
    return {
        "transaction-ref": ref,
        "transaction-type-code": code,
        "transaction-type": TYPES[code],
        "value": yuan_amount(fen, False),
        "value-fen": fen,
        "currency": "CNY",
        "description": description,
        "provider-org": provider,
        "receiver-org": receiver,
        "fund-id": fund,
        "activity-id": activity,
        "channel": channel,
        "acknowledged": acknowledged,
    }


def transaction_rows(
    conn: sqlite3.Connection, charity_agency: str, *, reporting_org_ref: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every money-moving record of `charity_agency`'s log as one CSV row (a
    dict keyed by `COLUMNS`), in log order. `reporting_org_ref` is the IATI
    organisation identifier (e.g. `CN-USC-<USCC>`); it defaults to the agency id."""
    org = reporting_org_ref or charity_agency
    for row in _rows(conn, charity_agency):
        provider = row["provider-org"] or org
        receiver = row["receiver-org"] or org
        activity = row["activity-id"] or row["fund-id"]
        yield {
            **row,
            "iati-identifier": f"{org}-{activity}",
            "reporting-org-ref": org,
            "provider-org": provider,
            "receiver-org": receiver,
        }


def csv_text(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV text with a byte-order mark (Excel opens the Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def transactions_csv(conn: sqlite3.Connection, charity_agency: str, *, reporting_org_ref: str | None = None) -> str:
    """Every money-moving record of `charity_agency`'s log as CSV text (with BOM)."""
    return csv_text(transaction_rows(conn, charity_agency, reporting_org_ref=reporting_org_ref))

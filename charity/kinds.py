"""Charity record kinds, plugged into the ledger node (docs/charity.md §1).

Modelled on IATI transaction types: incoming funds (donations), commitments
(allocations to projects), disbursements (requested, then approved by a second
person or cancelled), expenditure, refunds and reversals, all in the charity
organisation's own log; acknowledgements of receipt in the beneficiary
agency's log. The rules themselves are in `charity.rules`.

Trust-log permissions: `charity:organisation` for the organisation's kinds,
`charity:acknowledge` for acknowledgements. Node-local actions (roles):

| action                        | roles              | kinds                                   |
|-------------------------------|--------------------|-----------------------------------------|
| charity.donation.record       | clerk, supervisor  | donation received                       |
| charity.disbursement.request  | clerk, supervisor  | disbursement requested                  |
| charity.acknowledge           | clerk, supervisor  | acknowledged (beneficiary agency)       |
| charity.fund.manage           | supervisor         | fund, project created; started, ended, closed |
| charity.disclose              | supervisor         | project report disclosed                |
| charity.allocate              | supervisor         | allocation                              |
| charity.disbursement.decide   | supervisor         | disbursement approved, cancelled        |
| charity.expenditure.record    | supervisor         | expenditure                             |
| charity.refund                | supervisor         | refund                                  |
| charity.reverse               | supervisor         | reversal                                |
"""

from __future__ import annotations

from citychain.log.records import Record
from citychain.node.kinds import KindSpec, Plugin

from . import rules
from .rules import (
    ACKNOWLEDGED,
    ALLOCATION,
    APPROVED,
    CANCELLED,
    DONATION,
    EXPENDITURE,
    FUND_CREATED,
    ORGANISATION_KINDS,
    PROJECT_CLOSED,
    PROJECT_CREATED,
    PROJECT_DISCLOSED,
    PROJECT_ENDED,
    PROJECT_STARTED,
    REFUND,
    REQUESTED,
    REVERSAL,
)

__all__ = [
    "ACKNOWLEDGED",
    "ALLOCATION",
    "APPROVED",
    "CANCELLED",
    "DONATION",
    "EXPENDITURE",
    "FUND_CREATED",
    "ORGANISATION",
    "ACKNOWLEDGE",
    "PLUGIN",
    "PROJECT_CLOSED",
    "PROJECT_CREATED",
    "PROJECT_DISCLOSED",
    "PROJECT_ENDED",
    "PROJECT_STARTED",
    "REFUND",
    "REQUESTED",
    "REVERSAL",
]

ORGANISATION = "charity:organisation"
ACKNOWLEDGE = "charity:acknowledge"

_ACTIONS = {
    FUND_CREATED: "charity.fund.manage",
    PROJECT_CREATED: "charity.fund.manage",
    DONATION: "charity.donation.record",
    ALLOCATION: "charity.allocate",
    REQUESTED: "charity.disbursement.request",
    APPROVED: "charity.disbursement.decide",
    CANCELLED: "charity.disbursement.decide",
    EXPENDITURE: "charity.expenditure.record",
    REFUND: "charity.refund",
    REVERSAL: "charity.reverse",
    ACKNOWLEDGED: "charity.acknowledge",
    PROJECT_STARTED: "charity.fund.manage",
    PROJECT_ENDED: "charity.fund.manage",
    PROJECT_DISCLOSED: "charity.disclose",
    PROJECT_CLOSED: "charity.fund.manage",
}

_CLERKS = frozenset({"clerk", "supervisor"})
_SUPERVISORS = frozenset({"supervisor"})


def _organisation(record: Record) -> str:
    return ORGANISATION


def _acknowledge(record: Record) -> str:
    return ACKNOWLEDGE


PLUGIN = Plugin(
    name="charity",
    kinds=tuple(
        KindSpec(
            kind, _ACTIONS[kind], _acknowledge if kind == ACKNOWLEDGED else _organisation, rules.check, rules.apply
        )
        for kind in ORGANISATION_KINDS + (ACKNOWLEDGED,)
    ),
    actions=(
        ("charity.donation.record", _CLERKS, "登记捐赠", "record donations"),
        ("charity.disbursement.request", _CLERKS, "提出支出申请", "request disbursements"),
        ("charity.acknowledge", _CLERKS, "确认收到慈善款", "acknowledge charity disbursements"),
        ("charity.fund.manage", _SUPERVISORS, "设立基金和项目", "create funds and projects"),
        ("charity.disclose", _SUPERVISORS, "公开项目报告", "disclose project reports"),
        ("charity.allocate", _SUPERVISORS, "向项目拨付", "allocate funds to projects"),
        ("charity.disbursement.decide", _SUPERVISORS, "批准或取消支出申请", "approve or cancel disbursements"),
        ("charity.expenditure.record", _SUPERVISORS, "登记项目支出", "record project expenditure"),
        ("charity.refund", _SUPERVISORS, "退还捐赠", "refund donations"),
        ("charity.reverse", _SUPERVISORS, "冲正记录", "reverse records"),
    ),
    schema=rules.schema,
    after_store=rules.after_store,
    routes=lambda service: _routes(service),
    documents=lambda: _documents(),
)


def _documents() -> tuple:
    """Donation receipts, for the one verifier door (`citychain.documents.door`)."""
    from .verify import RECEIPTS

    return (RECEIPTS,)


def _routes(service):
    """Public reads (trace, funds, receipt status), then the counters' desk; Starlette only where a node serves HTTP."""
    from . import desk_routes, receipt_status, routes

    return [*routes.routes(service), receipt_status.RECEIPT_STATUS.http_route(service), *desk_routes.routes(service)]

"""Public charity reads over HTTP, plugged into the node's API:

- `GET /v1/charity/trace/{receipt}[?charity=AGENCY]` — the same JSON as
  `charity trace --json` (trace_json.trace_report): 400 for a code that is
  not a receipt code (or whose check character is wrong), 404 for one this
  node holds no donation for;
- `GET /v1/charity/funds[?charity=AGENCY]` — each fund's public totals with
  its projects, for every charity log this node holds;
- `GET /v1/charity/disclosures?charity=AGENCY` (default: this node's own
  log) — each project's latest disclosure reports (the last quarter that is
  over, and the final report once it ended) with every obligation's status
  on the node's city date (`charity.disclosure.public_json`, docs/protocol.md
  §12, *Disclosure*); 404 for a charity whose log this node does not hold.

Donor and beneficiary names never leave the node this way: the ledger holds
only commitments, and these routes read only the ledger's index tables.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from citychain.errors import RequestError
from citychain.net.api import handler
from citychain.net.desk_api import error_response, refusal

from . import trace as tracing
from .disclosure import city_today, public_json
from .receipts import InvalidReceipt
from .trace_json import ProofView, funds_report, trace_report


def _charity_arg(request: Request) -> str | None:
    charity = request.query_params.get("charity") or None
    if charity is not None and len(charity) > 64:
        raise RequestError("charity 须为机构标识", "charity must be an agency id", 400, "BAD_PARAMETER", ("charity",))
    return charity


def routes(service) -> list[Route]:
    node = service.node

    def view() -> ProofView:
        return ProofView(
            service.readers.store().conn,
            node.trust,
            node.config.city,
            node.config.witness_quorum,
            int(node.clock.now().timestamp()),
        )

    @handler
    def trace(request: Request) -> JSONResponse:
        receipt = request.path_params["receipt"]
        if len(receipt) > 40:
            return refusal(400, "BAD_RECEIPT", "收据编号过长", "a receipt code is short")
        try:
            return JSONResponse(trace_report(view(), receipt, _charity_arg(request)))
        except (InvalidReceipt, tracing.TraceError) as exc:  # each knows its status: 400, 404 or 409
            return error_response(exc)

    @handler
    def funds(request: Request) -> JSONResponse:
        charity = _charity_arg(request)
        try:
            out = funds_report(service.readers.store().conn, charity, city_today(node.clock.now()))
        except tracing.TraceError as exc:
            return error_response(exc)
        return JSONResponse({"funds": out})

    @handler
    def disclosures(request: Request) -> JSONResponse:
        charity = _charity_arg(request) or node.config.agency
        conn = service.readers.store().conn
        if conn.execute("SELECT 1 FROM logs WHERE agency=?", (charity,)).fetchone() is None:
            return refusal(
                404, "UNKNOWN_CHARITY", f"本节点没有 {charity} 的日志", f"this node holds no log of {charity}"
            )
        return JSONResponse(public_json(conn, charity, city_today(node.clock.now())))

    return [
        Route("/v1/charity/trace/{receipt}", trace),
        Route("/v1/charity/funds", funds),
        Route("/v1/charity/disclosures", disclosures),
    ]

"""What a node knows about one certificate: its status, the issuer's log as this
node holds it, and the proof that the certificate's leaf is in that log.

The same report comes from a node home on disk (`--home`) and from a running
node over HTTP (`GET /v1/certificates/status`); the verifier checks the
checkpoint and the inclusion proof itself either way.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from citychain.api import handler
from citychain.clock import format_time
from citychain.documents.log_report import log_report
from citychain.store import Store


def status_report(store: Store, agency: str, cert_id: str, seq: int, now: str) -> dict[str, Any]:
    report, head = log_report(store, agency, seq, now)
    if head is None:
        return report
    report["certificate"] = None
    row = store.conn.execute(
        "SELECT status, superseded_by, seq FROM certificates WHERE id = ? AND log = ?", (cert_id, head.id)
    ).fetchone()
    if row is not None:
        report["certificate"] = {"status": row[0], "superseded_by": row[1], "seq": row[2]}
    return report


def routes(service) -> list[Route]:
    @handler
    def certificate_status(request: Request) -> JSONResponse:
        query = request.query_params
        try:
            seq = int(query.get("seq", "-1"))
        except ValueError:
            return JSONResponse({"error": "BAD_REQUEST", "message": "seq must be an integer"}, 400)
        agency, cert_id = query.get("agency", ""), query.get("id", "")
        if not agency or not cert_id or len(cert_id) > 120:
            return JSONResponse({"error": "BAD_REQUEST", "message": "give agency, id and seq"}, 400)
        now = format_time(service.node.clock.now())
        return JSONResponse(status_report(service.readers.store(), agency, cert_id, seq, now))

    return [Route("/v1/certificates/status", certificate_status)]

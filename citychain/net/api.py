"""The node's HTTP API (docs/protocol.md §6, docs/openapi.json), as a Starlette app served by uvicorn.

Reads are short and run on the event loop; writes (sign-in, appends, the
witness) run in the thread pool and go through the node under its lock. Each
thread reads through its own SQLite connection. Reads of public data are open; writes need a signed-in
user whose role allows them — checked here by the node, whatever the client.

Every request body has a cap, enforced while it streams in (a declared
Content-Length over it is refused before reading), and requests without a
session are bounded in number, so no stranger can make the node hold much
memory.
"""

from __future__ import annotations

import base64
import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from citychain.accounts.users import SESSION_SECONDS
from citychain.errors import RequestError
from citychain.log import merkle
from citychain.log.encoding import b64encode
from citychain.net import desk_api, health, lists, metrics, reconcile, tiles_api
from citychain.net.cors import ReadCors
from citychain.net.desk_api import (
    error_response,
    parse_json,
    read_body,
    refusal,
    session_user,
    whole_number,
)
from citychain.net.witness import MAX_BODY as WITNESS_BODY
from citychain.node.store import Store

MAX_PAGE = 1000
# Body caps (desk_api.read_body).
NOTIFY_BODY = 256  # `{"agency", "size"}`: only the agency is used (NodeService.notified)
LOGIN_BODY = 4096
RECORDS_BODY = 1 << 20
MAX_INDEX = 10**18 - 1
MAX_ANONYMOUS = 32  # requests without a session in flight at once; more are answered 503
OPENAPI = (
    Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
)  # every route, plug-ins' too (tests/test_openapi.py)


class Readers:
    """One read connection per server thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path, create=False)  # the node made the tables
        return store


def _int(request: Request, name: str, minimum: int = 0) -> int:
    number = whole_number(request.query_params.get(name), MAX_INDEX)
    if number is None or number < minimum:
        raise RequestError(
            f"查询参数 {name} 须为不小于 {minimum} 的整数",
            f"query parameter {name!r} must be a whole number of at least {minimum}",
            400,
            "BAD_PARAMETER",
            (name,),
        )
    return number


def _bad_range(zh: str, en: str) -> RequestError:
    return RequestError(zh, en, 400, "BAD_RANGE")


def handler(func: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """An endpoint (plain or async) whose refusals get the one bilingual
    shape; anything else stays a server error. Reads run on the event loop
    itself: each is a few SQLite lookups, and handing them to a thread pool
    costs more (GIL hand-offs between many threads) than it saves."""

    async def wrapped(request: Request) -> Response:
        try:
            response = func(request)
            return await response if inspect.isawaitable(response) else response
        except Exception as exc:  # noqa: BLE001 — error_response re-raises what it does not know
            return error_response(exc)

    wrapped.__name__ = func.__name__
    return wrapped


def _login_body(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("user", "password")):
        raise RequestError('请发送 {"user": …, "password": …}', 'send {"user": …, "password": …}')
    return value["user"], value["password"]


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("kind"), str) and isinstance(value.get("body"), dict)


def _records_body(value: Any) -> list[tuple[str, dict]]:
    records = value.get("records") if isinstance(value, dict) else None
    if not isinstance(records, list) or not records or not all(map(_is_record, records)):
        raise RequestError(
            '请发送 {"records": [{"kind": …, "body": {…}}, …]}，至少一条',
            'send {"records": [{"kind": …, "body": {…}}, …]} with at least one record',
        )
    return [(r["kind"], r["body"]) for r in records]


class AnonymousLimit:
    """At most `limit` requests without a session in flight; more are told to
    come back (503, Retry-After). Signed-in counters are never turned away.
    The event loop is one thread, so a plain counter is exact."""

    def __init__(self, app: ASGIApp, sessions: Callable[[], Any], limit: int = MAX_ANONYMOUS) -> None:
        self.app, self.sessions, self.limit, self.in_flight = app, sessions, limit, 0

    def _signed_in(self, scope: Scope) -> bool:
        token = desk_api.bearer_token(Headers(scope=scope))
        return token is not None and self.sessions().signed_in(token) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._signed_in(scope):
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            busy = refusal(503, "BUSY", "节点繁忙，请稍后再试", "the node is busy; try again shortly")
            busy.headers["Retry-After"] = "1"
            return await busy(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


_HTTP_WORDS = {
    404: ("NOT_FOUND", "没有这个地址", "no such path"),
    405: ("METHOD_NOT_ALLOWED", "不支持此请求方法", "method not allowed"),
}


def _http_refusal(request: Request, exc: HTTPException) -> Response:
    """Starlette's own refusals (no such route, a wrong method) in our shape."""
    code, zh, en = _HTTP_WORDS.get(exc.status_code, ("BAD_REQUEST", "请求有误", "bad request"))
    answer = refusal(exc.status_code, code, zh, en)
    answer.headers.update(exc.headers or {})
    return answer


def _gone(request: Request, exc: ClientDisconnect) -> Response:
    """The client left while sending: nobody hears the answer, and it is no server error."""
    return Response(status_code=400)


def make_app(service) -> Starlette:
    """`service` is a `service.NodeService`: the node, its readers, witness, syncer."""
    node = service.node
    readers: Readers = service.readers

    def head_or_404(agency: str):
        head = readers.store().head(agency)
        if head is None:
            raise RequestError(f"本节点没有 {agency} 的日志", f"this node holds no log of {agency!r}", 404, "NO_LOG")
        return head

    @handler
    def logs(request: Request) -> Response:
        trust = node.trust
        out = []
        base = str(request.base_url)
        for head in readers.store().heads():
            agency = trust.agencies.get(head.agency)
            out.append(
                {
                    "agency": head.agency,
                    "origin": head.origin,
                    "size": head.size,
                    "status": head.status,
                    "status_detail": head.status_detail,
                    "keys": [k.kid for k in agency.keys] if agency else [],
                    "key_list": lists.key_list(agency, head.origin),  # every key, rotated ones too (§6)
                    "tiles": f"{base}tlog/{head.agency}/",  # C2SP tlog-tiles prefix (§13)
                }
            )
        return JSONResponse({"logs": out})

    @handler
    def checkpoint(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        if not head.checkpoint:
            raise RequestError("还没有检查点", "no checkpoint yet", 404, "NO_CHECKPOINT")
        return PlainTextResponse(head.checkpoint, headers={"Cache-Control": "no-store"})

    @handler
    def entries(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        start, end = _int(request, "start"), _int(request, "end", 1)
        if start >= end or start >= head.size:
            raise _bad_range(
                f"须 start < end 且 start < {head.size}", f"need start < end and start < size ({head.size})"
            )
        end = min(end, start + MAX_PAGE, head.size)
        data = readers.store().leaves(head.id, start, end)
        # The bytes JSONResponse would write, joined directly: base64 needs no
        # escaping, and a page is a thousand 1.7 KB strings (catch-up's hot path).
        body = b'{"entries":["' + b'","'.join(map(base64.b64encode, data)) + b'"]}'
        return Response(body, media_type="application/json")

    @handler
    def inclusion(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        index, size = _int(request, "index"), _int(request, "size", 1)
        if size > head.size or index >= size:
            raise _bad_range(f"须 index < size ≤ {head.size}", f"need index < size ≤ {head.size}")
        hashes = merkle.inclusion_proof(readers.store().reader(head.id), index, size)
        return JSONResponse({"index": index, "size": size, "hashes": [b64encode(h) for h in hashes]})

    @handler
    def consistency(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        old, new = _int(request, "from"), _int(request, "to")
        if old > new or new > head.size:
            raise _bad_range(f"须 from ≤ to ≤ {head.size}", f"need from ≤ to ≤ {head.size}")
        reader = readers.store().reader(head.id)
        if request.query_params.get("full") == "1" and 0 < old < new:
            hashes = merkle.full_consistency_path(reader, old, new)
        else:
            hashes = merkle.consistency_proof(reader, old, new)
        return JSONResponse({"from": old, "to": new, "hashes": [b64encode(h) for h in hashes]})

    @handler
    async def add_checkpoint(request: Request) -> Response:
        reply = await run_in_threadpool(service.witness.add_checkpoint, await read_body(request, WITNESS_BODY))
        return Response(reply.body, reply.status, media_type=reply.content_type)

    @handler
    async def notify(request: Request) -> Response:
        service.notified(await read_body(request, NOTIFY_BODY))
        return JSONResponse({"ok": True}, 202)

    @handler
    def status(request: Request) -> Response:
        return JSONResponse(service.status())

    @handler
    def ready(request: Request) -> Response:
        """Open and cheap; 200 or 503, never another server error (`health.not_ready` catches its own)."""
        why = health.not_ready(service)
        if why:
            return JSONResponse({"ready": False, "why": [reason.to_json() for reason in why]}, 503)
        return JSONResponse({"ready": True})

    scraped = metrics.registry(service)

    @handler
    def prometheus(request: Request) -> Response:
        return Response(generate_latest(scraped), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    @handler
    async def login(request: Request) -> Response:
        name, password = _login_body(parse_json(await read_body(request, LOGIN_BODY)))
        signed = await run_in_threadpool(service.authenticate, name, password)
        return JSONResponse(
            {
                "token": service.sessions.open(signed),
                "user": signed.user.name,
                "role": signed.user.role,
                "expires_in": SESSION_SECONDS,
            }
        )

    @handler
    async def append_records(request: Request) -> Response:
        user = session_user(service, request)  # before the body: strangers' bodies are not read
        items = _records_body(parse_json(await read_body(request, RECORDS_BODY)))
        appended = await run_in_threadpool(service.append, user, items)
        return JSONResponse(
            {
                "size": appended.size,
                "leaf_hashes": [l.hash_hex for l in appended.leaves],
                "first_seq": appended.leaves[0].record.seq,
            },
            201,
        )

    def openapi(request: Request) -> Response:
        return Response(OPENAPI.read_bytes(), media_type="application/json")

    routes = [
        Route("/v1/logs", logs),
        Route("/v1/logs/{agency}/checkpoint", checkpoint),
        Route("/v1/logs/{agency}/entries", entries),
        Route("/v1/logs/{agency}/proof/inclusion", inclusion),
        Route("/v1/logs/{agency}/proof/consistency", consistency),
        Route("/v1/witness/add-checkpoint", add_checkpoint, methods=["POST"]),
        Route("/v1/notify", notify, methods=["POST"]),
        Route("/v1/status", status),
        Route("/v1/health", ready),
        Route("/metrics", prometheus),
        Route("/v1/login", login, methods=["POST"]),
        Route("/v1/records", append_records, methods=["POST"]),
        Route("/openapi.json", openapi),
        *tiles_api.routes(service),
        *lists.routes(service),
        *desk_api.routes(service),
    ]
    # What reads or writes through derived tables is refused while they differ from the logs (`reconcile`).
    guarded = [route for route in routes if route.path == "/v1/records"]
    for plugin in service.plugins:
        if plugin.routes is not None:
            added = plugin.routes(service)
            routes.extend(added)
            guarded.extend(route for route in added if not isinstance(route, reconcile.FromLog))
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(ReadCors),
            Middleware(AnonymousLimit, sessions=lambda: service.sessions),
            Middleware(
                reconcile.RefuseUnreconciled,
                check=lambda: getattr(service, "derived", None),
                routes=routes,
                guarded=guarded,
            ),
        ],
        exception_handlers={HTTPException: _http_refusal, ClientDisconnect: _gone},
    )

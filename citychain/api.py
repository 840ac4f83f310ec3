"""The node's HTTP API (design §4), as a Starlette app served by uvicorn.

Reads are short and run on the event loop; writes (sign-in, appends, the
witness) run in the thread pool and go through the node under its lock. Each
thread reads through its own SQLite connection. Reads of public data are open; writes need a signed-in
user whose role allows them — checked here by the node, whatever the client.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import desk_api, merkle
from .encoding import b64encode
from .kinds import RecordRejected
from .ledger import LedgerUnavailable
from .store import Store
from .users import AuthError, PermissionDenied, User, UserError

MAX_PAGE = 1000
SESSION_SECONDS = 8 * 3600
OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class Sessions:
    """Bearer tokens for signed-in users; kept in memory, so a restart signs everyone out."""

    tokens: dict[str, tuple[User, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (user, time.time() + SESSION_SECONDS)
        return token

    def user(self, token: str) -> User | None:
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None or entry[1] < time.time():
                self.tokens.pop(token, None)
                return None
            return entry[0]

    def close(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)


class Readers:
    """One read connection per server thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path)
        return store


def _int(request: Request, name: str, minimum: int = 0) -> int:
    value = request.query_params.get(name)
    if value is None or not value.isdigit() or len(value) > 18:
        raise ApiError(400, "BAD_PARAMETER", f"query parameter {name!r} must be a non-negative integer")
    number = int(value)
    if number < minimum:
        raise ApiError(400, "BAD_PARAMETER", f"{name} must be at least {minimum}")
    return number


def error_response(exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return JSONResponse({"error": exc.code, "message": str(exc)}, exc.status)
    if isinstance(exc, PermissionDenied):
        return JSONResponse({"error": "PERMISSION_DENIED", "message": str(exc)}, 403)
    if isinstance(exc, AuthError):
        return JSONResponse({"error": "UNAUTHENTICATED", "message": str(exc)}, 401)
    if isinstance(exc, RecordRejected):
        return JSONResponse({"error": exc.code, "message": str(exc), "field": exc.field}, 422)
    if isinstance(exc, LedgerUnavailable):
        return JSONResponse({"error": "LEDGER_UNAVAILABLE", "message": str(exc)}, 503)
    if isinstance(exc, UserError):
        return JSONResponse({"error": "BAD_REQUEST", "message": str(exc)}, 400)
    raise exc


def handler(func: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Reads run on the event loop itself: each is a few SQLite lookups, and
    handing them to a thread pool costs more (GIL hand-offs between many
    threads) than it saves."""

    async def wrapped(request: Request) -> Response:
        try:
            return func(request)
        except (ApiError, AuthError, PermissionDenied, RecordRejected, LedgerUnavailable, UserError) as exc:
            return error_response(exc)

    wrapped.__name__ = func.__name__
    return wrapped


def make_app(service) -> Starlette:
    """`service` is a `service.NodeService`: the node, its readers, witness, syncer."""
    node = service.node
    readers: Readers = service.readers

    def head_or_404(agency: str):
        head = readers.store().head(agency)
        if head is None:
            raise ApiError(404, "NO_LOG", f"this node holds no log of {agency!r}")
        return head

    @handler
    def logs(request: Request) -> Response:
        trust = node.trust
        out = []
        for head in readers.store().heads():
            agency = trust.agencies.get(head.agency)
            out.append({
                "agency": head.agency, "origin": head.origin, "size": head.size, "status": head.status,
                "status_detail": head.status_detail,
                "keys": [k.kid for k in agency.keys] if agency else [],
            })
        return JSONResponse({"logs": out})

    @handler
    def checkpoint(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        if not head.checkpoint:
            raise ApiError(404, "NO_CHECKPOINT", "no checkpoint yet")
        return PlainTextResponse(head.checkpoint, headers={"Cache-Control": "no-store"})

    @handler
    def entries(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        start, end = _int(request, "start"), _int(request, "end", 1)
        if start >= end or start >= head.size:
            raise ApiError(400, "BAD_RANGE", f"need start < end and start < size ({head.size})")
        end = min(end, start + MAX_PAGE, head.size)
        data = readers.store().leaves(head.id, start, end)
        return JSONResponse({"entries": [b64encode(leaf) for leaf in data]})

    @handler
    def inclusion(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        index, size = _int(request, "index"), _int(request, "size", 1)
        if size > head.size or index >= size:
            raise ApiError(400, "BAD_RANGE", f"need index < size ≤ {head.size}")
        hashes = merkle.inclusion_proof(readers.store().reader(head.id), index, size)
        return JSONResponse({"index": index, "size": size, "hashes": [b64encode(h) for h in hashes]})

    @handler
    def consistency(request: Request) -> Response:
        head = head_or_404(request.path_params["agency"])
        old, new = _int(request, "from"), _int(request, "to")
        if old > new or new > head.size:
            raise ApiError(400, "BAD_RANGE", f"need from ≤ to ≤ {head.size}")
        reader = readers.store().reader(head.id)
        if request.query_params.get("full") == "1" and 0 < old < new:
            hashes = merkle.full_consistency_path(reader, old, new)
        else:
            hashes = merkle.consistency_proof(reader, old, new)
        return JSONResponse({"from": old, "to": new, "hashes": [b64encode(h) for h in hashes]})

    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > 64 * 1024:
            return PlainTextResponse("request too large\n", 413)
        from starlette.concurrency import run_in_threadpool

        reply = await run_in_threadpool(service.witness.add_checkpoint, body)
        return Response(reply.body, reply.status, media_type=reply.content_type)

    async def notify(request: Request) -> Response:
        body = await request.body()
        if len(body) > 4096:
            return PlainTextResponse("request too large\n", 413)
        service.syncer.wake()
        return JSONResponse({"ok": True}, 202)

    @handler
    def status(request: Request) -> Response:
        return JSONResponse(service.status())

    async def login(request: Request) -> Response:
        body = await request.body()
        try:
            value = json.loads(body) if len(body) < 4096 else None
            name, password = value["user"], value["password"]
        except (ValueError, TypeError, KeyError):
            return JSONResponse({"error": "BAD_REQUEST", "message": "send {\"user\": …, \"password\": …}"}, 400)
        from starlette.concurrency import run_in_threadpool

        try:
            user = await run_in_threadpool(service.authenticate, name, password)
        except AuthError as exc:
            return error_response(exc)
        return JSONResponse({"token": service.sessions.open(user), "user": user.name, "role": user.role,
                             "expires_in": SESSION_SECONDS})

    async def append_records(request: Request) -> Response:
        user = service.sessions.user(request.headers.get("Authorization", "").removeprefix("Bearer ").strip())
        if user is None:
            return JSONResponse({"error": "UNAUTHENTICATED", "message": "请先登录 / sign in first (POST /v1/login)"}, 401)
        body = await request.body()
        if len(body) > 1 << 20:
            return PlainTextResponse("request too large\n", 413)
        try:
            value = json.loads(body)
            items = [(r["kind"], r["body"]) for r in value["records"]]
        except (ValueError, TypeError, KeyError):
            return JSONResponse({"error": "BAD_REQUEST", "message": "send {\"records\": [{\"kind\": …, \"body\": {…}}]}"}, 400)
        from starlette.concurrency import run_in_threadpool

        try:
            appended = await run_in_threadpool(service.append, user, items)
        except (AuthError, PermissionDenied, RecordRejected, LedgerUnavailable, UserError) as exc:
            return error_response(exc)
        return JSONResponse({"size": appended.size, "leaf_hashes": [l.hash_hex for l in appended.leaves],
                             "first_seq": appended.leaves[0].record.seq}, 201)

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
        Route("/v1/login", login, methods=["POST"]),
        Route("/v1/records", append_records, methods=["POST"]),
        Route("/openapi.json", openapi),
        *desk_api.routes(service),
    ]
    for plugin in service.plugins:
        if plugin.routes is not None:
            routes.extend(plugin.routes(service))
    return Starlette(routes=routes)

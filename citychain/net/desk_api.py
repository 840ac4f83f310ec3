"""What counters need from a hall's node whatever they do there, and the
plumbing every plug-in's desk routes share: a refusal in one bilingual JSON
shape, sign-in by the bearer token of `POST /v1/login` (checked against the
users table on every use), a JSON body with a size cap enforced while it
streams in, and the work itself in the thread pool (it signs, seals and reads the
private store). The node panel reads the public `GET /v1/status`.

| route                   | who       | answers                                  |
|-------------------------|-----------|------------------------------------------|
| GET  /v1/desk/session   | signed in | user, display name, role, its actions    |
| POST /v1/desk/sign-out  | signed in | `{"ok": true}`; the token stops working  |
| POST /v1/desk/sync      | signed in | one sync round with every peer, its lines |

Refusals: `{"error", "message", "message_zh", "message_en", "fields"}`
(`fields`: form field → [zh, en]).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from citychain.accounts.users import (
    AuthError,
    Bilingual,
    PermissionDenied,
    User,
    check_session,
)
from citychain.errors import BilingualError, CityChainError, CodedError, RequestError
from citychain.node.ledger import LedgerUnavailable

NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 256 * 1024
# RFC 6750 §2.1: the scheme (case-insensitive, RFC 9110 §11.1), one or more spaces, a b64token.
BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9._~+/-]+=*)")

Work = Callable[[User, Request, dict], Any]


def refusal(status: int, code: str, zh: str, en: str, fields: dict | None = None) -> JSONResponse:
    return answer(status, CityChainError(code, zh, en, fields))


def answer(status: int, exc: CityChainError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status, headers=NO_STORE)


# The HTTP status of a refusal, the most specific kind first. Other errors
# (HomeError, PkiError… the node itself is unwell) are no refusal: a 500.
STATUSES: tuple[tuple[type[CityChainError], int], ...] = (
    (PermissionDenied, 403),
    (AuthError, 401),
    (LedgerUnavailable, 503),
    (BilingualError, 400),
    (Bilingual, 400),  # UserError and the like: something the person can fix
    (CodedError, 422),  # a record, a proof or a form that breaks a rule
)


def error_response(exc: Exception) -> JSONResponse:
    """The refusal for an error of the core or a plug-in: its own `status`
    (a `RequestError`, a plug-in's "unknown fund"), else its kind's; anything
    else propagates (500)."""
    status = exc.status if isinstance(exc, CityChainError) else None
    if status is None:
        status = next((status for kind, status in STATUSES if isinstance(exc, kind)), None)
    if status is None:
        raise exc
    return answer(status, exc)


class SignedOut(AuthError):
    def __init__(self) -> None:
        super().__init__(
            "登录已失效（会话过期或节点已重启），请重新登录",
            "you are signed out (the session expired or the node restarted); please sign in again",
        )


def bearer_token(headers) -> str | None:
    """The token of `Authorization: Bearer <token>`, the only form accepted."""
    match = BEARER.fullmatch(headers.get("Authorization", ""))
    return match[1] if match else None


def session_user(service, request: Request) -> User:
    """The user the request's token signs in, or an `AuthError`. Asked of the
    users table on every use, so a password change, a disable or a role change
    made by any door, in any process, ends the session at once."""
    token = bearer_token(request.headers)
    signed = service.sessions.signed_in(token) if token else None
    if signed is None:
        raise SignedOut()
    try:
        check_session(service.readers.store().conn, signed)
    except AuthError:
        service.sessions.close(token)
        raise
    return signed.user


def whole_number(text: str | None, top: int) -> int | None:
    """An ASCII decimal 0–top, else None: str.isdigit() and int() also take
    '²' and '٣', and int() of thousands of digits fails."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > len(str(top)):
        return None
    number = int(text)
    return number if number <= top else None


def parse_json(body: bytes) -> Any:
    """Every way a request body can fail to be JSON data — bad UTF-8, bad
    syntax, nesting too deep for the parser (RecursionError), and what Python
    parses but cannot be data (NaN, 1e999, a lone surrogate "\\ud800", which
    no answer echoing it could encode) — is one 400."""
    try:
        value = json.loads(body)
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except (ValueError, RecursionError):  # UnicodeDecodeError and UnicodeEncodeError are ValueErrors
        raise RequestError("请求内容须为 JSON", "the request body must be JSON") from None
    return value


def _too_large(max_bytes: int) -> RequestError:
    return RequestError(f"请求超过 {max_bytes:,} 字节", f"the request is over {max_bytes:,} bytes", 413, "TOO_LARGE")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, read as it streams in and refused (413) at the cap, chunked
    or not; a declared Content-Length over the cap is refused before reading.
    (Starlette's own `max_body_size` answers in plain text, not our shape.)"""
    declared = request.headers.get("content-length")
    if declared is not None and whole_number(declared.strip(), max_bytes) is None:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


async def json_body(request: Request, max_bytes: int = MAX_BODY) -> dict[str, Any]:
    value = parse_json(await read_body(request, max_bytes) or b"{}")
    if not isinstance(value, dict):
        raise RequestError("请求须为 JSON 对象", "the request body must be a JSON object")
    return value


def signed_in_route(
    service,
    path: str,
    work: Work,
    methods: Sequence[str] = ("GET",),
    status: int = 200,
    refuse: Callable[[Exception], JSONResponse] = error_response,
    max_body: int = MAX_BODY,
) -> Route:
    """`work(user, request, payload)` runs in the thread pool once the bearer
    token names a user; a dict result is sent as JSON, a Response as is, and an
    error as `refuse` words it (a plug-in's own errors first, then the core's)."""

    async def endpoint(request: Request) -> Response:
        try:
            user = session_user(service, request)
            payload = await json_body(request, max_body) if request.method == "POST" else {}
            result = await run_in_threadpool(work, user, request, payload)
        except Exception as exc:  # noqa: BLE001 — `refuse` re-raises what it does not know
            return refuse(exc)
        return result if isinstance(result, Response) else JSONResponse(result, status, headers=NO_STORE)

    endpoint.__name__ = getattr(work, "__name__", "desk")
    return Route(path, endpoint, methods=list(methods))


def public_route(path: str, work: Callable[[Request], dict]) -> Route:
    """A read anyone may make, off the event loop."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(work, request), headers=NO_STORE)

    endpoint.__name__ = getattr(work, "__name__", "desk")
    return Route(path, endpoint)


# -- the routes ---------------------------------------------------------------------------------
def routes(service) -> list[Route]:
    node = service.node

    def session(user: User, request: Request, payload: dict) -> dict[str, Any]:
        actions = sorted(r.action for r in node.permissions.rules() if user.role in r.roles)
        return {"user": user.name, "display_name": user.display_name, "role": str(user.role), "actions": actions}

    def sign_out(user: User, request: Request, payload: dict) -> dict[str, Any]:
        service.sessions.close(bearer_token(request.headers))
        return {"ok": True}

    def sync(user: User, request: Request, payload: dict) -> dict[str, Any]:
        return {"lines": service.syncer.run_round()}

    return [
        signed_in_route(service, "/v1/desk/session", session),
        signed_in_route(service, "/v1/desk/sign-out", sign_out, ("POST",)),
        signed_in_route(service, "/v1/desk/sync", sync, ("POST",)),
    ]

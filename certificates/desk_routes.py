"""The certificate desk over HTTP, for a hall of counters sharing one agency node.

Every write route signs the caller in from the bearer token of `POST /v1/login`
and lets the node decide: the role is checked with the very action the
record's append needs, before anything is written (so a clerk's revoke is
refused here exactly as on the CLI or at an embedded counter), and the work
goes through `CertificateDesk`, so the kind rules, the private store and the
seal are the ones the embedded node uses. Reads of personal data are for this
node's users only (`desk_queries`).

| route                                         | who            | answers                        |
|-----------------------------------------------|----------------|--------------------------------|
| GET  /v1/desk                                 | anyone         | the agency, its licence types  |
| GET  /v1/desk/session, POST /v1/desk/sign-out | signed in      | user, role, actions            |
| GET  /v1/desk/status, POST /v1/desk/sync      | anyone / signed in | the node panel; one sync round |
| POST /v1/certificates                         | certificate.issue | the issued certificate      |
| GET  /v1/certificates?text=&type=&status=…    | signed in      | a page of records (masked)     |
| GET  /v1/certificates/{id}                    | signed in      | detail: entry, proof, history  |
| GET  /v1/certificates/{id}/values             | log.read_private | clear values                 |
| GET  /v1/certificates/{id}/pdf                | certificate.issue | the sealed PDF (reprint)    |
| POST /v1/certificates/{id}/revoke|suspend|reinstate | supervisor | detail after the change      |
| POST /v1/certificates/{id}/supersede          | supervisor     | the new certificate            |

Refusals are JSON `{"error", "message", "message_zh", "message_en", "fields"}`
(`fields`: form field → [zh, en]); a form with problems is 422 and writes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from citychain.clock import format_time
from citychain.errors import BilingualError, CodedError
from citychain.kinds import RecordRejected
from citychain.ledger import LedgerUnavailable
from citychain.users import AuthError, Bilingual, PermissionDenied, User

from . import kinds
from .desk import CertificateDesk
from .desk_queries import PRIVATE_ACTION, DeskQueries, RequestError, query_from_params
from .fields import FieldErrors
from .identifiers import parse_certificate_id
from .types import BY_ID

MAX_BODY = 256 * 1024
CHANGES = {"revoke": kinds.REVOKED, "suspend": kinds.SUSPENDED, "reinstate": kinds.REINSTATED}
REPRINT_ACTION = "certificate.issue"  # whoever may issue may hand out a copy (as `certificates reprint`)
NO_STORE = {"Cache-Control": "no-store"}


# -- the HTTP plumbing -------------------------------------------------------------------
def refusal(status: int, code: str, zh: str, en: str, fields: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": f"{zh} / {en}", "message_zh": zh, "message_en": en,
                         "fields": fields or {}}, status, headers=NO_STORE)


def error_response(exc: Exception) -> JSONResponse:
    """One bilingual JSON shape for every refusal; anything else propagates (500)."""
    if isinstance(exc, FieldErrors):
        return refusal(422, "INVALID_FIELDS", "请更正标出的栏目：" + "；".join(p.message_zh for p in exc.problems),
                       "Please correct the marked fields: " + "; ".join(p.message_en for p in exc.problems),
                       {p.field: [p.message_zh, p.message_en] for p in exc.problems})
    if isinstance(exc, RecordRejected):
        fields = {exc.field: [exc.message_zh, exc.message_en]} if exc.field else {}
        return refusal(422, exc.code, exc.message_zh, exc.message_en, fields)
    if isinstance(exc, LedgerUnavailable):
        return refusal(503, "UNAVAILABLE", "本节点暂时不能写入账本：" + str(exc), "this node cannot write now: " + str(exc))
    if isinstance(exc, PermissionDenied):
        return refusal(403, "PERMISSION_DENIED", exc.message_zh, exc.message_en)
    if isinstance(exc, AuthError):
        return refusal(401, "UNAUTHENTICATED", exc.message_zh, exc.message_en)
    if isinstance(exc, RequestError):
        return refusal(exc.status, exc.code, exc.message_zh, exc.message_en,
                       {name: [exc.message_zh, exc.message_en] for name in exc.fields})
    if isinstance(exc, BilingualError):
        return refusal(400, exc.code, exc.message_zh, exc.message_en)
    if isinstance(exc, Bilingual):  # UserError and the like: something the person can fix
        return refusal(400, getattr(exc, "code", "BAD_REQUEST"), exc.message_zh, exc.message_en)
    if isinstance(exc, CodedError):  # the core's one-message errors ("zh / en" where people see them)
        zh, _, en = str(exc).partition(" / ")
        return refusal(422, exc.code, zh, en or zh)
    raise exc


REFUSALS = (CodedError, Bilingual, FieldErrors, RecordRejected, LedgerUnavailable)


def bearer_user(service, request: Request) -> User | None:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return service.sessions.user(token) if token else None


async def json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise RequestError("请求过大", f"the request is over {MAX_BODY // 1024} KiB", 413, "TOO_LARGE")
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise RequestError("请求须为 JSON 对象", "the request body must be a JSON object")
    return value


def signed_in_route(service, path: str, work: Callable[..., Any], methods: Sequence[str] = ("GET",),
                    status: int = 200) -> Route:
    """`work(user, request, payload)` runs in the thread pool (it signs, seals and
    reads the private store) once the bearer token names a user; a dict result
    is sent as JSON, a Response as is."""

    async def endpoint(request: Request) -> Response:
        user = bearer_user(service, request)
        if user is None:
            return refusal(401, "UNAUTHENTICATED", "登录已失效（会话过期或节点已重启），请重新登录",
                           "you are signed out (the session expired or the node restarted); please sign in again")
        try:
            payload = await json_body(request) if request.method == "POST" else {}
            result = await run_in_threadpool(work, user, request, payload)
        except REFUSALS as exc:
            return error_response(exc)
        return result if isinstance(result, Response) else JSONResponse(result, status, headers=NO_STORE)

    endpoint.__name__ = getattr(work, "__name__", "desk")
    return Route(path, endpoint, methods=list(methods))


def text_arg(payload: dict, name: str, required: bool = False, max_length: int = 500) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise RequestError(f"请填写{name}", f"{name} is required", 422, "INVALID_FIELDS", (name,))
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise RequestError(f"{name} 须为不超过 {max_length} 个字符的文本",
                           f"{name} must be text of at most {max_length} characters", fields=(name,))
    return value


def form_arg(payload: dict) -> dict[str, str]:
    form = payload.get("form", {})
    if not isinstance(form, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in form.items()):
        raise RequestError("form 须为“栏目名: 文本”的对象", "form must map field names to text values")
    return form


# -- the routes ------------------------------------------------------------------------------
class CertificateRoutes:
    """One desk per running node: its seal key is unsealed once, not per request."""

    def __init__(self, service) -> None:
        self.service = service
        self.node = service.node
        self.desk = CertificateDesk(service.node)
        self.queries = DeskQueries(service.node, service.readers)

    def _require(self, user: User, action: str) -> None:
        """The node's own check, before any private data is written."""
        with self.node.lock:
            self.node.users.require_current(user)
            self.node.users.require(user, action)

    def _cert_id(self, request: Request) -> str:
        text = request.path_params["cert_id"]
        if len(text) > 120:
            raise RequestError("证照标识过长", "the certificate id is too long")
        cert_id = str(parse_certificate_id(text))
        self.queries.own_row(self.service.readers.store().conn, cert_id)  # 404 unless this agency issued it
        return cert_id

    @staticmethod
    def _issued(issued) -> dict[str, Any]:
        body = issued.leaf.record.body
        return {"cert_id": issued.cert_id, "type": body["type"], "seq": issued.leaf.record.seq,
                "valid_from": body["valid_from"], "valid_until": body.get("valid_until"),
                "leaf_hash": issued.leaf.hash_hex}

    # -- the counter in general --------------------------------------------------------------
    def node_info(self, request: Request) -> dict[str, Any]:
        config, trust = self.node.config, self.node.trust
        agency = trust.agencies.get(config.agency)
        return {"city": config.city, "agency": config.agency,
                "name_zh": agency.name_zh if agency else config.agency,
                "name_en": agency.name_en if agency else config.agency,
                "licence_types": self.queries.issuable(),
                "agencies": [[a.id, a.name_zh, a.name_en] for a in trust.agencies.values()]}

    def session(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        with self.node.lock:
            self.node.users.require_current(user)
        actions = sorted(r.action for r in self.node.permissions.rules() if user.role in r.roles)
        return {"user": user.name, "display_name": user.display_name, "role": str(user.role), "actions": actions}

    def sign_out(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        sessions = self.service.sessions
        with sessions.lock:
            sessions.tokens.pop(token, None)
        return {"ok": True}

    def node_status(self, request: Request) -> dict[str, Any]:
        status = self.service.status()
        own = status["own_log"]
        cosigners, newest = self.queries.cosigners(own["checkpoint"])
        when = format_time(datetime.fromtimestamp(newest, timezone.utc)) if newest else None
        keys = ("url", "last_contact", "seconds_since_contact", "error", "error_code", "failures", "lag_entries",
                "lag_seconds")
        return {"agency": status["agency"], "own_size": own["size"], "checkpoint": own["checkpoint"],
                "checkpoint_time": when, "cosigners": list(cosigners), "quorum": own["quorum"],
                "signing": own["signing"], "refusal": own["refusal"],
                "peers": [{k: peer[k] for k in keys} for peer in status["peers"]],
                "logs": [{"agency": log["agency"], "size": log["size"], "status": log["status"],
                          "detail": log["detail"]} for log in status["logs"]],
                "forks": status["forks"]}

    def sync(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        return {"lines": self.service.syncer.run_round()}

    # -- certificates ---------------------------------------------------------------------------
    def issue(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        type_id = payload.get("type")
        if not isinstance(type_id, str) or type_id not in BY_ID:
            raise RequestError(f"未知的证照类型 {type_id}", f"unknown licence type {type_id!r}", 422, "INVALID_FIELDS",
                               ("type",))
        form = form_arg(payload)
        valid_from, valid_until = text_arg(payload, "valid_from", max_length=10), text_arg(payload, "valid_until", max_length=10)
        self._require(user, self.node.kinds.get(kinds.ISSUED).action)
        if type_id not in self.queries.issuable():
            licence = BY_ID[type_id]
            raise RequestError(f"本机构无权签发{licence.name_zh}", f"this agency may not issue a {licence.name_en}",
                               422, "ISSUER_NOT_AUTHORISED", ("type",))
        with self.node.lock:
            return self._issued(self.desk.issue(user, type_id, form, valid_from, valid_until))

    def search(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        return self.queries.search(query_from_params(request.query_params))

    def detail(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        return self.queries.detail(self._cert_id(request))

    def values(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        cert_id = self._cert_id(request)
        self._require(user, PRIVATE_ACTION)
        return {"values": self.queries.values(cert_id)}

    def pdf(self, user: User, request: Request, payload: dict) -> Response:
        cert_id = self._cert_id(request)
        self._require(user, REPRINT_ACTION)
        with self.node.lock:
            data = self.desk.pdf(cert_id)
        name = cert_id.replace(".", "_")
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"', **NO_STORE})

    def change(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        kind = CHANGES[request.url.path.rsplit("/", 1)[1]]
        reason = text_arg(payload, "reason", required=True)
        cert_id = self._cert_id(request)
        with self.node.lock:
            self.desk.change(user, kind, cert_id, reason)
        return self.queries.detail(cert_id)

    def supersede(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        reason = text_arg(payload, "reason", required=True)
        form = form_arg(payload)
        valid_from, valid_until = text_arg(payload, "valid_from", max_length=10), text_arg(payload, "valid_until", max_length=10)
        cert_id = self._cert_id(request)
        self._require(user, self.node.kinds.get(kinds.SUPERSEDED).action)
        with self.node.lock:
            return self._issued(self.desk.supersede(user, cert_id, form, reason, valid_from, valid_until))

    def routes(self) -> list[Route]:
        service, one = self.service, "/v1/certificates/{cert_id}"

        def public(work: Callable[[Request], dict]) -> Callable:
            async def endpoint(request: Request) -> Response:
                return JSONResponse(await run_in_threadpool(work, request), headers=NO_STORE)

            return endpoint

        return [
            Route("/v1/desk", public(self.node_info)),
            Route("/v1/desk/status", public(self.node_status)),
            signed_in_route(service, "/v1/desk/session", self.session),
            signed_in_route(service, "/v1/desk/sign-out", self.sign_out, ("POST",)),
            signed_in_route(service, "/v1/desk/sync", self.sync, ("POST",)),
            signed_in_route(service, "/v1/certificates", self.issue, ("POST",), 201),
            signed_in_route(service, "/v1/certificates", self.search),
            signed_in_route(service, one + "/values", self.values),
            signed_in_route(service, one + "/pdf", self.pdf),
            signed_in_route(service, one + "/supersede", self.supersede, ("POST",), 201),
            *(signed_in_route(service, f"{one}/{change}", self.change, ("POST",)) for change in CHANGES),
            signed_in_route(service, one, self.detail),
        ]


def routes(service) -> list[Route]:
    return CertificateRoutes(service).routes()

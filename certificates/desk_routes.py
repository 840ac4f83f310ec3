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
| POST /v1/certificates                         | certificate.issue | the issued certificate      |
| GET  /v1/certificates?text=&type=&status=…    | signed in      | a page of records (masked)     |
| GET  /v1/certificates/{id}                    | signed in      | detail: entry, proof, history  |
| GET  /v1/certificates/{id}/values             | log.read_private | clear values                 |
| GET  /v1/certificates/{id}/pdf                | certificate.issue | the sealed PDF (reprint)    |
| POST /v1/certificates/{id}/revoke|suspend|reinstate | supervisor | detail after the change      |
| POST /v1/certificates/{id}/supersede          | supervisor     | the new certificate            |

Sign-in, sign-out and sync for every desk are the core's (`citychain.net.desk_api`),
and so is the refusal shape; a form with problems is 422 and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from citychain.accounts.users import User
from citychain.errors import RequestError
from citychain.net import desk_api
from citychain.net.desk_api import NO_STORE, public_route

from . import kinds
from .desk import CertificateDesk
from .desk_queries import PRIVATE_ACTION, DeskQueries, query_from_params
from .identifiers import parse_certificate_id
from .types import BY_ID

CHANGES = {"revoke": kinds.REVOKED, "suspend": kinds.SUSPENDED, "reinstate": kinds.REINSTATED}
REPRINT_ACTION = "certificate.issue"  # whoever may issue may hand out a copy (as `certificates reprint`)


def signed_in_route(service, path: str, work: Callable[..., Any], methods=("GET",), status: int = 200) -> Route:
    """A form's `FieldErrors` is a 422 naming every field, like any core refusal."""
    return desk_api.signed_in_route(service, path, work, methods, status, desk_api.error_response)


def text_arg(payload: dict, name: str, required: bool = False, max_length: int = 500) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise RequestError(f"请填写{name}", f"{name} is required", 422, "INVALID_FIELDS", (name,))
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise RequestError(
            f"{name} 须为不超过 {max_length} 个字符的文本",
            f"{name} must be text of at most {max_length} characters",
            fields=(name,),
        )
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
        return {
            "cert_id": issued.cert_id,
            "type": body["type"],
            "seq": issued.leaf.record.seq,
            "valid_from": body["valid_from"],
            "valid_until": body.get("valid_until"),
            "leaf_hash": issued.leaf.hash_hex,
        }

    # -- the counter in general --------------------------------------------------------------
    def node_info(self, request: Request) -> dict[str, Any]:
        config, trust = self.node.config, self.node.trust
        agency = trust.agencies.get(config.agency)
        return {
            "city": config.city,
            "agency": config.agency,
            "name_zh": agency.name_zh if agency else config.agency,
            "name_en": agency.name_en if agency else config.agency,
            "licence_types": self.queries.issuable(),
            "agencies": [[a.id, a.name_zh, a.name_en] for a in trust.agencies.values()],
        }

    # -- certificates ---------------------------------------------------------------------------
    def issue(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        type_id = payload.get("type")
        if not isinstance(type_id, str) or type_id not in BY_ID:
            raise RequestError(
                f"未知的证照类型 {type_id}", f"unknown licence type {type_id!r}", 422, "INVALID_FIELDS", ("type",)
            )
        form = form_arg(payload)
        valid_from, valid_until = (
            text_arg(payload, "valid_from", max_length=10),
            text_arg(payload, "valid_until", max_length=10),
        )
        self._require(user, self.node.kinds.get(kinds.ISSUED).action)
        if type_id not in self.queries.issuable():
            licence = BY_ID[type_id]
            raise RequestError(
                f"本机构无权签发{licence.name_zh}",
                f"this agency may not issue a {licence.name_en}",
                422,
                "ISSUER_NOT_AUTHORISED",
                ("type",),
            )
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
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"', **NO_STORE},
        )

    def change(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        kind = CHANGES[request.url.path.rsplit("/", 1)[1]]
        reason = text_arg(payload, "reason", required=True)
        cause = text_arg(payload, "cause", max_length=20)  # a revocation's event (causes.CAUSES), optional
        cert_id = self._cert_id(request)
        with self.node.lock:
            self.desk.change(user, kind, cert_id, reason, cause)
        return self.queries.detail(cert_id)

    def supersede(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        reason = text_arg(payload, "reason", required=True)
        form = form_arg(payload)
        valid_from, valid_until = (
            text_arg(payload, "valid_from", max_length=10),
            text_arg(payload, "valid_until", max_length=10),
        )
        cert_id = self._cert_id(request)
        self._require(user, self.node.kinds.get(kinds.SUPERSEDED).action)
        with self.node.lock:
            return self._issued(self.desk.supersede(user, cert_id, form, reason, valid_from, valid_until))

    def routes(self) -> list[Route]:
        service, one = self.service, "/v1/certificates/{cert_id}"
        return [
            public_route("/v1/desk", self.node_info),
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

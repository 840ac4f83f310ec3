"""The charity desk over HTTP, for counters sharing the charity's (or a
beneficiary agency's) node. Public reads — a donation's trace, funds' totals —
are in `charity.routes`; these routes write, or read what only this node's
users may see (masked donors, pending requests).

Each route signs the caller in from the bearer token of `POST /v1/login` and
goes through `CharityDesk`, so `Node.append` checks the role with the same
action as for every other door, and the rules refuse what they refuse
everywhere (e.g. an approval by the person who made the request).

| route                                                  | answers (ui.backend data)  |
|--------------------------------------------------------|----------------------------|
| GET  /v1/charity/desk                                  | which charity desks (public) |
| GET  /v1/charity/desk/funds, /projects?fund=           | Fund, Project lists        |
| GET  /v1/charity/desk/donations?limit=                 | Donation list, newest first |
| GET  /v1/charity/desk/disbursements?status=, /to-acknowledge | Disbursement lists   |
| POST /v1/charity/desk/funds, /projects, /donations, /allocations, /requests, /acknowledgements | Written |
| POST /v1/charity/desk/requests/{id}/approve, /cancel   | Written                    |
| GET  /v1/charity/desk/receipts/{receipt}/pdf           | the receipt PDF            |

Refusals have the one shape of `citychain.net.desk_api`; an unknown fund, project
or request is 404, a rule's refusal 422.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from citychain.accounts.users import User
from citychain.errors import RequestError
from citychain.log.records import Leaf, parse_leaf
from citychain.net import desk_api
from citychain.net.desk_api import NO_STORE, public_route, whole_number

from . import request_list
from .desk import CharityDesk
from .kinds import ACKNOWLEDGE, ORGANISATION

MAX_BODY = 64 * 1024
RECEIPT_ACTION = "charity.donation.record"
FUND_KEYS = (
    "id",
    "name_zh",
    "name_en",
    "target_fen",
    "donations",
    "raised_fen",
    "refunded_fen",
    "allocated_fen",
    "unallocated_fen",
    "pending_fen",
    "disbursed_fen",
    "acknowledged_fen",
    "spent_fen",
    "held_fen",
)
PROJECT_KEYS = (
    "id",
    "fund",
    "name_zh",
    "name_en",
    "budget_fen",
    "allocated_fen",
    "pending_fen",
    "disbursed_fen",
    "acknowledged_fen",
    "spent_fen",
    "held_fen",
)
DONATION_KEYS = (
    "receipt",
    "seq",
    "time",
    "fund",
    "amount_fen",
    "channel",
    "anonymous",
    "refunded_fen",
    "reversed_by",
    "donor",
)


class BadRequest(RequestError):
    """Naming the field at fault makes it a 422 that the counter marks on its form."""

    def __init__(
        self, message_zh: str, message_en: str, field: str | None = None, status: int = 400, code: str = "BAD_REQUEST"
    ) -> None:
        super().__init__(
            message_zh,
            message_en,
            422 if field else status,
            "INVALID_FIELDS" if field else code,
            (field,) if field else (),
        )


def signed_in_route(service, path: str, work: Callable[..., Any], method: str) -> Route:
    """Refused by `desk_api.error_response`: the charity's errors carry their
    status (`CharityError`, `ReceiptError`, `InvalidReceipt`, `AmountError`)."""
    return desk_api.signed_in_route(service, path, work, (method,), 201 if method == "POST" else 200, max_body=MAX_BODY)


def _text(payload: dict, name: str, optional: bool = False) -> str | None:
    value = payload.get(name)
    if optional and value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 1000:
        raise BadRequest(f"请填写{name}", f"{name} is required (text)", name)
    return value


def _fen(payload: dict, name: str, optional: bool = False) -> int | None:
    value = payload.get(name)
    if optional and value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{name} 须为整数（分）", f"{name} must be a whole number of fen", name)
    return value


# -- the routes ------------------------------------------------------------------------------
class CharityRoutes:
    def __init__(self, service) -> None:
        self.service = service
        self.node = service.node

    @cached_property
    def desk(self) -> CharityDesk:
        return CharityDesk(self.node, self.node.private())

    def _permissions(self, agency: str) -> frozenset[str]:
        known = self.node.trust.agencies.get(agency)
        return known.permissions if known else frozenset()

    def _last_leaf(self) -> Leaf:
        """The record just appended (the caller holds the node's lock)."""
        store = self.node.store
        head = store.head(self.node.config.agency)
        return parse_leaf(store.leaves(head.id, head.size - 1, head.size)[0], store.hasher)

    @staticmethod
    def _written(id_: str, leaf: Leaf) -> dict[str, Any]:
        return {"id": id_, "seq": leaf.record.seq, "leaf_hash": leaf.hash_hex}

    # -- reading ----------------------------------------------------------------------------
    def desks(self, request: Request) -> dict[str, Any]:
        own = self._permissions(self.node.config.agency)
        return {
            "charity": ORGANISATION in own,
            "acknowledges": ACKNOWLEDGE in own,
            "beneficiaries": [a.id for a in self.node.trust.agencies.values() if ACKNOWLEDGE in a.permissions],
        }

    def funds(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        return {"funds": [{k: getattr(t, k) for k in FUND_KEYS} for t in self.desk.funds()]}

    def projects(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        fund = request.query_params.get("fund") or None
        return {"projects": [{k: getattr(t, k) for k in PROJECT_KEYS} for t in self.desk.projects(fund)]}

    def donations(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        limit = whole_number(request.query_params.get("limit"), 10_000) or 200
        listed = self.desk.donations()[-limit:]
        return {"donations": [{k: getattr(d, k) for k in DONATION_KEYS} for d in reversed(listed)]}

    def disbursements(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        conn = self.service.readers.store().conn
        return {
            "disbursements": request_list.charity_requests(
                conn, self.node.config.agency, request.query_params.get("status", "")
            )
        }

    def to_acknowledge(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        conn = self.service.readers.store().conn
        return {"disbursements": request_list.to_acknowledge(conn, self.node.config.agency)}

    def receipt_pdf(self, user: User, request: Request, payload: dict) -> Response:
        try:
            from .receipt_pdf import receipt_pdf
        except ImportError:
            raise BadRequest(
                "本节点还不能打印捐赠收据", "this node cannot print receipts yet", status=501, code="UNAVAILABLE"
            ) from None
        with self.node.lock:  # the receipt names the donor: for those who may take donations
            self.node.users.require_current(user)
            self.node.users.require(user, RECEIPT_ACTION)
            data = receipt_pdf(self.node, request.path_params["receipt"], self.node.private())
        return Response(data, media_type="application/pdf", headers=NO_STORE)

    # -- writing ----------------------------------------------------------------------------
    def create_fund(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        fund_id = _text(payload, "fund_id").strip()
        leaf = self.desk.create_fund(
            user,
            fund_id,
            _text(payload, "name_zh"),
            _text(payload, "name_en"),
            _fen(payload, "target_fen", optional=True),
        )
        return self._written(fund_id, leaf)

    def create_project(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        project_id = _text(payload, "project_id").strip()
        leaf = self.desk.create_project(
            user,
            project_id,
            _text(payload, "fund_id"),
            _text(payload, "name_zh"),
            _text(payload, "name_en"),
            _fen(payload, "budget_fen"),
        )
        return self._written(project_id, leaf)

    def record_donation(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        anonymous = payload.get("anonymous", False)
        if not isinstance(anonymous, bool):
            raise BadRequest("anonymous 须为 true 或 false", "anonymous must be true or false", "anonymous")
        args = (
            _text(payload, "fund_id"),
            _fen(payload, "amount_fen"),
            _text(payload, "channel"),
            _text(payload, "donor_name"),
            _text(payload, "donor_id_number", optional=True),
            anonymous,
        )
        with self.node.lock:
            receipt = self.desk.record_donation(user, *args)
            return self._written(receipt, self._last_leaf())

    def allocate(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        args = (_text(payload, "fund_id"), _text(payload, "project_id"), _fen(payload, "amount_fen"))
        with self.node.lock:
            return self._written(self.desk.allocate(user, *args), self._last_leaf())

    def request_disbursement(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        args = (
            _text(payload, "project_id"),
            _fen(payload, "amount_fen"),
            _text(payload, "beneficiary_name"),
            _text(payload, "beneficiary_id_number", optional=True),
            _text(payload, "beneficiary_agency"),
            _text(payload, "purpose"),
        )
        with self.node.lock:
            return self._written(self.desk.request_disbursement(user, *args), self._last_leaf())

    def approve(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        request_id = request.path_params["request_id"]
        return self._written(request_id, self.desk.approve(user, request_id))

    def cancel(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        request_id = request.path_params["request_id"]
        return self._written(request_id, self.desk.cancel(user, request_id, _text(payload, "reason")))

    def acknowledge(self, user: User, request: Request, payload: dict) -> dict[str, Any]:
        request_id = _text(payload, "request_id")
        return self._written(request_id, self.desk.acknowledge(user, _text(payload, "charity"), request_id))

    def routes(self) -> list[Route]:
        service, base = self.service, "/v1/charity/desk"

        def route(path: str, work, method: str = "GET") -> Route:
            return signed_in_route(service, base + path, work, method)

        return [
            public_route(base, self.desks),
            route("/funds", self.funds),
            route("/funds", self.create_fund, "POST"),
            route("/projects", self.projects),
            route("/projects", self.create_project, "POST"),
            route("/donations", self.donations),
            route("/donations", self.record_donation, "POST"),
            route("/disbursements", self.disbursements),
            route("/to-acknowledge", self.to_acknowledge),
            route("/allocations", self.allocate, "POST"),
            route("/requests", self.request_disbursement, "POST"),
            route("/requests/{request_id}/approve", self.approve, "POST"),
            route("/requests/{request_id}/cancel", self.cancel, "POST"),
            route("/acknowledgements", self.acknowledge, "POST"),
            route("/receipts/{receipt}/pdf", self.receipt_pdf),
        ]


def routes(service) -> list[Route]:
    return CharityRoutes(service).routes()

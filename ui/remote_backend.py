"""The counter's node over HTTPS: `Backend` on a shared agency node of a service hall.

Every call is one request to the node's desk routes (certificates.desk_routes,
charity.desk_routes); the node signs the person in, checks the role and
writes, so nothing here decides a permission. Results arrive as the JSON of
ui.backend's dataclasses and are rebuilt with `from_json`.

Transport: TLS is verified against the city root CA of the counter's own
configuration (`ca_file`; the environment's proxies and CA bundles are
ignored). Reads (GET) are retried on connection and read failures; writes
only when the connection never opened, so a request the node may have
carried out is never sent twice. A node that cannot be reached is an
UNAVAILABLE `BackendError` the GUI shows and recovers from: the next call
simply tries again. No Qt here.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util.retry import Retry

from .backend import (
    INVALID_FIELDS,
    NOT_FOUND,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    BackendError,
    CertificateDetail,
    Disbursement,
    Donation,
    Fund,
    IssuedCertificate,
    NodeInfo,
    NodeStatus,
    Project,
    RecordPage,
    RecordQuery,
    Session,
    SyncReport,
    Trace,
    Written,
    from_json,
)
from .backend_json import record_query_params

CHANGES = ("revoke", "suspend", "reinstate")
_STATUS_CODES = {401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 404: NOT_FOUND, 422: INVALID_FIELDS, 503: UNAVAILABLE}


def _never_sent(exc: Exception) -> bool:
    """True when the connection never opened, so the node cannot have acted."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError (refused, no route, no name) included


def _segment(text: str) -> str:
    return quote(str(text), safe="")


class RemoteBackend:
    def __init__(self, url: str, ca_file: str | None = None, *, connect_timeout: float = 3.0,
                 read_timeout: float = 30.0, retries: int = 2) -> None:
        if not url.startswith(("http://", "https://")):
            raise BackendError("BAD_URL", f"节点地址须以 https:// 开头：{url}", f"a node address starts with https://: {url}")
        self.url = url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.http = requests.Session()
        self.http.trust_env = False  # only the counter's own CA file, never REQUESTS_CA_BUNDLE or proxies
        self.verify: str | bool = str(ca_file) if ca_file else True
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=0.2,
                      allowed_methods=frozenset({"GET", "HEAD"}), status_forcelist=(502, 504), raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    # -- transport ------------------------------------------------------------------------
    def _send(self, method: str, path: str, session: Session | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {session.token}"} if session is not None else {}
        try:
            reply = self.http.request(method, self.url + path, headers=headers, timeout=self.timeout,
                                      verify=self.verify, **kwargs)
        except requests.exceptions.SSLError:
            raise BackendError(
                UNAVAILABLE, f"无法安全连接节点 {self.url}：其证书不是本市根证书签发的，或已过期",
                f"cannot connect securely to {self.url}: its certificate is not from the city root CA, or has expired",
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            if method != "GET" and not _never_sent(exc):
                raise BackendError(
                    UNAVAILABLE, f"与节点 {self.url} 的连接在处理中断开：本次操作可能已经完成，请先查看记录再重试。",
                    f"The connection to {self.url} broke while the node was working: this may have been done "
                    "already. Check the records before trying again.",
                ) from None
            raise BackendError(
                UNAVAILABLE, f"无法连接节点 {self.url}。请检查网络，稍后再试；已填写的内容不会丢失。",
                f"The node at {self.url} cannot be reached. Check the network and try again; "
                "nothing you typed is lost.",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise BackendError(UNAVAILABLE, f"与节点 {self.url} 通信失败", f"talking to {self.url} failed: "
                               f"{type(exc).__name__}") from None
        if reply.status_code >= 400:
            raise self._refusal(reply)
        return reply

    def _refusal(self, reply: requests.Response) -> BackendError:
        """The node's bilingual refusal, as the GUI's error."""
        try:
            data = reply.json()
        except ValueError:
            data = None
        status = reply.status_code
        if not isinstance(data, dict) or "error" not in data:
            if status == 404:
                return BackendError(NOT_FOUND, "节点不提供此功能（版本较旧？）",
                                    f"the node at {self.url} does not offer this (an older version?)")
            return BackendError(UNAVAILABLE, f"节点出错（HTTP {status}），请稍后再试",
                                f"the node failed (HTTP {status}); try again later")
        zh, en = data.get("message_zh"), data.get("message_en")
        if not (zh and en):  # the core API's shape: one "zh / en" message
            zh, _, en = str(data.get("message", "")).partition(" / ")
            en = en or zh
        code = str(data.get("error") or _STATUS_CODES.get(status, "REFUSED"))
        if status == 401:  # whatever the reason, the GUI goes back to sign-in
            code = UNAUTHENTICATED
        fields = {name: (pair[0], pair[1]) for name, pair in (data.get("fields") or {}).items()
                  if isinstance(pair, list) and len(pair) == 2}
        return BackendError(code, zh, en, fields)

    def _json(self, method: str, path: str, session: Session | None = None, **kwargs: Any) -> Any:
        reply = self._send(method, path, session, **kwargs)
        try:
            return reply.json()
        except ValueError:
            raise BackendError(UNAVAILABLE, "节点的回答无法读取", f"the node's answer to {path} is not JSON") from None

    def _pdf(self, path: str, session: Session) -> bytes:
        reply = self._send("GET", path, session)
        if not reply.headers.get("Content-Type", "").startswith("application/pdf"):
            raise BackendError(UNAVAILABLE, "节点没有返回 PDF", "the node did not send a PDF")
        return reply.content

    # -- the node and signing in ---------------------------------------------------------------
    def info(self) -> NodeInfo:
        desk = self._json("GET", "/v1/desk")
        try:
            charity = self._json("GET", "/v1/charity/desk")
        except BackendError as exc:
            if exc.code != NOT_FOUND:
                raise
            charity = {"charity": False, "acknowledges": False, "beneficiaries": []}
        return NodeInfo(
            desk["city"], desk["agency"], desk["name_zh"], desk["name_en"], tuple(desk["licence_types"]),
            bool(charity["charity"]), bool(charity["acknowledges"]), self.url, remote=True,
            agencies=tuple(tuple(a) for a in desk["agencies"]), beneficiaries=tuple(charity["beneficiaries"]),
        )

    def sign_in(self, user: str, password: str) -> Session:
        login = self._json("POST", "/v1/login", json={"user": user.strip(), "password": password})
        who = self._json("GET", "/v1/desk/session", Session(login["user"], "", login["role"], (), login["token"]))
        return Session(who["user"], who["display_name"], who["role"], tuple(who["actions"]), login["token"])

    def sign_out(self, session: Session) -> None:
        try:
            self._send("POST", "/v1/desk/sign-out", session, json={})
        except BackendError:
            pass  # signed out already (expired, restarted) or unreachable: the token is forgotten either way

    # -- certificates ----------------------------------------------------------------------------
    def issue(self, session: Session, type_id: str, form: Mapping[str, str], valid_from: str | None = None,
              valid_until: str | None = None) -> IssuedCertificate:
        body = {"type": type_id, "form": dict(form), "valid_from": valid_from or None,
                "valid_until": valid_until or None}
        return from_json(IssuedCertificate, self._json("POST", "/v1/certificates", session, json=body))

    def certificate_pdf(self, session: Session, cert_id: str) -> bytes:
        return self._pdf(f"/v1/certificates/{_segment(cert_id)}/pdf", session)

    def find_certificates(self, session: Session, query: RecordQuery, offset: int = 0,
                          limit: int = 200) -> RecordPage:
        params = record_query_params(query, offset, limit)
        return from_json(RecordPage, self._json("GET", "/v1/certificates", session, params=params))

    def certificate(self, session: Session, cert_id: str) -> CertificateDetail:
        return from_json(CertificateDetail, self._json("GET", f"/v1/certificates/{_segment(cert_id)}", session))

    def certificate_values(self, session: Session, cert_id: str) -> dict[str, str]:
        return dict(self._json("GET", f"/v1/certificates/{_segment(cert_id)}/values", session)["values"])

    def change_status(self, session: Session, cert_id: str, change: str, reason: str) -> CertificateDetail:
        if change not in CHANGES:
            raise BackendError("BAD_REQUEST", f"未知的操作 {change}", f"unknown change {change!r}")
        data = self._json("POST", f"/v1/certificates/{_segment(cert_id)}/{change}", session, json={"reason": reason})
        return from_json(CertificateDetail, data)

    def supersede(self, session: Session, cert_id: str, form: Mapping[str, str], reason: str,
                  valid_from: str | None = None, valid_until: str | None = None) -> IssuedCertificate:
        body = {"form": dict(form), "reason": reason, "valid_from": valid_from or None,
                "valid_until": valid_until or None}
        data = self._json("POST", f"/v1/certificates/{_segment(cert_id)}/supersede", session, json=body)
        return from_json(IssuedCertificate, data)

    # -- charity -----------------------------------------------------------------------------------
    def funds(self, session: Session) -> tuple[Fund, ...]:
        return tuple(from_json(Fund, f) for f in self._json("GET", "/v1/charity/desk/funds", session)["funds"])

    def projects(self, session: Session, fund_id: str | None = None) -> tuple[Project, ...]:
        params = {"fund": fund_id} if fund_id else {}
        data = self._json("GET", "/v1/charity/desk/projects", session, params=params)
        return tuple(from_json(Project, p) for p in data["projects"])

    def donations(self, session: Session, limit: int = 200) -> tuple[Donation, ...]:
        data = self._json("GET", "/v1/charity/desk/donations", session, params={"limit": limit})
        return tuple(from_json(Donation, d) for d in data["donations"])

    def disbursements(self, session: Session, status: str = "") -> tuple[Disbursement, ...]:
        params = {"status": status} if status else {}
        data = self._json("GET", "/v1/charity/desk/disbursements", session, params=params)
        return tuple(from_json(Disbursement, d) for d in data["disbursements"])

    def _write(self, session: Session, path: str, body: dict[str, Any]) -> Written:
        return from_json(Written, self._json("POST", "/v1/charity/desk" + path, session, json=body))

    def create_fund(self, session: Session, fund_id: str, name_zh: str, name_en: str,
                    target_fen: int | None = None) -> Written:
        return self._write(session, "/funds", {"fund_id": fund_id, "name_zh": name_zh, "name_en": name_en,
                                               "target_fen": target_fen})

    def create_project(self, session: Session, project_id: str, fund_id: str, name_zh: str, name_en: str,
                       budget_fen: int) -> Written:
        return self._write(session, "/projects", {"project_id": project_id, "fund_id": fund_id, "name_zh": name_zh,
                                                  "name_en": name_en, "budget_fen": budget_fen})

    def record_donation(self, session: Session, fund_id: str, amount_fen: int, channel: str, donor_name: str,
                        donor_id_number: str | None = None, anonymous: bool = False) -> Written:
        return self._write(session, "/donations", {
            "fund_id": fund_id, "amount_fen": amount_fen, "channel": channel, "donor_name": donor_name,
            "donor_id_number": donor_id_number or None, "anonymous": anonymous})

    def receipt_pdf(self, session: Session, receipt: str) -> bytes:
        return self._pdf(f"/v1/charity/desk/receipts/{_segment(receipt)}/pdf", session)

    def allocate(self, session: Session, fund_id: str, project_id: str, amount_fen: int) -> Written:
        return self._write(session, "/allocations", {"fund_id": fund_id, "project_id": project_id,
                                                     "amount_fen": amount_fen})

    def request_disbursement(self, session: Session, project_id: str, amount_fen: int, beneficiary_name: str,
                             beneficiary_id_number: str, beneficiary_agency: str, purpose: str) -> Written:
        return self._write(session, "/requests", {
            "project_id": project_id, "amount_fen": amount_fen, "beneficiary_name": beneficiary_name,
            "beneficiary_id_number": beneficiary_id_number or None, "beneficiary_agency": beneficiary_agency,
            "purpose": purpose})

    def approve(self, session: Session, request_id: str) -> Written:
        return self._write(session, f"/requests/{_segment(request_id)}/approve", {})

    def cancel(self, session: Session, request_id: str, reason: str) -> Written:
        return self._write(session, f"/requests/{_segment(request_id)}/cancel", {"reason": reason})

    def trace(self, receipt: str) -> Trace:
        report = self._json("GET", f"/v1/charity/trace/{_segment(receipt.strip())}")
        breakdown = tuple((b["state"], b["amount_fen"]) for b in report["breakdown"])
        return Trace(report["receipt"], report["amount_fen"], breakdown, report)

    def to_acknowledge(self, session: Session) -> tuple[Disbursement, ...]:
        data = self._json("GET", "/v1/charity/desk/to-acknowledge", session)
        return tuple(from_json(Disbursement, d) for d in data["disbursements"])

    def acknowledge(self, session: Session, charity: str, request_id: str) -> Written:
        return self._write(session, "/acknowledgements", {"charity": charity, "request_id": request_id})

    # -- the node panel ------------------------------------------------------------------------------
    def node_status(self) -> NodeStatus:
        return NodeStatus.from_status(self._json("GET", "/v1/status"))

    def sync_now(self, session: Session) -> SyncReport:
        data = self._json("POST", "/v1/desk/sync", session, json={})
        return SyncReport(tuple(data["lines"]))

    def close(self) -> None:
        self.http.close()


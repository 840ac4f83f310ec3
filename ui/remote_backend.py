"""The counter's node over HTTPS: `Backend` on a shared agency node of a service hall.

Every call is one request to the node's desk routes (certificates.desk_routes,
charity.desk_routes); the node signs the person in, checks the role and
writes, so nothing here decides a permission. Results arrive as the JSON of
ui.backend's dataclasses and are rebuilt with `from_json`.

Transport: the core's one hardened client (`citychain.net.client.NodeSession`):
TLS is verified against the city root CA of the counter's own configuration
(`ca_file`; the environment's proxies and CA bundles are ignored), and every
answer is capped in size and in total time. Reads (GET) are retried on
connection and read failures; writes only when the connection never opened,
so a request the node may have carried out is never sent twice
(`client.retry_reads`). A node that cannot be reached is an UNAVAILABLE
`BackendError` the GUI shows and recovers from: the next call simply tries
again. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from citychain.net.client import Answer, Limits, NodeSession, PeerError, RevokedCert, retry_reads

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
    no_charity,
)
from .backend_json import record_query_params

CHANGES = ("revoke", "suspend", "reinstate")
_STATUS_CODES = {401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 404: NOT_FOUND, 422: INVALID_FIELDS, 503: UNAVAILABLE}
MAX_ANSWER = 64 << 20  # a sealed PDF is well under 1 MiB
_CUT = ("UNREACHABLE", "TIMEOUT", "TOO_SLOW")  # the node went away, or never answered in time


class NotOffered(BackendError):
    """A 404 with no refusal in it: the node has no such route (e.g. no charity plug-in)."""


def _segment(text: str) -> str:
    return quote(str(text), safe="")


class RemoteBackend:
    def __init__(
        self,
        url: str,
        ca_file: str | None = None,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
        retries: int = 2,
        max_answer: int = MAX_ANSWER,
        revoked: RevokedCert | None = None,
    ) -> None:
        """`revoked` (a trust log the caller holds) refuses a node whose TLS certificate it revokes."""
        if not url.startswith(("http://", "https://")):
            raise BackendError(
                "BAD_URL", f"节点地址须以 https:// 开头：{url}", f"a node address starts with https://: {url}"
            )
        self.url = url.rstrip("/")
        # The deadline leaves every attempt its timeouts; it only stops a node trickling an answer forever.
        deadline = (retries + 1) * (connect_timeout + read_timeout + 1)
        self.http = NodeSession(
            self.url,
            ca_file,
            Limits(connect_timeout, read_timeout, deadline, max_answer),
            retry_reads(retries),
            revoked=revoked,
        )

    # -- transport ------------------------------------------------------------------------
    def _send(self, method: str, path: str, session: Session | None = None, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {session.token}"} if session is not None else {}
        try:
            reply = self.http.request(method, path, headers=headers, **kwargs)
        except PeerError as exc:
            raise self._transport_error(method, exc) from None
        if reply.status >= 400:
            raise self._refusal(reply)
        return reply

    def _transport_error(self, method: str, exc: PeerError) -> BackendError:
        if exc.code == "TLS":
            return BackendError(
                UNAVAILABLE,
                f"无法安全连接节点 {self.url}：其证书不是本市根证书签发的，或已过期",
                f"cannot connect securely to {self.url}: its certificate is not from the city root CA, or has expired",
            )
        if exc.code == "CERT_REVOKED":  # the client's own words name the agency, the time and the reason
            return BackendError(UNAVAILABLE, exc.message_zh, exc.message_en)
        if exc.code in _CUT:
            if method != "GET" and exc.sent:
                return BackendError(
                    UNAVAILABLE,
                    f"与节点 {self.url} 的连接在处理中断开：本次操作可能已经完成，请先查看记录再重试。",
                    f"The connection to {self.url} broke while the node was working: this may have been done "
                    "already. Check the records before trying again.",
                )
            return BackendError(
                UNAVAILABLE,
                f"无法连接节点 {self.url}。请检查网络，稍后再试；已填写的内容不会丢失。",
                f"The node at {self.url} cannot be reached. Check the network and try again; "
                "nothing you typed is lost.",
            )
        return BackendError(UNAVAILABLE, f"与节点 {self.url} 通信失败", f"talking to {self.url} failed: {exc.code}")

    def _refusal(self, reply: Answer) -> BackendError:
        """The node's bilingual refusal, as the GUI's error."""
        try:
            data = reply.json()
        except (ValueError, RecursionError):
            data = None
        status = reply.status
        if not isinstance(data, dict) or "error" not in data:
            if status == 404:
                return NotOffered(
                    NOT_FOUND,
                    "节点不提供此功能（版本较旧？）",
                    f"the node at {self.url} does not offer this (an older version?)",
                )
            return BackendError(
                UNAVAILABLE,
                f"节点出错（HTTP {status}），请稍后再试",
                f"the node failed (HTTP {status}); try again later",
            )
        zh, en = data.get("message_zh"), data.get("message_en")
        if not (zh and en):  # a node older than the one refusal shape: its one "message", as it is
            zh = en = str(data.get("message", ""))
        code = str(data.get("error") or _STATUS_CODES.get(status, "REFUSED"))
        if status == 401:  # whatever the reason, the GUI goes back to sign-in
            code = UNAUTHENTICATED
        fields = {
            name: (pair[0], pair[1])
            for name, pair in (data.get("fields") or {}).items()
            if isinstance(pair, list) and len(pair) == 2
        }
        return BackendError(code, zh, en, fields)

    def _json(self, method: str, path: str, session: Session | None = None, **kwargs: Any) -> Any:
        reply = self._send(method, path, session, **kwargs)
        try:
            return reply.json()
        except (ValueError, RecursionError):
            raise BackendError(UNAVAILABLE, "节点的回答无法读取", f"the node's answer to {path} is not JSON") from None

    def _pdf(self, path: str, session: Session) -> bytes:
        reply = self._send("GET", path, session)
        if not reply.content_type.startswith("application/pdf"):
            raise BackendError(UNAVAILABLE, "节点没有返回 PDF", "the node did not send a PDF")
        return reply.body

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
            desk["city"],
            desk["agency"],
            desk["name_zh"],
            desk["name_en"],
            tuple(desk["licence_types"]),
            bool(charity["charity"]),
            bool(charity["acknowledges"]),
            self.url,
            remote=True,
            agencies=tuple(tuple(a) for a in desk["agencies"]),
            beneficiaries=tuple(charity["beneficiaries"]),
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
    def issue(
        self,
        session: Session,
        type_id: str,
        form: Mapping[str, str],
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate:
        body = {
            "type": type_id,
            "form": dict(form),
            "valid_from": valid_from or None,
            "valid_until": valid_until or None,
        }
        return from_json(IssuedCertificate, self._json("POST", "/v1/certificates", session, json=body))

    def certificate_pdf(self, session: Session, cert_id: str) -> bytes:
        return self._pdf(f"/v1/certificates/{_segment(cert_id)}/pdf", session)

    def find_certificates(self, session: Session, query: RecordQuery, offset: int = 0, limit: int = 200) -> RecordPage:
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

    def supersede(
        self,
        session: Session,
        cert_id: str,
        form: Mapping[str, str],
        reason: str,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate:
        body = {
            "form": dict(form),
            "reason": reason,
            "valid_from": valid_from or None,
            "valid_until": valid_until or None,
        }
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

    def create_fund(
        self, session: Session, fund_id: str, name_zh: str, name_en: str, target_fen: int | None = None
    ) -> Written:
        return self._write(
            session, "/funds", {"fund_id": fund_id, "name_zh": name_zh, "name_en": name_en, "target_fen": target_fen}
        )

    def create_project(
        self, session: Session, project_id: str, fund_id: str, name_zh: str, name_en: str, budget_fen: int
    ) -> Written:
        return self._write(
            session,
            "/projects",
            {
                "project_id": project_id,
                "fund_id": fund_id,
                "name_zh": name_zh,
                "name_en": name_en,
                "budget_fen": budget_fen,
            },
        )

    def record_donation(
        self,
        session: Session,
        fund_id: str,
        amount_fen: int,
        channel: str,
        donor_name: str,
        donor_id_number: str | None = None,
        anonymous: bool = False,
    ) -> Written:
        return self._write(
            session,
            "/donations",
            {
                "fund_id": fund_id,
                "amount_fen": amount_fen,
                "channel": channel,
                "donor_name": donor_name,
                "donor_id_number": donor_id_number or None,
                "anonymous": anonymous,
            },
        )

    def disclose(self, session: Session, quarter: str, out: str, record: bool = False) -> tuple:
        raise BackendError(
            UNAVAILABLE,
            "信息公开报告由慈善组织自己的节点盖章生成，请在该节点的柜台上操作",
            "disclosure reports are sealed by the charity's own node: make them at a counter on that node",
        )

    def receipt_pdf(self, session: Session, receipt: str) -> bytes:
        return self._pdf(f"/v1/charity/desk/receipts/{_segment(receipt)}/pdf", session)

    def allocate(self, session: Session, fund_id: str, project_id: str, amount_fen: int) -> Written:
        return self._write(
            session, "/allocations", {"fund_id": fund_id, "project_id": project_id, "amount_fen": amount_fen}
        )

    def request_disbursement(
        self,
        session: Session,
        project_id: str,
        amount_fen: int,
        beneficiary_name: str,
        beneficiary_id_number: str,
        beneficiary_agency: str,
        purpose: str,
    ) -> Written:
        return self._write(
            session,
            "/requests",
            {
                "project_id": project_id,
                "amount_fen": amount_fen,
                "beneficiary_name": beneficiary_name,
                "beneficiary_id_number": beneficiary_id_number or None,
                "beneficiary_agency": beneficiary_agency,
                "purpose": purpose,
            },
        )

    def approve(self, session: Session, request_id: str) -> Written:
        return self._write(session, f"/requests/{_segment(request_id)}/approve", {})

    def cancel(self, session: Session, request_id: str, reason: str) -> Written:
        return self._write(session, f"/requests/{_segment(request_id)}/cancel", {"reason": reason})

    def trace(self, receipt: str) -> Trace:
        report = self._json("GET", f"/v1/charity/trace/{_segment(receipt.strip())}")
        breakdown = tuple((b["state"], b["amount_fen"]) for b in report["breakdown"])
        return Trace(report["receipt"], report["amount_fen"], breakdown, report)

    # -- public reads (the kiosk) ------------------------------------------------------------------
    def certificate_leaf(self, agency: str, cert_id: str) -> bytes | None:
        """From the status route and the log's entries (the record checks itself: the kiosk verifies it)."""
        try:
            report = self._json("GET", "/v1/certificates/status", params={"agency": agency, "id": cert_id, "seq": -1})
        except BackendError as exc:
            if exc.code == UNAVAILABLE:
                raise
            return None
        certificate = report.get("certificate") if isinstance(report, dict) else None
        if not isinstance(certificate, dict):
            return None
        seq = certificate.get("seq")
        leaf = self._entry(agency, seq) if isinstance(seq, int) and not isinstance(seq, bool) else None
        if leaf is None:
            raise BackendError(
                "NO_RECORD",
                "账本节点没有给出这张证照的记录，无法核验",
                "the ledger node did not give this certificate's record, so it cannot be checked",
            )
        return leaf

    def _entry(self, agency: str, seq: int) -> bytes | None:
        """One entry of a log as the node serves it, None if it does not."""
        from citychain.log.encoding import b64decode

        try:
            data = self._json("GET", f"/v1/logs/{_segment(agency)}/entries", params={"start": seq, "end": seq + 1})
            entries = data.get("entries") if isinstance(data, dict) else None
            return b64decode(entries[0]) if isinstance(entries, list) and entries else None
        except (BackendError, TypeError, ValueError):
            return None

    def trace_timeline(self, receipt: str) -> dict[str, Any]:
        from charity.trace_json import step_time

        try:
            report = self._json("GET", f"/v1/charity/trace/{_segment(receipt.strip())}")
        except NotOffered:
            raise no_charity() from None
        if not isinstance(report, dict):
            raise BackendError(UNAVAILABLE, "账本节点无法回答这个查询", "the ledger node could not answer this")
        for step in report.get("steps", ()):
            if isinstance(step, dict) and "time" not in step:
                seq = step.get("seq")
                leaf = self._entry(str(step.get("log")), seq) if type(seq) is int else None
                step["time"] = step_time(step, leaf)
        report["project_names"] = self._project_names(str(report.get("charity", "")))
        return report

    def _project_names(self, charity: str) -> dict[str, list[str]]:
        try:
            data = self._json("GET", "/v1/charity/funds", params={"charity": charity})
        except BackendError:
            return {}
        funds = data.get("funds") if isinstance(data, dict) else None
        return {
            str(p.get("id")): [str(p.get("name_zh", "")), str(p.get("name_en", ""))]
            for f in funds or ()
            if isinstance(f, dict)
            for p in f.get("projects") or ()
            if isinstance(p, dict)
        }

    def public_funds(self) -> tuple[dict[str, Any], ...]:
        try:
            data = self._json("GET", "/v1/charity/funds")
        except NotOffered:
            raise no_charity() from None
        funds = data.get("funds") if isinstance(data, dict) else None
        if not isinstance(funds, list):
            raise BackendError(UNAVAILABLE, "账本节点无法回答这个查询", "the ledger node could not answer this")
        return tuple(funds)

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

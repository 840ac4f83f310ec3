"""The kiosk's door to a node over HTTP(S): the trust root is a trust bundle
the operator installed, the node only answers (design §4), and whatever it
says about a certificate is checked against that bundle by the verifier.

Without a node (`--trust` alone) certificates are still checked offline —
signature, issuer, embedded proof — and the verdict says revocation was not
checked; traces and fund pages then need a node and say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from certificates.payload import qr_payload
from certificates.verify import NodeStatus, Verdict, Verifier, VerifierConfig
from citychain.log import merkle
from citychain.log.encoding import b64decode
from citychain.log.records import parse_leaf

from .backend import (
    KioskBackend,
    KioskError,
    Trace,
    certificate_id,
    no_charity,
    receipt_of,
)

MAX_RESPONSE = 4 * 1024 * 1024


def unreachable(exc: Exception) -> KioskError:
    return KioskError("UNREACHABLE", "暂时连不上账本节点，请稍后再试",
                      f"the ledger node cannot be reached just now; try again later ({type(exc).__name__})")


class RemoteBackend(KioskBackend):
    def __init__(self, bundle: Path, url: str | None, ca_file: str | None = None, timeout: float = 5.0,
                 max_age_s: int = 3600) -> None:
        import requests

        self.bundle = Path(bundle)
        self.url = url.rstrip("/") if url else None
        self.timeout = timeout
        status = NodeStatus(self.url, ca_file, timeout) if self.url else None
        self.verifier = Verifier(VerifierConfig.from_bundle(self.bundle), status, max_age_s=max_age_s)
        self.session = requests.Session()
        self.session.trust_env = False  # never an environment proxy between the kiosk and its node
        self.ca_file = ca_file
        self.verify_tls: str | bool = ca_file or True

    def receipt_verifier(self):
        from charity.verify import NodeReceiptStatus, ReceiptVerifier

        source = NodeReceiptStatus(self.url, self.ca_file, self.timeout) if self.url else None
        return ReceiptVerifier(self.verifier.config, source, max_age_s=self.verifier.max_age_s)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        import requests

        if self.url is None:
            raise KioskError("NO_NODE", "本机只配置了信任文件，没有账本节点，无法查询",
                             "this kiosk has a trust bundle but no ledger node, so it cannot look this up")
        try:
            response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout,
                                        verify=self.verify_tls)
        except requests.RequestException as exc:
            raise unreachable(exc) from None
        if len(response.content) > MAX_RESPONSE:
            raise KioskError("BAD_ANSWER", "账本节点的回答过大", "the ledger node's answer is too large")
        try:
            return response.status_code, response.json()
        except ValueError:
            if response.status_code != 200:
                return response.status_code, None  # e.g. a node without the charity routes
            raise KioskError("BAD_ANSWER", "账本节点的回答无法读取", "the ledger node's answer cannot be read") from None

    def _leaf(self, agency: str, seq: int) -> bytes | None:
        status, body = self._get(f"/v1/logs/{quote(agency)}/entries", {"start": seq, "end": seq + 1})
        entries = body.get("entries") if status == 200 and isinstance(body, dict) else None
        return b64decode(entries[0]) if entries else None

    def lookup_id(self, text: str) -> Verdict:
        cert_id = certificate_id(text)
        agency = self.agency_of(cert_id)
        status, report = self._get("/v1/certificates/status", {"agency": agency, "id": cert_id, "seq": -1})
        certificate = report.get("certificate") if status == 200 and isinstance(report, dict) else None
        if not isinstance(certificate, dict):
            raise KioskError("NOT_FOUND", "账本节点没有这个编号的证照，请核对编号",
                             "the ledger node has no certificate with this number; check the number")
        seq = certificate.get("seq")
        leaf = self._leaf(agency, seq) if isinstance(seq, int) and not isinstance(seq, bool) else None
        if leaf is None:
            raise KioskError("NO_RECORD", "账本节点没有给出这张证照的记录，无法核验",
                             "the ledger node did not give this certificate's record, so it cannot be checked")
        return self.id_verdict(qr_payload(parse_leaf(leaf), b"", {}, ()))

    def trace(self, receipt: str) -> Trace:
        code = receipt_of(receipt)
        status, report = self._get(f"/v1/charity/trace/{quote(code)}")
        if status == 404 and report is None:
            raise no_charity()
        if status != 200 or not isinstance(report, dict):
            raise _answer_error(report)
        for step in report.get("steps", ()):
            if isinstance(step, dict) and "time" not in step:
                step["time"] = self._record_time(step)
        report["project_names"] = self._project_names(str(report.get("charity", "")))
        return Trace(report)

    def _project_names(self, charity: str) -> dict[str, list[str]]:
        try:
            status, body = self._get("/v1/charity/funds", {"charity": charity})
        except KioskError:
            return {}
        funds = body.get("funds") if status == 200 and isinstance(body, dict) else None
        return {str(p.get("id")): [str(p.get("name_zh", "")), str(p.get("name_en", ""))]
                for f in funds or () if isinstance(f, dict) for p in f.get("projects") or () if isinstance(p, dict)}

    def _record_time(self, step: dict[str, Any]) -> str | None:
        try:
            leaf = self._leaf(str(step.get("log")), int(step.get("seq")))
        except (KioskError, TypeError, ValueError):
            return None
        expected = (step.get("proof") or {}).get("leaf_hash")
        if leaf is None or (expected and merkle.leaf_hash(leaf).hex() != expected):
            return None
        return parse_leaf(leaf).record.time

    def funds(self) -> list[dict[str, Any]]:
        status, body = self._get("/v1/charity/funds")
        if status == 404 and body is None:
            raise no_charity()
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("funds"), list):
            raise _answer_error(body)
        return body["funds"]

    def where(self) -> tuple[str, str]:
        if self.url is None:
            return f"信任根：{self.bundle.name}（离线，不查询撤销状态）", f"trust: {self.bundle.name} (offline: revocation not checked)"
        return f"信任根：{self.bundle.name} · 状态：{self.url}", f"trust: {self.bundle.name} · status: {self.url}"


def _answer_error(body: Any) -> KioskError:
    if isinstance(body, dict) and body.get("message_zh") and body.get("message_en"):
        return KioskError(str(body.get("error", "ERROR")), str(body["message_zh"]), str(body["message_en"]))
    return KioskError("BAD_ANSWER", "账本节点无法回答这个查询", "the ledger node could not answer this")

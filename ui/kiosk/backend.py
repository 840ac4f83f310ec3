"""Everything the kiosk asks of the city, without Qt: verify a scanned code, a
file or a typed certificate id; trace a donation; list the charity funds.

Two doors with one interface: `LocalBackend` reads a node home on this
machine, `RemoteBackend` asks a node over HTTP(S) and takes its trust root
from a trust bundle. Either way the trust root is the kiosk's own, never the
document's. Every call here is slow enough to run through `ui.tasks`.

Nothing here logs: the values of a certificate are personal data and leave
this module only as the `Verdict` the screen shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from certificates.identifiers import InvalidCertificateId, parse_certificate_id
from certificates.qr_text import PREFIX as CERTIFICATE_QR
from certificates.verify import Verdict, Verifier
from charity.receipt_payload import PREFIX as RECEIPT_QR
from charity.receipt_payload import PROOF_FILENAME as DONATION_PROOF
from charity.receipts import InvalidReceipt, parse_receipt
from citychain.errors import BilingualError

from . import files

_RECEIPT_RE = re.compile(r"\s*D-\d{1,16}-[0-9A-Z]\s*\Z", re.IGNORECASE)
_CERT_ID_RE = re.compile(r"\s*1\.2\.156\.", re.IGNORECASE)


class KioskError(BilingualError):
    """A sentence for the screen (never a traceback)."""


@dataclass(frozen=True)
class Receipt:
    """A code, file or QR that turned out to be a donation receipt: trace it.
    `check` is the receipt's own verdict (code, zh, en) when it came as a QR
    code or a PDF: the screen says whether the receipt itself is genuine."""

    code: str
    check: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Trace:
    report: dict[str, Any]  # charity.trace_json.trace_report, each step with "time" added where known


def classify(text: str) -> str:
    """certificate | receipt_qr | receipt | certificate_id | unknown — by shape only."""
    text = text.strip()
    if text.startswith(CERTIFICATE_QR):
        return "certificate"
    if text.startswith(RECEIPT_QR):
        return "receipt_qr"
    if _RECEIPT_RE.match(text):
        return "receipt"
    if _CERT_ID_RE.match(text):
        return "certificate_id"
    return "unknown"


def receipt_of(text: str) -> str:
    """The receipt code in a typed code or a receipt's QR text (checked, normalised)."""
    try:
        if text.strip().startswith(RECEIPT_QR):
            from charity.receipt_payload import decode_qr

            return str(parse_receipt(str(decode_qr(text.strip()).leaf.record.body.get("receipt", ""))))
        return str(parse_receipt(text))
    except InvalidReceipt as exc:
        raise KioskError("BAD_RECEIPT", exc.message_zh, exc.message_en) from None
    except BilingualError as exc:  # the QR framing or payload is broken
        raise KioskError("BAD_RECEIPT", exc.message_zh, exc.message_en) from None


def certificate_id(text: str) -> str:
    try:
        return str(parse_certificate_id(text.strip()))
    except InvalidCertificateId as exc:
        raise KioskError("BAD_ID", exc.message_zh, exc.message_en) from None


def not_understood() -> KioskError:
    return KioskError("UNKNOWN_CODE", "这不是可信城市的证照或捐赠收据", "this is not a CityChain certificate or donation receipt")


class KioskBackend:
    """What both doors share: the verifier and the file checks."""

    verifier: Verifier
    max_file_bytes: int = 10 * 1024 * 1024

    # -- certificates ---------------------------------------------------------
    def verify_qr(self, text: str) -> Verdict:
        return self.verifier.qr(text.strip())

    def open_code(self, text: str) -> Verdict | Receipt:
        """A scanned or typed code of any kind, routed by its shape."""
        kind = classify(text)
        if kind == "certificate":
            return self.verify_qr(text)
        if kind == "receipt_qr":
            return self._checked_receipt(self.receipt_verifier().qr(text.strip()))
        if kind == "receipt":
            return Receipt(receipt_of(text))
        if kind == "certificate_id":
            return self.lookup_id(text)
        raise not_understood()

    def open_file(self, kind: str, data: bytes) -> Verdict | Receipt:
        """A PDF or a page image the picker read (files.read_document)."""
        if kind == "image":
            files.check_image(data)
            return self._image(data)
        files.check_pdf(data)
        from citychain.documents.pades import embedded_file_names

        if DONATION_PROOF in embedded_file_names(data):
            return self._receipt_pdf(data)
        verdict = self.verifier.pdf(data)
        if verdict.code == "MALFORMED" and not verdict.cert_id:
            scanned = self._scanned_pdf(data)  # a paper certificate scanned to PDF: its QR code speaks
            if scanned is not None:
                return scanned
        return verdict

    def _image(self, data: bytes) -> Verdict | Receipt:
        from citychain.documents.checks import qr_from_image

        text, problem = qr_from_image(data, (CERTIFICATE_QR, RECEIPT_QR))
        if text is None:
            return Verdict("MALFORMED", problem[0], problem[1], source="image")
        found = self.open_code(text)
        return replace(found, source="image") if isinstance(found, Verdict) else found

    def _scanned_pdf(self, data: bytes) -> Verdict | Receipt | None:
        import zxingcpp

        try:
            pages = list(files.page_images(data))
        except files.FileRefused:
            return None
        for page in pages:
            for code in zxingcpp.read_barcodes(page.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode):
                if code.valid and code.text.startswith((CERTIFICATE_QR, RECEIPT_QR)):
                    found = self.open_code(code.text)
                    return replace(found, source="pdf-image") if isinstance(found, Verdict) else found
        return None

    def _receipt_pdf(self, data: bytes) -> Receipt:
        """A donation receipt PDF: its seal and proof checked, its receipt code traced."""
        return self._checked_receipt(self.receipt_verifier().pdf(data))

    @staticmethod
    def _checked_receipt(verdict) -> Receipt:
        from charity.verify import SENTENCES

        zh, en = SENTENCES.table.get(verdict.code, (verdict.code, verdict.code))
        if not verdict.receipt:
            raise KioskError(verdict.code, " ".join(t for t in (zh, verdict.detail_zh) if t),
                             " ".join(t for t in (en, verdict.detail_en) if t))
        return Receipt(receipt_of(verdict.receipt), (verdict.code, zh, en))

    def receipt_verifier(self):
        """charity.verify.ReceiptVerifier with this door's trust root and status source."""
        raise NotImplementedError

    def agency_of(self, cert_id: str) -> str:
        """The agency whose unified social credit code the id carries (from the kiosk's trust log)."""
        uscc = parse_certificate_id(cert_id).issuer_uscc
        for agency in self.verifier.config.trust.agencies.values():
            if agency.attribute("uscc") == uscc:
                return agency.id
        raise KioskError("UNKNOWN_ISSUER", "证照编号中的签发机构不在本机信任的名单中",
                         "the issuing agency in this certificate number is not one this kiosk trusts")

    def agency_name(self, agency: str) -> tuple[str, str]:
        known = self.verifier.config.trust.agencies.get(agency)
        return (known.name_zh, known.name_en) if known else (agency, agency)

    def id_verdict(self, leaf_json: dict[str, Any]) -> Verdict:
        """A ledger record found by id, checked like a QR code that discloses no field."""
        from certificates.qr_text import encode_qr_text

        return replace(self.verifier.qr(encode_qr_text(leaf_json)), source="id")

    # -- the door-specific part -------------------------------------------------
    def lookup_id(self, text: str) -> Verdict:
        raise NotImplementedError

    def trace(self, receipt: str) -> Trace:
        raise NotImplementedError

    def funds(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def where(self) -> tuple[str, str]:
        """(zh, en): where trust and status come from, for the footer."""
        raise NotImplementedError


def no_charity() -> KioskError:
    return KioskError("NO_CHARITY", "本机连接的节点没有慈善数据", "the node this kiosk uses holds no charity data")

"""Everything the kiosk asks of the city, without Qt: verify a scanned code, a
file or a typed certificate id; trace a donation; list the charity funds.

Two doors with one interface: `LocalBackend` reads a node home on this
machine, `RemoteBackend` asks a node over HTTP(S) and takes its trust root
from a trust bundle. Either way the trust root is the kiosk's own, never the
document's, and what the node is asked goes through the counter's own
client of it (`ui.backend.PublicDoor`: ui.local_backend, ui.remote_backend).
Every call here is slow enough to run through `ui.tasks`.

Nothing here logs: the values of a certificate are personal data and leave
this module only as the `Verdict` the screen shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from certificates.identifiers import InvalidCertificateId, parse_certificate_id
from certificates.identifiers import check_typing as check_id_typing
from certificates.verify import Verdict, Verifier
from charity.receipt_payload import FRAMING as RECEIPT_FRAMING
from charity.receipts import PREFIX as RECEIPT_PREFIX
from charity.receipts import InvalidReceipt, parse_receipt
from charity.receipts import check_typing as check_receipt_typing
from charity.verify import ReceiptVerdict
from citychain.documents.door import (
    IMAGE,
    PDF,
    QR,
    Document,
    Unrecognised,
    VerifyPlace,
    document_kinds,
    prefixes,
    verify_among,
)
from citychain.errors import BilingualError
from ui.backend import UNAVAILABLE, BackendError, PublicDoor

from . import files

_T = TypeVar("_T")

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
    """receipt | certificate_id (typed codes, by shape) | document: a QR code's
    text, which only the one verifier door recognises (`citychain.documents.door`)."""
    text = text.strip()
    if _RECEIPT_RE.match(text):
        return "receipt"
    if _CERT_ID_RE.match(text):
        return "certificate_id"
    return "document"


def kiosk_documents() -> tuple:
    """The kinds of document the kiosk's plug-ins register (the counter's plug-in list)."""
    from ui.local_backend import default_plugins

    return document_kinds(default_plugins())


def receipt_of(text: str) -> str:
    """The receipt code in a typed code or a receipt's QR text (checked, normalised)."""
    try:
        if text.strip().startswith(RECEIPT_FRAMING.prefixes):
            from charity.receipt_payload import decode_qr

            code = decode_qr(text.strip(), None).leaf.record.body.get("receipt", "")  # only the code is read
            return str(parse_receipt(str(code)))
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


def typing_problem(mode: str, text: str) -> KioskError | None:
    """What is wrong so far with a code being typed, in the words a submit
    gives (None: nothing yet); the id mode takes a receipt code too, as on submit."""
    receipt = mode == "receipt" or text.strip().upper().startswith(RECEIPT_PREFIX)
    try:
        (check_receipt_typing if receipt else check_id_typing)(text)
    except (InvalidReceipt, InvalidCertificateId) as exc:
        return KioskError(exc.code, exc.message_zh, exc.message_en)
    return None


def not_understood() -> KioskError:
    return KioskError(
        "UNKNOWN_CODE", "这不是可信城市的证照或捐赠收据", "this is not a CityChain certificate or donation receipt"
    )


class KioskBackend:
    """What both doors share: the verifier and the file checks."""

    verifier: Verifier
    max_file_bytes: int = 10 * 1024 * 1024
    documents: tuple | None = None  # the kinds of document the door asks; None: kiosk_documents()
    other_cities: tuple[VerifyPlace, ...] = ()  # other trusted cities (kiosk.toml), checked offline

    # -- documents: through the one verifier door ---------------------------------
    def place(self) -> VerifyPlace:
        """This door's trust root and status source, for every kind of document."""
        verifier = self.verifier
        return VerifyPlace(verifier.config, verifier.source, verifier.max_age_s, verifier.clock, verifier.seconds)

    def _verify(self, document: Document):
        if self.documents is None:
            self.documents = kiosk_documents()
        return verify_among(document, (self.place(), *self.other_cities), self.documents)

    def verify_qr(self, text: str):
        """The verdict on a QR code's text (a certificate's `Verdict`, a receipt's …)."""
        return self._verify(Document(QR, text.strip()))

    def open_code(self, text: str) -> Verdict | Receipt:
        """A scanned or typed code of any kind: a typed receipt code or certificate
        number by its shape, anything else as a document's QR code."""
        kind = classify(text)
        if kind == "receipt":
            return Receipt(receipt_of(text))
        if kind == "certificate_id":
            return self.lookup_id(text)
        found = self.verify_qr(text)
        if isinstance(found, Unrecognised):
            raise not_understood()
        return self._shown(found)

    def open_file(self, kind: str, data: bytes) -> Verdict | Receipt:
        """A PDF or a page image the picker read (files.read_document)."""
        if kind == "image":
            files.check_image(data)
            return self._shown(self._verify(Document(IMAGE, data)))
        files.check_pdf(data)
        found = self._verify(Document(PDF, data))
        if isinstance(found, Unrecognised) or (
            isinstance(found, Verdict) and found.code == "MALFORMED" and not found.cert_id
        ):
            scanned = self._scanned_pdf(data)  # a paper document scanned to PDF: its QR code speaks
            if scanned is not None:
                return scanned
        return self._shown(found)

    def _scanned_pdf(self, data: bytes) -> Verdict | Receipt | None:
        import zxingcpp

        try:
            pages = list(files.page_images(data))
        except files.FileRefused:
            return None
        ours = prefixes(self.documents or ())
        for page in pages:
            for code in zxingcpp.read_barcodes(page.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode):
                if code.valid and code.text.startswith(ours):
                    return self._shown(self._verify(Document(QR, code.text.strip(), "pdf-image")))
        return None

    def _shown(self, found) -> Verdict | Receipt:
        """The door's outcome as the screens take it: a receipt is traced, with its
        own verdict; a document no kind claims reads as a certificate that cannot be read."""
        if isinstance(found, ReceiptVerdict):
            return self._checked_receipt(found)
        if isinstance(found, Unrecognised):
            return Verdict("MALFORMED", found.detail_zh, found.detail_en, source=found.source)
        return found

    @staticmethod
    def _checked_receipt(verdict: ReceiptVerdict) -> Receipt:
        from charity.verify import SENTENCES

        zh, en = SENTENCES.table.get(verdict.code, (verdict.code, verdict.code))
        if not verdict.receipt:
            raise KioskError(
                verdict.code,
                " ".join(t for t in (zh, verdict.detail_zh) if t),
                " ".join(t for t in (en, verdict.detail_en) if t),
            )
        return Receipt(receipt_of(verdict.receipt), (verdict.code, zh, en))

    def agency_of(self, cert_id: str) -> str:
        """The agency whose unified social credit code the id carries (from the kiosk's trust log)."""
        uscc = parse_certificate_id(cert_id).issuer_uscc
        for agency in self.verifier.config.trust.agencies.values():
            if agency.attribute("uscc") == uscc:
                return agency.id
        raise KioskError(
            "UNKNOWN_ISSUER",
            "证照编号中的签发机构不在本机信任的名单中",
            "the issuing agency in this certificate number is not one this kiosk trusts",
        )

    def agency_name(self, agency: str) -> tuple[str, str]:
        known = self.verifier.config.trust.agencies.get(agency)
        return (known.name_zh, known.name_en) if known else (agency, agency)

    def id_verdict(self, leaf_json: dict[str, Any]) -> Verdict:
        """A ledger record found by id, checked like a QR code that discloses no field."""
        from certificates.qr_text import encode_qr_text

        return replace(self.verifier.qr(encode_qr_text(leaf_json, self.verifier.config.trust.suite)), source="id")

    # -- what the node is asked ------------------------------------------------------
    door: PublicDoor | None = None  # None: a trust bundle and no node
    not_found = (
        "账本节点没有这个编号的证照，请核对编号",
        "the ledger node has no certificate with this number; check the number",
    )

    def refresh_trust(self) -> None:
        """Take up a grown trust log (a door whose trust root can grow)."""

    def lookup_id(self, text: str) -> Verdict:
        from certificates.payload import qr_payload
        from citychain.log.records import parse_leaf

        cert_id = certificate_id(text)
        agency = self.agency_of(cert_id)  # a number from an agency we do not trust is refused before any lookup
        self.refresh_trust()
        leaf = self._ask(lambda door: door.certificate_leaf(agency, cert_id))
        if leaf is None:
            raise KioskError("NOT_FOUND", *self.not_found)
        return self.id_verdict(qr_payload(parse_leaf(leaf), b"", {}, (), self.verifier.config.hasher))

    def trace(self, receipt: str) -> Trace:
        code = receipt_of(receipt)
        return Trace(self._ask(lambda door: door.trace_timeline(code)))

    def funds(self) -> list[dict[str, Any]]:
        return list(self._ask(lambda door: door.public_funds()))

    def _ask(self, question: Callable[[PublicDoor], _T]) -> _T:
        if self.door is None:
            raise KioskError(
                "NO_NODE",
                "本机只配置了信任文件，没有账本节点，无法查询",
                "this kiosk has a trust bundle but no ledger node, so it cannot look this up",
            )
        try:
            return question(self.door)
        except BackendError as exc:
            if exc.code == UNAVAILABLE:
                raise unreachable(exc.message_en) from None
            raise KioskError(exc.code, exc.message_zh, exc.message_en) from None

    def where(self) -> tuple[str, str]:
        """(zh, en): where trust and status come from, for the footer."""
        raise NotImplementedError

    def close(self) -> None:
        if self.door is not None:
            self.door.close()


def unreachable(detail: str) -> KioskError:
    return KioskError(
        "UNREACHABLE",
        "暂时连不上账本节点，请稍后再试",
        f"the ledger node cannot be reached just now; try again later ({detail})",
    )

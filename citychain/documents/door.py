"""The one door every CityChain document is verified through.

`main.py verify`, the kiosk and anything else hand `verify_document` what
they were given — a PDF, the text of a QR code or a photo of the page — with
the verifier's own trust and status (`VerifyPlace`) and the document kinds
the domain packages registered (`Plugin.documents`, gathered by
`document_kinds`). The door asks the kinds which one the document is — by the
QR prefix (`TC2:`, `TD2:` …) or by the name of the proof file embedded in the
PDF — before anything is checked, and the claiming kind does the rest.
Whatever no kind claims gets `Unrecognised`: "not a CityChain document".
So the core never imports a domain package, and no caller classifies again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

from citychain.clock import Clock, SystemClock

from .checks import DEFAULT_MAX_AGE_S, Sentences, Spoken, VerifierConfig, qr_from_image
from .log_report import HomeReports, NodeReports, ReportKind


@dataclass(frozen=True)
class VerifyPlace:
    """The verifier's trust configuration and where it may ask about status:
    a node home read directly or a running node (`HomeReports`/`NodeReports`
    of any kind), or nowhere (offline)."""

    config: VerifierConfig
    status: HomeReports | NodeReports | None = None
    max_age_s: int = DEFAULT_MAX_AGE_S
    clock: Clock = field(default_factory=SystemClock)
    seconds: tuple[NodeReports, ...] = ()  # other nodes a kind may ask for a second opinion

    def reports(self, kind: ReportKind) -> Any:
        """The same status place, asked about one kind of document (None offline)."""
        if self.status is None:
            return None
        return _asking(self.status, kind)

    def second_reports(self, kind: ReportKind) -> tuple[NodeReports, ...]:
        """The second-opinion nodes, asked about one kind of document (none offline)."""
        return tuple(_asking(node, kind) for node in self.seconds) if self.status is not None else ()


def _asking(place: Any, kind: ReportKind) -> Any:
    asking = copy.copy(place)  # a node's session is shared, not opened again
    asking.kind = kind
    return asking


class Outcome(Protocol):
    """A kind's verdict: `code`, whether it is `ok`, its JSON and its text."""

    code: str

    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...

    def text(self) -> str: ...


class DocumentKind(Protocol):
    """What a domain package registers for one kind of printed document."""

    name: str  # "certificate", "donation-receipt" …
    qr_prefixes: tuple[str, ...]  # its codes' prefixes, one per suite (§15)
    attachment_name: str  # the proof file its PDFs embed

    def verify_qr(self, text: str, place: VerifyPlace, source: str = "qr") -> Outcome: ...

    def verify_pdf(self, data: bytes, place: VerifyPlace) -> Outcome: ...


@dataclass(frozen=True)
class VerifierKind:
    """A `DocumentKind` over a domain verifier made from the place's trust and
    status (`verifier(config, reports, clock, max_age_s)`, with `qr(text)`
    and `pdf(data)`): the shape both certificates and receipts have."""

    name: str
    qr_prefix: str
    attachment_name: str
    report: ReportKind  # what the place is asked about this kind's status
    verifier: Callable[..., Any]
    asks_seconds: bool = False  # the verifier takes `seconds=`: other nodes for a second opinion
    sm_qr_prefix: str = ""  # its codes' prefix in an SM2/SM3 city

    @property
    def qr_prefixes(self) -> tuple[str, ...]:
        return tuple(p for p in (self.qr_prefix, self.sm_qr_prefix) if p)

    def verifier_at(self, place: VerifyPlace) -> Any:
        extra = {"seconds": place.second_reports(self.report)} if self.asks_seconds else {}
        return self.verifier(place.config, place.reports(self.report), place.clock, place.max_age_s, **extra)

    def verify_qr(self, text: str, place: VerifyPlace, source: str = "qr") -> Outcome:
        return replace(self.verifier_at(place).qr(text), source=source)

    def verify_pdf(self, data: bytes, place: VerifyPlace) -> Outcome:
        return self.verifier_at(place).pdf(data)


def document_kinds(plugins: Iterable[Any]) -> tuple[DocumentKind, ...]:
    """The document kinds of the domain plug-ins (`citychain.node.kinds.Plugin.documents`)."""
    return tuple(kind for plugin in plugins if plugin.documents for kind in plugin.documents())


# -- what was handed in --------------------------------------------------------------
PDF, QR, IMAGE = "pdf", "qr", "image"


@dataclass(frozen=True)
class Document:
    """A PDF (bytes), the text of a QR code, or a photo or scan of a page (bytes)."""

    form: str  # PDF | QR | IMAGE
    content: bytes | str
    source: str = ""  # what the verdict says it came from; the form by default

    @classmethod
    def of(cls, given: Document | bytes | str | Path) -> Document:
        """A path or bytes are a PDF when they start like one, else an image; a str is QR text."""
        if isinstance(given, Document):
            return given
        if isinstance(given, Path):
            given = given.read_bytes()
        if isinstance(given, str):
            return cls(QR, given)
        return cls(PDF if bytes(given[:5]) == b"%PDF-" else IMAGE, bytes(given))


# -- what nobody claims ----------------------------------------------------------------
UNRECOGNISED = Sentences(
    {
        "MALFORMED": ("无法识别：这不是可信城市的文件。", "This is not a CityChain document."),
    },
    "",
    "",
)


@dataclass(frozen=True)
class Unrecognised(Spoken):
    """No registered kind claims the document: the same clear verdict everywhere."""

    detail_zh: str = ""
    detail_en: str = ""
    source: str = ""
    code: str = "MALFORMED"
    status_checked: bool = False
    status_as_of: str | None = None

    sentences: ClassVar[Sentences] = UNRECOGNISED

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.code,
            "document": None,
            "message_zh": self.sentence_zh,
            "message_en": self.sentence_en,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
            "source": self.source,
        }

    def text(self) -> str:
        return "\n".join(self.headline())


# -- the door ----------------------------------------------------------------------------
def claiming_qr(kinds: Sequence[DocumentKind], text: str) -> DocumentKind | None:
    text = text.strip()
    return next((k for k in kinds if text.startswith(k.qr_prefixes)), None)


def claiming_pdf(kinds: Sequence[DocumentKind], data: bytes) -> DocumentKind | None:
    from .pades import embedded_file_names  # pyHanko loads only when a PDF is handed in

    names = embedded_file_names(data) if kinds else ()
    return next((k for k in kinds if k.attachment_name in names), None)


def prefixes(kinds: Sequence[DocumentKind]) -> tuple[str, ...]:
    """The QR prefixes a page may carry, for whoever looks for codes on a page itself."""
    return tuple(p for k in kinds for p in k.qr_prefixes)


def verify_document(given: Document | bytes | str | Path, place: VerifyPlace, kinds: Sequence[DocumentKind]) -> Outcome:
    """The verdict of the kind that claims the document, or `Unrecognised`."""
    document = Document.of(given)
    source = document.source or document.form
    if document.form == IMAGE:
        text, problem = qr_from_image(bytes(document.content), prefixes(kinds))
        if text is None:
            return Unrecognised(problem[0], problem[1], source)
        document = Document(QR, text, source)
    if document.form == QR:
        text = str(document.content).strip()
        kind = claiming_qr(kinds, text)
        if kind is None:
            return Unrecognised("这不是可信城市文件的二维码", "the QR code is not a CityChain document's", source)
        return kind.verify_qr(text, place, source)
    data = bytes(document.content)
    kind = claiming_pdf(kinds, data)
    if kind is None and not data.startswith(b"%PDF-"):
        return Unrecognised("这不是 PDF 文件", "this file is not a PDF", source)
    if kind is None:
        return Unrecognised("PDF 中没有可信城市的证明文件", "the PDF carries no CityChain proof file", source)
    outcome = kind.verify_pdf(data, place)
    return replace(outcome, source=document.source) if document.source else outcome


# Verdicts that say only "not one of this city's": another trusted city may know the document.
NOT_THIS_CITY = ("UNKNOWN_ISSUER", "MALFORMED")


def verify_among(given: Document | bytes | str | Path, places: Sequence[VerifyPlace], kinds: Sequence[DocumentKind]):
    """A verifier that trusts several cities (of either suite): the verdict of
    the city whose trust roots know the document, or the first city's refusal.
    Each city is checked only under its own configuration and suite."""
    document = Document.of(given)
    outcomes = []
    for place in places:
        outcome = verify_document(document, place, kinds)
        if outcome.code not in NOT_THIS_CITY:
            return outcome
        outcomes.append(outcome)
    return next((o for o in outcomes if o.code != "MALFORMED"), outcomes[0])

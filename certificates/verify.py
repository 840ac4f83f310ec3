"""Verifying a certificate from its QR text, its PDF or a photo of the page,
with the verdicts of docs/protocol.md §11.

Trust comes only from the verifier's own configuration (a trust bundle or a
node home): the document supplies claims, never the keys to check them.
Offline, every check that needs no network is made and the verdict says that
revocation was not checked; with a node, its copy of the issuer's log adds the
status — and an outage or a stale copy is `STATUS_UNKNOWN`, never `VALID` or
`TAMPERED`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from citychain.clock import Clock, SystemClock
from citychain.documents.checks import (
    DEFAULT_MAX_AGE_S,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    Rejected,
    Sentences,
    Spoken,
    VerifierConfig,
    ask_node,
    check_embedded_proof,
    check_freshness,
    check_issuer,
    check_seal_at,
    embedded_shortfall,
    open_sealed_proof,
)
from citychain.documents.checks import qr_from_image as _qr_from_image
from citychain.documents.city_time import CITY_TIME
from citychain.documents.door import VerifierKind
from citychain.documents.log_report import HomeReports, NodeReports
from citychain.log import merkle
from citychain.log.commitments import commitment, salt
from citychain.log.records import Leaf

from . import kinds
from .causes import cause_words
from .identifiers import InvalidCertificateId, parse_certificate_id
from .payload import PROOF_FILENAME, TLOG_PROOF_FILENAME, PayloadError, Proof, open_qr_payload
from .qr_text import PREFIX, SM_PREFIX, QrTextError, decode_qr_text
from .status import STATUS
from .status_proof import BEHIND, CONFIRMS, CONTRADICTS, ProvenStatus, compare, proven_status
from .types import BY_ID

__all__ = [
    "CERTIFICATES",
    "DEFAULT_MAX_AGE_S",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "SENTENCES",
    "HomeStatus",
    "NodeStatus",
    "Rejected",
    "StatusSource",
    "Verdict",
    "Verifier",
    "VerifierConfig",
    "qr_from_image",
]

SENTENCES = Sentences(
    {
        "VALID": (
            "证照有效：签名、签发机构和账本记录均已核验。",
            "Valid: the signature, the issuing agency and the ledger record all check out.",
        ),
        "TAMPERED": (
            "证照被改动过或签名不符，请勿采信。",
            "This certificate was altered or its signature does not match. Do not rely on it.",
        ),
        "MALFORMED": (
            "无法读取：这不是完整的可信城市证照。",
            "This cannot be read: it is not a complete CityChain certificate.",
        ),
        "UNKNOWN_ISSUER": ("签发机构不在本机信任的名单中。", "The issuing agency is not one this verifier trusts."),
        "ISSUER_NOT_AUTHORISED": (
            "该机构无权签发此类证照。",
            "This agency was not authorised to issue this kind of certificate.",
        ),
        "KEY_REVOKED": (
            "签发所用的密钥已被吊销，证照不可信。",
            "The key that signed this certificate has been revoked; it cannot be trusted.",
        ),
        "REVOKED": ("证照已被签发机构撤销。", "The issuing agency has revoked this certificate."),
        "SUSPENDED": ("证照已被暂停使用。", "This certificate is suspended."),
        "SUPERSEDED": (
            "证照已被新证替换，请使用新证。",
            "This certificate was replaced by a newer one; use the new one.",
        ),
        "EXPIRED": ("证照已过有效期。", "This certificate has expired."),
        "NOT_YET_VALID": ("证照尚未生效。", "This certificate is not valid yet."),
        "NOT_IN_LEDGER": (
            "签发机构的账本中没有这张证照。",
            "The issuing agency's ledger does not hold this certificate.",
        ),
        "LOG_FORKED": (
            "签发机构的账本出现前后矛盾的版本，暂时无法确认。请联系签发机构。",
            "The issuing agency's ledger was seen in two conflicting versions; nothing can be confirmed. "
            "Contact the agency.",
        ),
        "LOG_INVALID": (
            "签发机构的账本违反了规则，已被标记。请联系签发机构。",
            "The issuing agency's ledger broke the rules and is flagged. Contact the agency.",
        ),
        "STATUS_UNKNOWN": (
            "证照本身核验无误，但暂时无法确认是否已被撤销。",
            "The certificate itself checks out, but whether it was revoked could not be confirmed.",
        ),
        "STATUS_CONFLICT": (
            "两个账本节点对这张证照状态的答复相互矛盾，暂时无法确认，请勿采信，并联系签发机构。",
            "Two ledger nodes gave conflicting answers about this certificate's status; it cannot be "
            "confirmed. Do not rely on it; contact the issuing agency.",
        ),
    },
    "是否已被撤销",
    "revocation was",
)


@dataclass(frozen=True)
class Verdict(Spoken):
    code: str
    detail_zh: str = ""
    detail_en: str = ""
    cert_id: str | None = None
    type: str | None = None
    issuer: str | None = None
    issuer_name_zh: str | None = None
    issuer_name_en: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # as signed
    hidden: tuple[str, ...] = ()  # fields this document does not disclose
    valid_from: str | None = None
    valid_until: str | None = None
    issued_at: str | None = None
    status_checked: bool = False
    status_as_of: str | None = None
    cosigners: tuple[str, ...] = ()
    source: str = ""
    confirmed_by: tuple[str, ...] = ()  # the nodes whose proven answers agree (the first one first)
    conflict: tuple[str, ...] = ()  # STATUS_CONFLICT: the two nodes whose answers disagree

    sentences: ClassVar[Sentences] = SENTENCES

    @property
    def sentence_zh(self) -> str:
        confirmed = f"（状态经 {len(self.confirmed_by)} 个节点确认）" if self._confirmed() else ""
        return super().sentence_zh + confirmed

    @property
    def sentence_en(self) -> str:
        n = len(self.confirmed_by)
        confirmed = f" (Status confirmed by {n} node{'s' if n > 1 else ''}.)" if self._confirmed() else ""
        return super().sentence_en + confirmed

    def _confirmed(self) -> bool:
        return self.code == "VALID" and self.status_checked and bool(self.confirmed_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.code,
            "message_zh": self.sentence_zh,
            "message_en": self.sentence_en,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
            "certificate_id": self.cert_id,
            "type": self.type,
            "issuer": {"agency": self.issuer, "name_zh": self.issuer_name_zh, "name_en": self.issuer_name_en},
            "fields": self.fields,
            "hidden_fields": list(self.hidden),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "issued_at": self.issued_at,
            "status_checked": self.status_checked,
            "status_as_of": self.status_as_of,
            "cosigners": list(self.cosigners),
            "source": self.source,
            "status_confirmed_by": list(self.confirmed_by),
            "status_conflict": list(self.conflict),
        }

    def text(self) -> str:
        """What `main.py verify` prints: the verdict in both languages, then the certificate as signed."""
        from .desk import display_value

        lines = self.headline()
        if self.cert_id:
            lines.append(
                f"  {self.cert_id}  {self.issuer_name_zh or self.issuer}  "
                f"{self.valid_from} – {self.valid_until or '长期 / no expiry'}"
            )
        licence = BY_ID.get(self.type or "")
        for spec in licence.fields if licence else ():
            if spec.name in self.fields:
                shown = display_value(licence, spec.name, self.fields[spec.name])
                lines.append(f"  {spec.label_zh} / {spec.label_en}: {shown}")
        if self.status_checked or self.code == "STATUS_UNKNOWN":
            lines.append(
                f"  状态截至 / status as of: {self.status_as_of}  "
                f"见证 / co-signed by: {', '.join(self.cosigners) or '—'}"
            )
        if self.confirmed_by or self.conflict:
            lines.append(f"  节点 / nodes: {', '.join(self.conflict or self.confirmed_by)}")
        return "\n".join(lines)


class StatusSource(Protocol):
    """A node's answer about one certificate (certificates.status.status_report)."""

    def report(self, agency: str, cert_id: str, seq: int) -> dict[str, Any]: ...


class HomeStatus(HomeReports):
    """A node home on this machine, read directly (the node may be running)."""

    kind = STATUS


class NodeStatus(NodeReports):
    """A running node over HTTP(S), checked against the verifier's own CA file."""

    kind = STATUS


# -- the checks ------------------------------------------------------------
def _check_record(leaf: Leaf, config: VerifierConfig) -> tuple[Any, str]:
    """Signature and issuer; returns (agency, licence type id)."""
    record = leaf.record
    body = record.body
    if record.kind != kinds.ISSUED or not isinstance(body.get("type"), str) or body["type"] not in BY_ID:
        raise Rejected("MALFORMED", "这不是证照签发记录", "the record is not a certificate issue record")
    licence = BY_ID[body["type"]]
    try:
        cert_id = parse_certificate_id(str(body.get("id", "")))
    except InvalidCertificateId as exc:
        raise Rejected("MALFORMED", exc.message_zh, exc.message_en) from None
    agency = check_issuer(leaf, config, licence.permission)
    if agency.attribute("uscc") != cert_id.issuer_uscc or cert_id.type_code != licence.code:
        raise Rejected(
            "ISSUER_NOT_AUTHORISED",
            "证照标识中的机构代码或类型与签发机构不符",
            "the issuer code or type in the certificate id does not match the signing agency",
        )
    return agency, licence.id


def _check_values(proof: Proof, leaf: Leaf, hasher: merkle.Hasher) -> dict[str, Any]:
    commitments = leaf.record.body.get("commitments", {})
    if set(proof.values) != set(commitments):
        raise Rejected("TAMPERED", "证明文件中的栏目与账本记录不符", "the proof's fields differ from the ledger record")
    for name, value in proof.values.items():
        if commitment(salt(proof.seed, name, hasher), value, hasher) != commitments[name]:
            raise Rejected(
                "TAMPERED", f"栏目“{name}”与签名的承诺不符", f"field {name!r} does not match its signed commitment"
            )
    return dict(proof.values)


def _online(
    source: StatusSource, seconds: tuple, leaf: Leaf, config: VerifierConfig, now: datetime, max_age_s: int
) -> dict:
    """The node's view, checked: returns {"code": verdict or None, "as_of", "cosigners", ...};
    a valid answer is put to the `seconds` (other nodes) before it is believed."""
    report, view = ask_node(source, leaf, leaf.record.body["id"], config, now)
    if view["code"] is not None:
        return view
    if not isinstance(report.get("certificate"), dict):
        return {**view, "code": "STATUS_UNKNOWN", "zh": "节点没有这张证照的状态", "en": "the node has no status for it"}
    try:
        first = proven_status(_name(source), report, leaf, config)
    except Rejected as exc:
        return {**view, "code": "STATUS_UNKNOWN", "zh": exc.zh, "en": f"{_name(source)}: {exc.en}"}
    certificate = report["certificate"]
    if first.status != "valid":
        cause = cause_words(certificate.get("cause"))
        zh, en = (f"原因：{cause[0]}", f"cause: {cause[1]}") if cause else ("", "")
        return {
            **view,
            "code": first.status.upper(),
            "zh": zh,
            "en": en,
            "superseded_by": certificate.get("superseded_by"),
        }
    return check_freshness(report, view, config, now, max_age_s) or _second_opinion(
        first, seconds, leaf, config, now, view
    )


MAX_SECOND_NODES = 3


def _name(source: Any) -> str:
    return str(getattr(source, "name", "") or type(source).__name__)


def _second_opinion(
    first: ProvenStatus, seconds: tuple, leaf: Leaf, config: VerifierConfig, now: datetime, view: dict
) -> dict:
    """Ask the other nodes in turn until one gives a proven answer: the same newest
    record confirms; any other record refutes one of the two answers
    (`STATUS_CONFLICT`). Nodes that cannot answer, or give a proof that does not
    hold, are passed over (never believed); at most `MAX_SECOND_NODES` are asked,
    so a person at a kiosk waits for a few nodes' timeouts at worst."""
    for second in seconds[:MAX_SECOND_NODES]:
        report, other_view = ask_node(second, leaf, leaf.record.body["id"], config, now)
        if other_view["code"] in ("LOG_FORKED", "LOG_INVALID"):
            return {**other_view, "en": f"{_name(second)}: {other_view['en']}"}
        if other_view["code"] == "NOT_IN_LEDGER":  # another leaf where the first node proves this one
            return _conflict(
                first, _name(second), "在同一位置是另一条记录", "holds another record at the issue's place"
            )
        if other_view["code"] is not None or not isinstance(report.get("certificate"), dict):
            continue
        try:
            other = proven_status(_name(second), report, leaf, config)
        except Rejected:
            continue
        found = compare(first, other)
        if found == CONFIRMS and (report.get("own") or other_view.get("shortfall") is None):  # witnessed, as a first
            return {**view, "code": None, "confirmed_by": (first.node, other.node)}
        if found != CONFIRMS:
            return _conflict(first, other.node, *_words(found, other))
    return {**view, "code": None, "confirmed_by": (first.node,)}


def _words(found: str, other: ProvenStatus) -> tuple[str, str]:
    where = (
        f"第 {other.seq} 条记录（{other.status}，截至 {other.size}）",
        f"record {other.seq} ({other.status}, as of {other.size})",
    )
    if found == CONTRADICTS:
        return f"在同一位置给出另一条记录：{where[0]}", f"gives another record at the same place: {where[1]}"
    if found == BEHIND:
        return f"的最新状态记录较旧：{where[0]}", f"gives an older newest record: {where[1]}"
    return f"证明有一条未被反映的更新记录：{where[0]}", f"proves a newer record the answer does not reflect: {where[1]}"


def _conflict(first: ProvenStatus, other: str, zh: str, en: str) -> dict:
    """STATUS_CONFLICT naming both nodes, and what each proved."""
    mine = (
        f"第 {first.seq} 条记录（{first.status}，截至 {first.size}）",
        f"record {first.seq} ({first.status}, as of {first.size})",
    )
    return {
        "code": "STATUS_CONFLICT",
        "zh": f"{first.node} 答复{mine[0]}；{other} {zh}",
        "en": f"{first.node} answers {mine[1]}; {other} {en}",
        "conflict": (first.node, other),
    }


@dataclass
class Verifier:
    config: VerifierConfig
    source: StatusSource | None = None
    clock: Clock = field(default_factory=SystemClock)
    max_age_s: int = DEFAULT_MAX_AGE_S
    seconds: tuple[StatusSource, ...] = ()  # other nodes asked when the first says valid

    def _verdict(
        self,
        leaf: Leaf | None,
        values: dict,
        hidden: tuple[str, ...],
        proof: Proof | None,
        source: str,
        opened_agency: Callable[[str], None] | None = None,
    ) -> Verdict:
        now = self.clock.now()
        base = Verdict("MALFORMED", source=source)
        try:
            assert leaf is not None
            body = leaf.record.body
            base = replace(
                base,
                cert_id=body.get("id"),
                type=body.get("type"),
                issuer=leaf.record.log,
                fields=values,
                hidden=hidden,
                valid_from=body.get("valid_from"),
                valid_until=body.get("valid_until"),
                issued_at=leaf.record.time,
            )
            agency, _ = _check_record(leaf, self.config)
            base = replace(base, issuer_name_zh=agency.name_zh, issuer_name_en=agency.name_en)
            if opened_agency is not None:
                opened_agency(leaf.record.log)
            as_of = leaf.record.time
            if proof is not None:
                if proof.leaf.data != leaf.data:
                    raise Rejected("TAMPERED", "证明文件与证照记录不符", "the proof file is for another record")
                if proof.qr_leaf is not None and proof.qr_leaf.data != leaf.data:
                    raise Rejected(
                        "TAMPERED",
                        "二维码与账本证明不是同一条记录",
                        "the QR code and the ledger proof are for different records",
                    )
                base = replace(base, fields=_check_values(proof, leaf, self.config.hasher), hidden=())
                cosigners, newest = check_embedded_proof(
                    leaf, proof.index, proof.size, proof.path, proof.checkpoint, self.config, int(now.timestamp())
                )
                base = replace(base, cosigners=cosigners)
                as_of = max(as_of, newest or as_of)
            unwitnessed = proof and embedded_shortfall(proof.checkpoint, leaf, self.config, int(now.timestamp()))
            base = replace(base, status_as_of=as_of)
            if self.source is not None:
                online = _online(self.source, self.seconds, leaf, self.config, now, self.max_age_s)
                base = replace(
                    base,
                    cosigners=online.get("cosigners", base.cosigners),
                    status_as_of=online.get("as_of") or base.status_as_of,
                    confirmed_by=online.get("confirmed_by", ()),
                    conflict=online.get("conflict", ()),
                )
                if online["code"] not in (None, "STATUS_UNKNOWN"):
                    return replace(
                        base,
                        code=online["code"],
                        detail_zh=online.get("zh", ""),
                        detail_en=online.get("en", ""),
                        status_checked=True,
                    )
            today = now.astimezone(CITY_TIME).date()
            if date.fromisoformat(body["valid_from"]) > today:
                return replace(base, code="NOT_YET_VALID")
            if body.get("valid_until") and date.fromisoformat(body["valid_until"]) < today:
                return replace(base, code="EXPIRED")
            if self.source is not None and online["code"] == "STATUS_UNKNOWN":
                return replace(base, code="STATUS_UNKNOWN", detail_zh=online["zh"], detail_en=online["en"])
            if self.source is None and unwitnessed:  # a trust policy's quorum, unmet by the printed proof (§14)
                return replace(base, code="STATUS_UNKNOWN", detail_zh=unwitnessed[0], detail_en=unwitnessed[1])
            return replace(base, code="VALID", status_checked=self.source is not None)
        except Rejected as exc:
            return replace(base, code=exc.code, detail_zh=exc.zh, detail_en=exc.en)

    def qr(self, text: str) -> Verdict:
        try:
            disclosed = open_qr_payload(decode_qr_text(text, self.config.trust.suite), self.config.hasher)
        except (QrTextError, PayloadError) as exc:
            return Verdict("MALFORMED", exc.message_zh, exc.message_en, source="qr")
        return self._verdict(disclosed.leaf, disclosed.values, disclosed.hidden, None, "qr")

    def pdf(self, data: bytes) -> Verdict:
        try:
            sealer, proof = open_sealed_proof(
                data, self.config, PROOF_FILENAME, Proof.from_files, (TLOG_PROOF_FILENAME,)
            )
        except Rejected as exc:
            return Verdict(exc.code, exc.zh, exc.en, source="pdf")

        def sealed_by(agency: str) -> None:
            if sealer.agency != agency:
                raise Rejected(
                    "TAMPERED", "电子印章不是签发机构的", f"the PDF is sealed by {sealer.agency!r}, not by {agency!r}"
                )
            check_seal_at(sealer, proof.leaf, self.config)

        return self._verdict(proof.leaf, {}, (), proof, "pdf", sealed_by)

    def image(self, data: bytes) -> Verdict:
        text, problem = qr_from_image(data)
        if text is None:
            return Verdict("MALFORMED", problem[0], problem[1], source="image")
        return replace(self.qr(text), source="image")


def qr_from_image(data: bytes) -> tuple[str | None, tuple[str, str]]:
    """The CityChain certificate QR text in a photo or scan, decoded with zxing-cpp."""
    return _qr_from_image(data, (PREFIX, SM_PREFIX))


# -- for the one verifier door ---------------------------------------------------
CERTIFICATES = VerifierKind(
    "certificate", PREFIX, PROOF_FILENAME, STATUS, Verifier, asks_seconds=True, sm_qr_prefix=SM_PREFIX
)

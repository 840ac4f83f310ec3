"""Verifying a donation receipt from its QR text, its PDF or a photo of the
page, with verdicts in the manner of docs/protocol.md §11 and §12.

Trust comes only from the verifier's own configuration (a trust bundle or a
node home). Offline, the seal, the charity's signature and permission, the
donor disclosure and the embedded proof are checked, and the verdict says
that refunds and reversals were not. With a node, its copy of the charity's
log adds them: `REVERSED` (the charity voided the donation), `REFUNDED`
(money went back to the donor, so the receipt overstates the gift); an outage
or a stale copy is `STATUS_UNKNOWN`, never `VALID` or `TAMPERED`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from citychain.clock import Clock, SystemClock
from citychain.documents.checks import (
    DEFAULT_MAX_AGE_S,
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
    qr_from_image,
)
from citychain.documents.door import VerifierKind
from citychain.documents.log_report import HomeReports, NodeReports
from citychain.documents.money import yuan_figures
from citychain.documents.qr_text import QrTextError
from citychain.log import merkle
from citychain.log.records import Leaf

from .kinds import ORGANISATION
from .privacy import mask_id_number
from .receipt_payload import (
    PREFIX,
    PROOF_FILENAME,
    SM_PREFIX,
    TLOG_PROOF_FILENAME,
    Donor,
    PayloadError,
    Proof,
    decode_qr,
)
from .receipt_status import RECEIPT_STATUS
from .receipts import InvalidReceipt, parse_receipt
from .rules import CHANNELS, DONATION

SENTENCES = Sentences(
    {
        "VALID": (
            "捐赠收据有效：慈善组织的签名、授权和账本记录均已核验。",
            "Valid: the charity's signature, its authorisation and the ledger record all check out.",
        ),
        "TAMPERED": (
            "捐赠收据被改动过或签名不符，请勿采信。",
            "This receipt was altered or its signature does not match. Do not rely on it.",
        ),
        "MALFORMED": (
            "无法读取：这不是完整的可信城市捐赠收据。",
            "This cannot be read: it is not a complete CityChain donation receipt.",
        ),
        "UNKNOWN_ISSUER": (
            "开具收据的组织不在本机信任的名单中。",
            "The organisation that issued this receipt is not one this verifier trusts.",
        ),
        "ISSUER_NOT_AUTHORISED": (
            "该组织无权开具捐赠收据。",
            "This organisation was not authorised to issue donation receipts.",
        ),
        "KEY_REVOKED": (
            "开具收据所用的密钥已被吊销，收据不可信。",
            "The key that signed this receipt has been revoked; it cannot be trusted.",
        ),
        "REVERSED": (
            "这笔捐赠已被慈善组织冲正作废，收据无效。",
            "The charity reversed (voided) this donation; the receipt is void.",
        ),
        "REFUNDED": (
            "这笔捐赠已全部或部分退还捐赠人，收据金额不再准确。",
            "All or part of this donation was refunded to the donor; the receipt's amount no longer holds.",
        ),
        "NOT_IN_LEDGER": ("慈善组织的账本中没有这笔捐赠。", "The charity's ledger does not hold this donation."),
        "LOG_FORKED": (
            "慈善组织的账本出现前后矛盾的版本，暂时无法确认。请联系该组织。",
            "The charity's ledger was seen in two conflicting versions; nothing can be confirmed. Contact the charity.",
        ),
        "LOG_INVALID": (
            "慈善组织的账本违反了规则，已被标记。请联系该组织。",
            "The charity's ledger broke the rules and is flagged. Contact the charity.",
        ),
        "STATUS_UNKNOWN": (
            "收据本身核验无误，但暂时无法确认是否已退款或冲正。",
            "The receipt itself checks out, but whether it was refunded or reversed could not be confirmed.",
        ),
    },
    "是否已退款或冲正",
    "refunds and reversals were",
)
_BODY_KEYS = frozenset({"receipt", "fund", "amount_fen", "channel", "donor", "anonymous"})
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class ReceiptVerdict(Spoken):
    code: str
    detail_zh: str = ""
    detail_en: str = ""
    receipt: str | None = None
    charity: str | None = None
    charity_name_zh: str | None = None
    charity_name_en: str | None = None
    fund: str | None = None
    fund_name_zh: str | None = None
    fund_name_en: str | None = None
    amount_fen: int | None = None
    channel: str | None = None
    anonymous: bool | None = None
    donor_name: str | None = None  # disclosed by the receipt; None when anonymous
    donor_id_masked: str | None = None
    donated_at: str | None = None  # the record's time (UTC)
    seq: int | None = None
    leaf_hash: str | None = None  # how a kiosk looks the donation up and traces it
    refunded_fen: int = 0
    reversed_by: str | None = None
    status_checked: bool = False
    status_as_of: str | None = None
    cosigners: tuple[str, ...] = ()
    source: str = ""

    sentences: ClassVar[Sentences] = SENTENCES

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.code,
            "document": "donation-receipt",
            "message_zh": self.sentence_zh,
            "message_en": self.sentence_en,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
            "receipt": self.receipt,
            "amount_fen": self.amount_fen,
            "channel": self.channel,
            "issuer": {"agency": self.charity, "name_zh": self.charity_name_zh, "name_en": self.charity_name_en},
            "fund": {"id": self.fund, "name_zh": self.fund_name_zh, "name_en": self.fund_name_en},
            "anonymous": self.anonymous,
            "donor": None if self.donor_name is None else {"name": self.donor_name, "id_number": self.donor_id_masked},
            "donated_at": self.donated_at,
            "seq": self.seq,
            "leaf_hash": self.leaf_hash,
            "refunded_fen": self.refunded_fen,
            "reversed_by": self.reversed_by,
            "status_checked": self.status_checked,
            "status_as_of": self.status_as_of,
            "cosigners": list(self.cosigners),
            "source": self.source,
        }

    def text(self) -> str:
        lines = self.headline()
        if self.receipt and self.amount_fen is not None:
            lines.append(
                f"  捐赠收据 / receipt {self.receipt}  {yuan_figures(self.amount_fen)}  "
                f"{self.charity_name_zh or self.charity}"
            )
            donor = "匿名 / anonymous" if self.anonymous else (self.donor_name or "—")
            lines.append(
                f"  捐赠人 / donor: {donor}  基金 / fund: {self.fund_name_zh or self.fund}"
                f"{' / ' + self.fund_name_en if self.fund_name_en else ''}"
            )
            lines.append(f"  查询去向 / trace: python main.py charity trace --home DIR {self.receipt}")
        if self.status_checked or self.code == "STATUS_UNKNOWN":
            lines.append(
                f"  状态截至 / status as of: {self.status_as_of}  "
                f"见证 / co-signed by: {', '.join(self.cosigners) or '—'}"
            )
        return "\n".join(lines)


# -- where the status comes from ---------------------------------------------------
class ReceiptStatusSource(Protocol):
    """A node's answer about one donation (`charity.receipt_status.receipt_status_report`)."""

    def report(self, agency: str, receipt: str, seq: int) -> dict[str, Any]: ...


class HomeReceiptStatus(HomeReports):
    """A node home on this machine, read directly (the node may be running)."""

    kind = RECEIPT_STATUS


class NodeReceiptStatus(NodeReports):
    """A running node over HTTP(S), checked against the verifier's own CA file."""

    kind = RECEIPT_STATUS


# -- the checks ----------------------------------------------------------------
def _check_body(leaf: Leaf) -> dict[str, Any]:
    body = leaf.record.body
    problem = None
    if leaf.record.kind != DONATION:
        problem = "kind"
    elif set(body) != _BODY_KEYS:
        problem = "fields"
    elif not isinstance(body["amount_fen"], int) or isinstance(body["amount_fen"], bool) or body["amount_fen"] <= 0:
        problem = "amount_fen"
    elif (
        body["channel"] not in CHANNELS or not isinstance(body["anonymous"], bool) or not isinstance(body["fund"], str)
    ):
        problem = "channel, anonymous or fund"
    elif not isinstance(body["donor"], str) or not _HEX64.match(body["donor"]):
        problem = "donor"
    if problem is not None:
        raise Rejected("MALFORMED", "捐赠记录格式错误", f"the donation record is malformed ({problem})")
    try:
        if str(parse_receipt(body["receipt"])) != body["receipt"]:
            raise InvalidReceipt("收据编号不是规范写法", "the receipt code is not in its canonical form")
    except InvalidReceipt as exc:
        raise Rejected("MALFORMED", exc.message_zh, exc.message_en) from None
    return body


def _check_donor(proof: Proof, body: dict[str, Any], hasher: merkle.Hasher) -> Donor | None:
    if proof.donor is None:
        return None
    if body["anonymous"]:
        raise Rejected(
            "MALFORMED", "匿名捐赠的收据不应公开捐赠人", "an anonymous donation's receipt must not disclose the donor"
        )
    if proof.donor.commitment(hasher) != body["donor"]:
        raise Rejected("TAMPERED", "捐赠人信息与签名的承诺不符", "the donor named does not match the signed commitment")
    return proof.donor


def _online(source: ReceiptStatusSource, leaf: Leaf, config: VerifierConfig, now, max_age_s: int) -> dict:
    """The node's view, checked: {"code": verdict or None, "as_of", "cosigners", "donation"}."""
    record = leaf.record
    report, view = ask_node(source, leaf, record.body["receipt"], config, now)
    if view["code"] is not None:
        return view
    donation = report.get("donation")
    if (
        not isinstance(donation, dict)
        or donation.get("seq") != record.seq
        or not isinstance(donation.get("refunded_fen"), int)
    ):
        return {
            **view,
            "code": "STATUS_UNKNOWN",
            "zh": "节点没有这笔捐赠的状态",
            "en": "the node has no status for this donation",
        }
    view = {**view, "donation": donation}
    if donation.get("reversed_by"):
        return {
            **view,
            "code": "REVERSED",
            "zh": f"冲正记录 {donation['reversed_by']}",
            "en": f"reversed by record {donation['reversed_by']}",
        }
    if donation["refunded_fen"] > 0:
        zh = f"已退还 {yuan_figures(donation['refunded_fen'])}（共 {yuan_figures(record.body['amount_fen'])}）"
        en = f"{yuan_figures(donation['refunded_fen'])} of {yuan_figures(record.body['amount_fen'])} was refunded"
        return {**view, "code": "REFUNDED", "zh": zh, "en": en}
    return check_freshness(report, view, config, now, max_age_s) or view


@dataclass
class ReceiptVerifier:
    config: VerifierConfig
    source: ReceiptStatusSource | None = None
    clock: Clock = field(default_factory=SystemClock)
    max_age_s: int = DEFAULT_MAX_AGE_S

    def _verdict(
        self,
        leaf: Leaf,
        donor: Donor | None,
        proof: Proof | None,
        source: str,
        sealed_by: Callable[[str], None] | None = None,
    ) -> ReceiptVerdict:
        now = self.clock.now()
        body = leaf.record.body
        base = ReceiptVerdict(
            "MALFORMED",
            source=source,
            charity=leaf.record.log,
            seq=leaf.record.seq,
            leaf_hash=leaf.hash_hex,
            donated_at=leaf.record.time,
        )
        try:
            _check_body(leaf)
            base = replace(
                base,
                receipt=body["receipt"],
                fund=body["fund"],
                amount_fen=body["amount_fen"],
                channel=body["channel"],
                anonymous=body["anonymous"],
            )
            agency = check_issuer(leaf, self.config, ORGANISATION)
            base = replace(base, charity_name_zh=agency.name_zh, charity_name_en=agency.name_en)
            if sealed_by is not None:
                sealed_by(leaf.record.log)
            as_of = leaf.record.time
            if proof is not None:
                if proof.leaf.data != leaf.data:
                    raise Rejected("TAMPERED", "证明文件与收据记录不符", "the proof file is for another record")
                if proof.qr_leaf is not None and proof.qr_leaf.data != leaf.data:
                    raise Rejected(
                        "TAMPERED",
                        "二维码与账本证明不是同一条记录",
                        "the QR code and the ledger proof are for different records",
                    )
                donor = _check_donor(proof, body, self.config.hasher)
                cosigners, newest = check_embedded_proof(
                    leaf, proof.index, proof.size, proof.path, proof.checkpoint, self.config, int(now.timestamp())
                )
                base = replace(
                    base, cosigners=cosigners, fund_name_zh=proof.fund_name_zh, fund_name_en=proof.fund_name_en
                )
                as_of = max(as_of, newest or as_of)
            if donor is not None:
                base = replace(
                    base,
                    donor_name=donor.value["name"],
                    donor_id_masked=mask_id_number(donor.value["id_number"]) if "id_number" in donor.value else None,
                )
            unwitnessed = proof and embedded_shortfall(proof.checkpoint, leaf, self.config, int(now.timestamp()))
            base = replace(base, status_as_of=as_of)
            if self.source is None and unwitnessed:  # a trust policy's quorum, unmet by the printed proof (§14)
                return replace(base, code="STATUS_UNKNOWN", detail_zh=unwitnessed[0], detail_en=unwitnessed[1])
            if self.source is None:
                return replace(base, code="VALID")
            online = _online(self.source, leaf, self.config, now, self.max_age_s)
            donation = online.get("donation") or {}
            base = replace(
                base,
                cosigners=online.get("cosigners", base.cosigners),
                status_as_of=online.get("as_of") or base.status_as_of,
                refunded_fen=donation.get("refunded_fen", 0) or 0,
                reversed_by=donation.get("reversed_by"),
                fund_name_zh=base.fund_name_zh or donation.get("fund_name_zh"),
                fund_name_en=base.fund_name_en or donation.get("fund_name_en"),
            )
            if online["code"] == "STATUS_UNKNOWN":
                return replace(base, code="STATUS_UNKNOWN", detail_zh=online["zh"], detail_en=online["en"])
            if online["code"] is not None:
                return replace(
                    base,
                    code=online["code"],
                    detail_zh=online.get("zh", ""),
                    detail_en=online.get("en", ""),
                    status_checked=True,
                )
            return replace(base, code="VALID", status_checked=True)
        except Rejected as exc:
            return replace(base, code=exc.code, detail_zh=exc.zh, detail_en=exc.en)

    def qr(self, text: str) -> ReceiptVerdict:
        try:
            opened = decode_qr(text, self.config.trust.suite)
        except (QrTextError, PayloadError) as exc:
            return ReceiptVerdict("MALFORMED", exc.message_zh, exc.message_en, source="qr")
        return self._verdict(opened.leaf, opened.donor, None, "qr")

    def pdf(self, data: bytes) -> ReceiptVerdict:
        try:
            sealer, proof = open_sealed_proof(
                data, self.config, PROOF_FILENAME, Proof.from_files, (TLOG_PROOF_FILENAME,)
            )
        except Rejected as exc:
            return ReceiptVerdict(exc.code, exc.zh, exc.en, source="pdf")

        def sealed_by(agency: str) -> None:
            if sealer.agency != agency:
                raise Rejected(
                    "TAMPERED",
                    "电子印章不是开具收据的组织的",
                    f"the PDF is sealed by {sealer.agency!r}, not by {agency!r}",
                )
            check_seal_at(sealer, proof.leaf, self.config)

        return self._verdict(proof.leaf, None, proof, "pdf", sealed_by)

    def image(self, data: bytes) -> ReceiptVerdict:
        text, problem = qr_from_image(data, (PREFIX,))
        if text is None:
            return ReceiptVerdict("MALFORMED", problem[0], problem[1], source="image")
        return replace(self.qr(text), source="image")


# -- for the one verifier door ---------------------------------------------------
RECEIPTS = VerifierKind(
    "donation-receipt", PREFIX, PROOF_FILENAME, RECEIPT_STATUS, ReceiptVerifier, sm_qr_prefix=SM_PREFIX
)

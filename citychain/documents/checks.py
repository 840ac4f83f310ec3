"""The checks every CityChain document verifier makes, whatever the document.

A document (a certificate, a donation receipt) carries one signed leaf of its
issuer's log, and in its PDF an inclusion proof and a checkpoint. Trust comes
only from the verifier's own configuration (`VerifierConfig`: a trust bundle
or a node home), never from the document. The domain verifiers call these in
the order of docs/protocol.md §11 and §12 and turn a `Rejected` into their
verdict:

- `check_signer`: the agency is in the verifier's trust log and the leaf is
  signed with one of its keys (`UNKNOWN_ISSUER`, `TAMPERED`);
- `authorise`: the key and the agency were valid at the record's time and the
  agency holds the permission (`KEY_REVOKED`, `ISSUER_NOT_AUTHORISED`);
  `check_issuer` makes both;
- `check_embedded_proof`: the inclusion proof leads to a checkpoint signed by
  the agency (`TAMPERED`);
- `check_seal_at`: a PDF's seal certificate was not revoked at the time of
  the record in the ledger (`KEY_REVOKED`);
- `check_node_report` and `check_freshness`: a node's view of the issuer's
  log, checked here rather than believed (`LOG_FORKED`, `LOG_INVALID`,
  `NOT_IN_LEDGER`, `STATUS_UNKNOWN`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from cryptography import x509

from citychain.clock import format_time, parse_time
from citychain.errors import BilingualError, CityChainError
from citychain.log import merkle
from citychain.log.checkpoint import (
    CheckpointError,
    FutureCosignature,
    SignedCheckpoint,
    cosignature_key_id,
    open_checkpoint,
    verify_cosignature,
)
from citychain.log.encoding import EncodingError, b64decode
from citychain.log.keys import public_key_from_bytes
from citychain.log.policy import Policy
from citychain.log.records import Leaf, verify_leaf_signature
from citychain.node.bundle import BundleError, read_bundle, trust_from_bundle
from citychain.node.home import Home
from citychain.node.mirror import log_keys
from citychain.node.node import replay_trust
from citychain.node.policies import home_policy, read_policy
from citychain.node.store import Store
from citychain.node.trust import Agency, TrustError, TrustState
from citychain.node.witnesses import quorum_shortfall, witness_keys, witnessed_by
from citychain.pki.ca import cert_fingerprint

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_AGE_S = 3600
P = TypeVar("P")


class Rejected(CityChainError):
    """Stops a verification with a verdict: its code and detail sentences."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en)

    @property
    def zh(self) -> str:
        return self.message_zh

    @property
    def en(self) -> str:
        return self.message_en


@dataclass(frozen=True)
class Sentences:
    """A document's verdict sentences. Offline VALID says which status was not
    checked (`unchecked_zh` "是否已被撤销", `unchecked_en` "revocation was")."""

    table: dict[str, tuple[str, str]]
    unchecked_zh: str
    unchecked_en: str

    def say(self, code: str, status_checked: bool, as_of: str | None) -> tuple[str, str]:
        zh, en = self.table[code]
        if code == "VALID" and not status_checked:
            zh += f"（离线核验：未能查询{self.unchecked_zh}；凭证截至 {as_of or '未知'}）"
            en += f" (Offline check: {self.unchecked_en} not checked; proof as of {as_of or 'unknown'}.)"
        elif code == "STATUS_UNKNOWN" and as_of:
            zh += f"（状态截至 {as_of}）"
            en += f" (Status as of {as_of}.)"
        return zh, en


class Spoken:
    """A verdict's words, for a verdict dataclass with `code`, `status_checked`,
    `status_as_of`, `detail_zh`/`detail_en` and its document's `sentences`."""

    sentences: ClassVar[Sentences]

    @property
    def ok(self) -> bool:
        return self.code == "VALID"

    @property
    def sentence_zh(self) -> str:
        return self.sentences.say(self.code, self.status_checked, self.status_as_of)[0]

    @property
    def sentence_en(self) -> str:
        return self.sentences.say(self.code, self.status_checked, self.status_as_of)[1]

    def headline(self) -> list[str]:
        """The first lines `main.py verify` prints: the verdict in both languages, then why (if said)."""
        lines = [f"{self.code}: {self.sentence_zh}", f"{' ' * len(self.code)}  {self.sentence_en}"]
        if self.detail_en:
            lines.append(f"  {self.detail_zh} / {self.detail_en}")
        return lines


# -- configuration ---------------------------------------------------------
@dataclass(frozen=True)
class VerifierConfig:
    """The verifier's own trust roots: never taken from a document."""

    city: str
    trust: TrustState
    ca_cert: x509.Certificate | None
    witness_quorum: int = 2
    policy: Policy | None = None  # a C2SP tlog-policy: when given, its quorum wins over `witness_quorum` (§14)

    @property
    def hasher(self) -> merkle.Hasher:
        """The city's tree hash, from the root keys this verifier pins."""
        return self.trust.suite.hash

    @classmethod
    def from_bundle(cls, path: Path, policy: Path | None = None) -> VerifierConfig:
        """`policy`: a tlog-policy file the operator chose (`verify --policy`, kiosk.toml `policy`)."""
        bundle = read_bundle(Path(path))
        ca = x509.load_pem_x509_certificate(bundle.city_ca_pem.encode()) if bundle.city_ca_pem else None
        trust = trust_from_bundle(bundle)
        if ca is not None and trust.ca_fingerprint not in (None, cert_fingerprint(ca)):  # the unsigned field lies
            raise BundleError(
                "信任包中的城市根证书不是信任日志登记的那一张",
                "the trust bundle's city CA certificate is not the one its trust log names",
            )
        return cls(bundle.city, trust, ca, bundle.witness_quorum, read_policy(policy) if policy else None)

    @classmethod
    def from_home(cls, path: Path, policy: Path | None = None) -> VerifierConfig:
        """`policy`, else the one the home's config.toml names, else the home's quorum."""
        home = Home(Path(path))
        config = home.config()
        chosen = read_policy(policy) if policy else home_policy(home, config)
        store = Store(home.db_path)
        try:
            state = replay_trust(store, config)
        finally:
            store.close()
        if not state.size:
            raise BundleError(f"{path} holds no trust log yet")
        ca = x509.load_pem_x509_certificate(home.city_ca_path.read_bytes()) if home.city_ca_path.exists() else None
        return cls(config.city, state, ca, config.witness_quorum, chosen)


# -- the signed leaf -------------------------------------------------------
def leaf_hash(leaf: Leaf, config: VerifierConfig) -> bytes:
    """The leaf's hash in the verifier's city: the suite comes from its own trust
    roots, never from the document (a document cannot pick SHA-256 for an SM city)."""
    return leaf.hash if config.hasher is merkle.DEFAULT_HASHER else merkle.leaf_hash(leaf.data, config.hasher)


def check_signer(leaf: Leaf, config: VerifierConfig) -> Agency:
    """The record's agency, if the leaf is signed with one of its keys."""
    record = leaf.record
    agency = config.trust.agencies.get(record.log)
    owner = next((a.id for a in config.trust.agencies.values() if a.key(leaf.kid)), None)
    if agency is None and owner is not None:
        raise Rejected(
            "TAMPERED",
            f"记录自称来自 {record.log}，却是 {owner} 的密钥签的",
            f"the record claims to come from {record.log!r} but is signed with {owner}'s key",
        )
    if agency is None:
        raise Rejected(
            "UNKNOWN_ISSUER",
            f"本机信任配置中没有机构 {record.log}",
            f"agency {record.log!r} is not in this verifier's trust configuration",
        )
    key = agency.key(leaf.kid)
    if key is None:
        if owner is not None:
            raise Rejected(
                "TAMPERED",
                f"签名用的是另一机构（{owner}）的密钥",
                f"it is signed with another agency's key ({owner}), not {record.log}'s",
            )
        if any(verify_leaf_signature(leaf, public_key_from_bytes(k.public_key)) for k in agency.keys):
            raise Rejected("TAMPERED", "签名密钥编号被改动过", "the signing key's id was altered")
        raise Rejected(
            "UNKNOWN_ISSUER",
            "签名密钥不在本机信任配置中（配置可能过旧）",
            "the signing key is not in this verifier's trust configuration (it may be out of date)",
        )
    if not verify_leaf_signature(leaf, public_key_from_bytes(key.public_key)):
        raise Rejected("TAMPERED", "签名与内容不符", "the signature does not match the content")
    return agency


_TRUST_VERDICTS = {
    "KEY_REVOKED": "KEY_REVOKED",
    "UNKNOWN_ISSUER": "UNKNOWN_ISSUER",
}


def authorise(leaf: Leaf, config: VerifierConfig, permission: str) -> None:
    """Key valid at the record's time, agency active, permission held."""
    try:
        config.trust.authorise(leaf.record, leaf.kid, permission)
    except TrustError as exc:
        code = _TRUST_VERDICTS.get(exc.code, "ISSUER_NOT_AUTHORISED")
        raise Rejected(code, exc.message_zh, exc.message_en) from None


def check_issuer(leaf: Leaf, config: VerifierConfig, permission: str) -> Agency:
    """`check_signer` then `authorise`: the agency that signed, holding `permission`."""
    agency = check_signer(leaf, config)
    authorise(leaf, config, permission)
    return agency


# -- proofs ------------------------------------------------------------------
def open_log_checkpoint(note: str, leaf: Leaf, config: VerifierConfig) -> SignedCheckpoint:
    """A checkpoint of the leaf's log, signed with that agency's key (raises CheckpointError)."""
    origin = f"citychain/{config.city}/{leaf.record.log}"
    return open_checkpoint(note, origin, log_keys(config.trust, leaf.record.log))


def newest_cosignature(
    signed: SignedCheckpoint, config: VerifierConfig, agency: str, now: int
) -> tuple[tuple[str, ...], str | None]:
    """(witness agency ids, time of the newest co-signature) of the valid co-signatures."""
    cosigs = witnessed_by(signed, config.trust, config.city, agency, now, config.policy)
    names = tuple(sorted(name.rsplit("/", 1)[-1] for name in cosigs))
    newest = max(cosigs.values(), default=None)
    return names, (format_time(datetime.fromtimestamp(newest, UTC)) if newest else None)


def check_embedded_proof(
    leaf: Leaf, index: int, size: int, path: Sequence[bytes], note: str, config: VerifierConfig, now: int
) -> tuple[tuple[str, ...], str | None]:
    """A document's own inclusion proof and checkpoint: the leaf was in the issuer's log."""
    try:
        signed = open_log_checkpoint(note, leaf, config)
        if signed.checkpoint.size != size or index != leaf.record.seq:
            raise CheckpointError("the proof's size or index does not match")
        merkle.verify_inclusion(leaf_hash(leaf, config), index, size, list(path), signed.checkpoint.root, config.hasher)
        _no_broken_cosignature(signed, config, leaf.record.log, now)
    except (CheckpointError, merkle.ProofError, ValueError) as exc:
        raise Rejected("TAMPERED", "附带的账本证明不成立", f"the embedded ledger proof does not hold: {exc}") from None
    return newest_cosignature(signed, config, leaf.record.log, now)


def _no_broken_cosignature(signed: SignedCheckpoint, config: VerifierConfig, agency: str, now: int) -> None:
    """(strict, documents) A co-signature line of a witness key the verifier
    knows must verify. A relayed checkpoint may carry junk lines (§4.5), but a
    document's proof is what the agency's node printed, and it keeps only
    co-signatures it verified: a broken one means the proof was altered."""
    for name, key in witness_keys(config.trust, config.city, agency, config.policy).items():
        for sig in signed.note.signatures:
            if sig.name == name and sig.key_id == cosignature_key_id(name, key):
                try:
                    verify_cosignature(signed.checkpoint, sig, name, key, now)
                except FutureCosignature:
                    continue  # counted by nobody, as §4.5 says, but not altered


def quorum_shortfall_of(signed: SignedCheckpoint, config: VerifierConfig, agency: str, now: int):
    """Why a checkpoint of `agency`'s log lacks its co-signatures (zh, en), or None (§14: a policy wins)."""
    return quorum_shortfall(signed, config.trust, config.city, agency, config.witness_quorum, now, config.policy)


def embedded_shortfall(note: str, leaf: Leaf, config: VerifierConfig, now: int) -> tuple[str, str] | None:
    """With a trust policy, a document whose printed checkpoint lacks the
    policy's quorum cannot be trusted offline: the verdict for too few
    co-signatures (`STATUS_UNKNOWN`), saying how to get a fresher proof."""
    if config.policy is None:
        return None
    try:
        why = quorum_shortfall_of(open_log_checkpoint(note, leaf, config), config, leaf.record.log, now)
    except CheckpointError:
        return None  # check_embedded_proof has said TAMPERED already
    if why is None:
        return None
    return (
        f"{why[0]}。此文件打印时其检查点尚未集齐见证人联署：请到签发机构重新打印（reprint）取得更新的证明，"
        "或联网核验（verify --node URL）",
        f"{why[1]}. The document was printed before its checkpoint gathered the quorum: get a fresher proof "
        "by reprinting it at the issuing agency (reprint), or check it online (verify --node URL).",
    )


@dataclass(frozen=True)
class Sealer:
    """Who sealed a PDF: the agency its certificate names, and the certificate's fingerprint."""

    agency: str | None
    fingerprint: str


def open_sealed_proof(
    data: bytes,
    config: VerifierConfig,
    attachment_name: str,
    parse: Callable[[Mapping[str, bytes]], P],
    optional: tuple[str, ...] = (),
) -> tuple[Sealer, P]:
    """(who sealed it, the parsed proof files) of a sealed PDF, the seal
    checked against the verifier's own city CA; `parse` gets the attachment
    and those of the `optional` names present, and raises a BilingualError."""
    if config.ca_cert is None:
        raise Rejected(
            "UNKNOWN_ISSUER",
            "本机信任配置中没有城市根证书，无法核验电子印章",
            "this verifier's configuration has no city root CA to check the seal",
        )
    try:
        from citychain.documents.pades import open_sealed_pdf  # pyHanko loads only when a PDF is checked

        opened = open_sealed_pdf(data, config.ca_cert, attachment_name=attachment_name, optional=optional)
        return Sealer(opened.agency, opened.fingerprint), parse(opened.files)
    except BilingualError as exc:  # SealProblem (TAMPERED, MALFORMED, UNKNOWN_ISSUER) or the proof's MALFORMED
        raise Rejected(exc.code, exc.message_zh, exc.message_en) from None


def check_seal_at(sealer: Sealer, leaf: Leaf, config: VerifierConfig) -> None:
    """The seal's certificate was not revoked at the time of the document's
    record in the ledger. The seal's own signing time is the signer's word (a
    stolen seal key can backdate it); the record's time is signed by the
    agency's ledger key and its place in the log witnessed."""
    found = config.trust.revoked_cert(sealer.fingerprint, leaf.record.time)
    if found is not None:
        cert = found[1]
        raise Rejected(
            "KEY_REVOKED",
            f"电子印章的证书自 {cert.revoked_from} 起已被吊销（{cert.reason}），而此文件的账本记录时间为 {leaf.record.time}",
            f"the seal's certificate is revoked from {cert.revoked_from} ({cert.reason}); "
            f"this document's ledger record is dated {leaf.record.time}",
        )


# -- a node's view -------------------------------------------------------------
def ask_node(
    source: Any, leaf: Leaf, name: str, config: VerifierConfig, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the node's report, its checked log view) for the document `name` at the
    leaf's position; `source.report` failing is an outage (`STATUS_UNKNOWN`),
    never a verdict on the document."""
    try:
        report = source.report(leaf.record.log, name, leaf.record.seq)
    except Exception as exc:  # noqa: BLE001 — any failure to get an answer
        return {}, {
            "code": "STATUS_UNKNOWN",
            "zh": "无法连接账本节点",
            "en": f"the ledger node could not be reached: {exc}",
        }
    return report, check_node_report(report, leaf, config, now)


def check_node_report(report: Any, leaf: Leaf, config: VerifierConfig, now: datetime) -> dict[str, Any]:
    """The log part of a node's report (`citychain.documents.log_report`), checked:
    {"code": None or a verdict, "zh", "en", "as_of", "cosigners"}. `code` None
    means the node's copy of the log holds exactly this leaf, proven."""
    if not isinstance(report, dict) or report.get("log_status") == "absent":
        return {
            "code": "STATUS_UNKNOWN",
            "zh": "节点没有该机构的账本",
            "en": "the node holds no copy of the issuer's log",
        }
    if report.get("log_status") == "forked":
        return {"code": "LOG_FORKED", "zh": "", "en": str(report.get("log_detail", ""))}
    if report.get("log_status") == "invalid":
        return {"code": "LOG_INVALID", "zh": "", "en": str(report.get("log_detail", ""))}
    record = leaf.record
    try:
        signed = open_log_checkpoint(str(report.get("checkpoint", "")), leaf, config)
    except CheckpointError as exc:
        return {
            "code": "STATUS_UNKNOWN",
            "zh": "节点给出的检查点无效",
            "en": f"the node's checkpoint does not verify: {exc}",
        }
    cosigners, _ = newest_cosignature(signed, config, record.log, int(now.timestamp()))
    as_of = report.get("as_of") if isinstance(report.get("as_of"), str) else None
    view: dict[str, Any] = {"cosigners": cosigners, "as_of": as_of, "size": signed.checkpoint.size}
    view["shortfall"] = quorum_shortfall_of(signed, config, record.log, int(now.timestamp()))
    if signed.checkpoint.size <= record.seq:
        return {
            **view,
            "code": "STATUS_UNKNOWN",
            "zh": "节点的账本副本尚未同步到这条记录",
            "en": "the node's copy of the issuer's log does not reach this record yet",
        }
    if report.get("leaf_hash") != leaf_hash(leaf, config).hex():
        return {
            **view,
            "code": "NOT_IN_LEDGER",
            "zh": "账本中该位置是另一条记录",
            "en": f"the issuer's log holds a different record at position {record.seq}",
        }
    try:
        path = [b64decode(h) for h in report.get("inclusion") or []]
        merkle.verify_inclusion(
            leaf_hash(leaf, config), record.seq, signed.checkpoint.size, path, signed.checkpoint.root, config.hasher
        )
    except (merkle.ProofError, EncodingError, TypeError, ValueError) as exc:
        return {
            **view,
            "code": "STATUS_UNKNOWN",
            "zh": "节点给出的证明无效",
            "en": f"the node's proof does not verify: {exc}",
        }
    return {**view, "code": None, "zh": "", "en": ""}


def check_freshness(
    report: dict[str, Any], view: dict[str, Any], config: VerifierConfig, now: datetime, max_age_s: int
) -> dict[str, Any] | None:
    """STATUS_UNKNOWN when a peer's copy lacks witnesses or is older than the limit; else None."""
    shortfall = view.get("shortfall")
    if not report.get("own") and shortfall is not None:
        return {
            **view,
            "code": "STATUS_UNKNOWN",
            "zh": f"节点的检查点见证人不足：{shortfall[0]}",
            "en": f"the node's copy of the log: {shortfall[1]}",
        }
    as_of = view["as_of"]
    if as_of is None or (now - parse_time(as_of)).total_seconds() > max_age_s:
        return {
            **view,
            "code": "STATUS_UNKNOWN",
            "zh": "节点的账本副本过旧",
            "en": "the node's copy of the issuer's log is out of date",
        }
    return None


# -- images ------------------------------------------------------------------
def qr_from_image(data: bytes, prefixes: Sequence[str]) -> tuple[str | None, tuple[str, str]]:
    """The first QR text in a photo or scan that starts with one of `prefixes`
    (zxing-cpp), or None and why not, in Chinese and English."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        return None, ("图片文件过大", f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return None, ("图片像素过多", "the image has too many pixels")
            image = image.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        return None, ("无法读取图片", f"the image cannot be read: {exc}")
    codes = [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if c.valid]
    ours = [t for t in codes if t.startswith(tuple(prefixes))]
    if not ours:
        return None, ("图片中没有找到可信城市二维码", "no CityChain QR code was found in the image")
    return ours[0], ("", "")

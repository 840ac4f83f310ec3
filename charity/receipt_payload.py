"""What a donation receipt's QR code and its embedded proof file carry
(docs/protocol.md §12).

QR text: `TD2:` + base45(zlib(JCS(payload), dictionary) + CRC-32), framed as a
certificate's is but with its own prefix and preset dictionary. The payload
is the signed donation leaf `{"kid", "record", "sig"}`; for a donor who did
not ask to stay anonymous the `donor` commitment is replaced by
`{"s": <salt hex>, "v": <the committed person value>}`. A verifier puts the
commitment back, which gives the exact leaf the charity signed — one
signature check covers the amount, the fund, the receipt code and the name —
and its leaf hash, by which anyone can look the donation up and trace it.

Proof files: the ledger proof as a C2SP tlog-proof (`donation.tlog-proof`:
the leaf in its `extra` line, the inclusion proof, the checkpoint) and
`donation-proof.json`: the QR text, the donor disclosure (or null) and the
fund's names as the charity printed them. It carries no seed: the salt of the
one committed field is all a receipt needs, and reveals nothing else.
Receipts printed before the tlog-proof carry one JSON file
(`citychain-donation-proof/v1`) with the leaf and the proof; they are still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from citychain.documents.proof_file import read_ledger_proof
from citychain.documents.qr_text import QrFraming, QrTextError
from citychain.documents.tlog_proof import TlogProof
from citychain.errors import BilingualError
from citychain.log.canonical import canonical
from citychain.log.commitments import SALT_BYTES, commitment, salt
from citychain.log.encoding import EncodingError, b64encode
from citychain.log.merkle import DEFAULT_HASHER, Hasher
from citychain.log.records import Leaf, RecordError, parse_leaf
from citychain.log.suite import DEFAULT, Suite

from .privacy import DONOR
from .rules import DONATION

PREFIX = "TD2:"
SM_PREFIX = "TDS:"  # the same code in an SM2/SM3 city (§15)
PROOF_FORMAT = "citychain-donation-proof/v2"
PROOF_FORMAT_V1 = "citychain-donation-proof/v1"  # printed before the tlog-proof; still read
PROOF_FILENAME = "donation-proof.json"
TLOG_PROOF_FILENAME = "donation.tlog-proof"
# Never change these bytes: every printed receipt depends on them.
DICTIONARY = (
    b'"channel":"online","cash",true,"id_number":"'
    b'{"kid":"","record":{"body":{"amount_fen":00,"anonymous":false,"channel":"bank","donor":{"s":"","v":{"name":"'
    b'"}},"fund":"","receipt":"D-0000000-"},"kind":"charity.donation.received","log":"charity-federation",'
    b'"prev":"","seq":,"time":"2026-T:00:00.000Z","v":1},"sig":"'
)
FRAMING = QrFraming(PREFIX, DICTIONARY, "可信城市捐赠收据二维码", "a CityChain donation receipt", SM_PREFIX)

_SALT_RE = re.compile(r"[0-9a-f]{%d}\Z" % (2 * SALT_BYTES))
_PAYLOAD_KEYS = frozenset({"kid", "record", "sig"})
_PERSON_KEYS = (frozenset({"name"}), frozenset({"name", "id_number"}))


class PayloadError(BilingualError):
    """Not a well-formed receipt payload or proof; the verdict is MALFORMED."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("MALFORMED", message_zh, message_en)


@dataclass(frozen=True)
class Donor:
    """The disclosed donor: the committed value and its salt."""

    salt: bytes
    value: dict[str, str]  # {"name": …} or {"id_number": …, "name": …}

    def to_json(self) -> dict[str, Any]:
        return {"s": self.salt.hex(), "v": self.value}

    def commitment(self, hasher: Hasher = DEFAULT_HASHER) -> str:
        """The ledger's commitment to this donor, under the city's hash."""
        return commitment(self.salt, self.value, hasher)


def donor_from_seed(seed: bytes, value: dict[str, str], hasher: Hasher = DEFAULT_HASHER) -> Donor:
    return Donor(salt(seed, DONOR, hasher), dict(value))


def _donor(entry: Any) -> Donor:
    if (
        not isinstance(entry, dict)
        or entry.keys() != {"s", "v"}
        or not isinstance(entry["s"], str)
        or not _SALT_RE.match(entry["s"])
        or not isinstance(entry["v"], dict)
        or frozenset(entry["v"]) not in _PERSON_KEYS
        or not all(isinstance(v, str) for v in entry["v"].values())
    ):
        raise PayloadError("捐赠人信息的公开格式错误", "the donor disclosure is malformed")
    return Donor(bytes.fromhex(entry["s"]), dict(entry["v"]))


def _leaf_json(leaf: Leaf) -> dict[str, Any]:
    return {"kid": leaf.kid, "record": leaf.record.to_json(), "sig": b64encode(leaf.sig)}


# -- the QR code ----------------------------------------------------------------
def qr_payload(leaf: Leaf, donor: Donor | None) -> dict[str, Any]:
    """The payload; `donor` only for a donor who is not anonymous."""
    payload = _leaf_json(leaf)
    if donor is not None and not leaf.record.body.get("anonymous"):
        body = {**payload["record"]["body"], "donor": donor.to_json()}
        payload["record"] = {**payload["record"], "body": body}
    return payload


def encode_qr_text(payload: Any, suite: Suite = DEFAULT) -> str:
    return FRAMING.encode(payload, suite)


@dataclass(frozen=True)
class Opened:
    leaf: Leaf  # exactly as the charity signed it
    donor: Donor | None  # disclosed in the code; None for an anonymous donation


def open_qr_payload(payload: Any, hasher: Hasher = DEFAULT_HASHER) -> Opened:
    """Rebuild the signed leaf from a QR payload; the signature is the caller's to check."""
    if not isinstance(payload, dict) or payload.keys() != _PAYLOAD_KEYS or not isinstance(payload["record"], dict):
        raise PayloadError("二维码内容不是捐赠记录", "the QR payload is not a donation record")
    record = payload["record"]
    body = record.get("body")
    if record.get("kind") != DONATION or not isinstance(body, dict) or "donor" not in body:
        raise PayloadError("二维码内容不是捐赠记录", "the QR payload is not a donation record")
    donor = None
    if isinstance(body["donor"], dict):
        if body.get("anonymous") is not False:
            raise PayloadError(
                "匿名捐赠的收据不应公开捐赠人", "an anonymous donation's receipt must not disclose the donor"
            )
        donor = _donor(body["donor"])
        record = {**record, "body": {**body, "donor": donor.commitment(hasher)}}
    try:
        leaf = parse_leaf(canonical({**payload, "record": record}), hasher)
    except (RecordError, ValueError) as exc:
        raise PayloadError("二维码中的记录格式错误", f"the record in the QR code is malformed: {exc}") from None
    return Opened(leaf, donor)


def decode_qr(text: str, suite: Suite | None = DEFAULT) -> Opened:
    """QR text → opened payload; raises QrTextError or PayloadError. `suite`:
    the verifier's city's (None: either prefix, checked later)."""
    return open_qr_payload(FRAMING.decode(text, suite), (suite or FRAMING.suite_of(text)).hash)


# -- the proof files -------------------------------------------------------------
@dataclass(frozen=True)
class Proof:
    leaf: Leaf
    donor: Donor | None  # None for an anonymous donation: its receipt names nobody
    fund_name_zh: str
    fund_name_en: str
    index: int
    size: int
    path: tuple[bytes, ...]  # inclusion proof of the leaf in the tree of `size`
    checkpoint: str  # signed note, with whatever co-signatures the node held
    qr_leaf: Leaf | None = None  # the leaf the printed QR code opens (None in a file printed before v2)

    def tlog_proof(self) -> TlogProof:
        return TlogProof(self.index, self.path, self.checkpoint, self.leaf.data)

    def files(self, qr_text: str) -> dict[str, bytes]:
        """The PDF's attachments: the QR text, donor and fund, and the ledger proof."""
        value = {
            "format": PROOF_FORMAT,
            "qr": qr_text,
            "donor": self.donor.to_json() if self.donor else None,
            "fund": {
                "id": self.leaf.record.body.get("fund"),
                "name_zh": self.fund_name_zh,
                "name_en": self.fund_name_en,
            },
        }
        return {
            PROOF_FILENAME: json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode(),
            TLOG_PROOF_FILENAME: self.tlog_proof().to_text().encode(),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> Proof:
        """The proof of a PDF's attachments, of either version; raises PayloadError."""
        try:
            value = json.loads(files[PROOF_FILENAME])
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            ledger = read_ledger_proof(value, files, TLOG_PROOF_FILENAME, (PROOF_FORMAT_V1, PROOF_FORMAT))
            leaf, qr_leaf = parse_leaf(ledger.leaf), None if ledger.qr is None else decode_qr(ledger.qr, None).leaf
            proved = ledger.index, ledger.size, ledger.path, ledger.checkpoint
            fund = value["fund"]
            if not isinstance(fund, dict):
                raise ValueError("fund malformed")
            if fund.get("id") != leaf.record.body.get("fund"):
                raise ValueError("the fund named is not the donation's")
            names = fund.get("name_zh"), fund.get("name_en")
            if not all(isinstance(n, str) for n in names):
                raise ValueError("fund names malformed")
            donor = None if value["donor"] is None else _donor(value["donor"])
            return cls(leaf, donor, names[0], names[1], *proved, qr_leaf)
        except PayloadError:
            raise
        except QrTextError as exc:
            raise PayloadError("证明文件中的二维码内容无法读取", f"the proof's QR text: {exc.message_en}") from None
        except (ValueError, KeyError, TypeError, AttributeError, EncodingError, RecordError) as exc:
            raise PayloadError("证明文件格式错误", f"the embedded proof file is malformed: {exc}") from None

"""What a certificate's QR code and its embedded proof file carry (docs/protocol.md §11,
docs/protocol.md §11).

QR payload: the signed leaf `{"kid", "record", "sig"}` with each disclosed
field's commitment replaced by `{"s": <salt hex>, "v": <value>}`. A verifier
puts the commitments back, which gives the exact leaf the agency signed (and
its leaf hash), so one signature check covers every disclosed value.

Proof files: the ledger proof as a C2SP tlog-proof (the leaf in its `extra`
line, the inclusion proof, the checkpoint), and beside it the QR text, the
seed and every clear value — enough to check the certificate years later
without asking anyone. PDFs printed before the tlog-proof carry one JSON file
(`citychain-certificate-proof/v1`) with all of it; they are still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from citychain.documents.proof_file import read_ledger_proof
from citychain.documents.qr_text import QrTextError
from citychain.documents.tlog_proof import TlogProof
from citychain.errors import BilingualError
from citychain.log.canonical import canonical
from citychain.log.commitments import SALT_BYTES, SEED_BYTES, commitment, salt
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.merkle import DEFAULT_HASHER, Hasher
from citychain.log.records import Leaf, RecordError, parse_leaf

from .qr_text import FRAMING, decode_qr_text

PROOF_FORMAT = "citychain-certificate-proof/v2"
PROOF_FORMAT_V1 = "citychain-certificate-proof/v1"  # printed before the tlog-proof; still read
PROOF_FILENAME = "certificate-proof.json"
TLOG_PROOF_FILENAME = "certificate.tlog-proof"
_SALT_RE = re.compile(r"[0-9a-f]{%d}\Z" % (2 * SALT_BYTES))
_PAYLOAD_KEYS = frozenset({"kid", "record", "sig"})


class PayloadError(BilingualError):
    """Not a well-formed payload or proof; the verdict is MALFORMED."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("MALFORMED", message_zh, message_en)


@dataclass(frozen=True)
class Disclosed:
    leaf: Leaf  # exactly as the agency signed it
    values: dict[str, Any]  # the disclosed fields, as signed
    hidden: tuple[str, ...]  # fields present only as commitments


def _leaf_json(leaf: Leaf) -> dict[str, Any]:
    return {"kid": leaf.kid, "record": leaf.record.to_json(), "sig": b64encode(leaf.sig)}


def qr_payload(
    leaf: Leaf, seed: bytes, values: Mapping[str, Any], disclose: Iterable[str], hasher: Hasher = DEFAULT_HASHER
) -> dict[str, Any]:
    payload = _leaf_json(leaf)
    body = dict(payload["record"]["body"])
    commitments = dict(body["commitments"])
    for name in disclose:
        if name in commitments:
            commitments[name] = {"s": salt(seed, name, hasher).hex(), "v": values[name]}
    body["commitments"] = commitments
    payload["record"] = {**payload["record"], "body": body}
    return payload


def open_qr_payload(payload: Any, hasher: Hasher = DEFAULT_HASHER) -> Disclosed:
    """Rebuild the signed leaf from a QR payload; the signature is the caller's to check.
    `hasher`: the verifier's city's (it closes the disclosed commitments)."""
    if not isinstance(payload, dict) or payload.keys() != _PAYLOAD_KEYS or not isinstance(payload["record"], dict):
        raise PayloadError("二维码内容不是证照记录", "the QR payload is not a certificate record")
    body = payload["record"].get("body")
    commitments = body.get("commitments") if isinstance(body, dict) else None
    if not isinstance(commitments, dict):
        raise PayloadError("二维码中缺少字段承诺", "the QR payload has no field commitments")
    values: dict[str, Any] = {}
    hidden: list[str] = []
    closed: dict[str, Any] = {}
    for name, entry in commitments.items():
        if isinstance(entry, dict):
            if entry.keys() != {"s", "v"} or not isinstance(entry["s"], str) or not _SALT_RE.match(entry["s"]):
                raise PayloadError(f"栏目 {name} 的公开格式错误", f"the disclosure of {name!r} is malformed")
            values[name] = entry["v"]
            closed[name] = commitment(bytes.fromhex(entry["s"]), entry["v"], hasher)
        else:
            hidden.append(name)
            closed[name] = entry
    record = {**payload["record"], "body": {**body, "commitments": closed}}
    try:
        leaf = parse_leaf(canonical({**payload, "record": record}), hasher)
    except (RecordError, ValueError) as exc:
        raise PayloadError("二维码中的记录格式错误", f"the record in the QR code is malformed: {exc}") from None
    return Disclosed(leaf, values, tuple(sorted(hidden)))


@dataclass(frozen=True)
class Proof:
    leaf: Leaf
    seed: bytes
    values: dict[str, Any]  # every field's clear value
    index: int
    size: int
    path: tuple[bytes, ...]  # inclusion proof of the leaf in the tree of `size`
    checkpoint: str  # signed note, with whatever co-signatures the node held
    qr_leaf: Leaf | None = None  # the leaf the printed QR code opens (None in a file printed before v2)

    def tlog_proof(self) -> TlogProof:
        return TlogProof(self.index, self.path, self.checkpoint, self.leaf.data)

    def files(self, qr_text: str) -> dict[str, bytes]:
        """The PDF's attachments: the QR text, seed and clear values, and the ledger proof."""
        values = {"format": PROOF_FORMAT, "qr": qr_text, "seed": b64encode(self.seed), "values": self.values}
        return {
            PROOF_FILENAME: json.dumps(values, ensure_ascii=False, indent=1, sort_keys=True).encode(),
            TLOG_PROOF_FILENAME: self.tlog_proof().to_text().encode(),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> Proof:
        """The proof of a PDF's attachments, of either version; raises PayloadError."""
        try:
            value = json.loads(files[PROOF_FILENAME])
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            seed = b64decode(value["seed"])
            if len(seed) != SEED_BYTES or not isinstance(value["values"], dict):
                raise ValueError("seed or values malformed")
            ledger = read_ledger_proof(value, files, TLOG_PROOF_FILENAME, (PROOF_FORMAT_V1, PROOF_FORMAT))
            # the code's own prefix says its suite: a code of another suite opens to
            # another leaf, and the verifier finds it differs from the proof's
            qr_leaf = None
            if ledger.qr is not None:
                qr_leaf = open_qr_payload(decode_qr_text(ledger.qr, None), FRAMING.suite_of(ledger.qr).hash).leaf
            proved = ledger.index, ledger.size, ledger.path, ledger.checkpoint
            return cls(parse_leaf(ledger.leaf), seed, value["values"], *proved, qr_leaf)
        except PayloadError:
            raise
        except QrTextError as exc:
            raise PayloadError("证明文件中的二维码内容无法读取", f"the proof's QR text: {exc.message_en}") from None
        except (ValueError, KeyError, TypeError, AttributeError, EncodingError, RecordError) as exc:
            raise PayloadError("证明文件格式错误", f"the embedded proof file is malformed: {exc}") from None

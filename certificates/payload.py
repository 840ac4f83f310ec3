"""What a certificate's QR code and its embedded proof file carry (docs/protocol.md §11,
docs/protocol.md §11).

QR payload: the signed leaf `{"kid", "record", "sig"}` with each disclosed
field's commitment replaced by `{"s": <salt hex>, "v": <value>}`. A verifier
puts the commitments back, which gives the exact leaf the agency signed (and
its leaf hash), so one signature check covers every disclosed value.

Proof file: the leaf, the seed, every clear value, an inclusion proof and the
checkpoint it leads to — enough to check the certificate years later without
asking anyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from citychain.documents.proof_file import inclusion_json, read_inclusion
from citychain.errors import BilingualError
from citychain.log.canonical import canonical
from citychain.log.commitments import SALT_BYTES, SEED_BYTES, commitment, salt
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.records import Leaf, RecordError, parse_leaf

PROOF_FORMAT = "citychain-certificate-proof/v1"
PROOF_FILENAME = "certificate-proof.json"
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


def qr_payload(leaf: Leaf, seed: bytes, values: Mapping[str, Any], disclose: Iterable[str]) -> dict[str, Any]:
    payload = _leaf_json(leaf)
    body = dict(payload["record"]["body"])
    commitments = dict(body["commitments"])
    for name in disclose:
        if name in commitments:
            commitments[name] = {"s": salt(seed, name).hex(), "v": values[name]}
    body["commitments"] = commitments
    payload["record"] = {**payload["record"], "body": body}
    return payload


def open_qr_payload(payload: Any) -> Disclosed:
    """Rebuild the signed leaf from a QR payload; the signature is the caller's to check."""
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
            closed[name] = commitment(bytes.fromhex(entry["s"]), entry["v"])
        else:
            hidden.append(name)
            closed[name] = entry
    record = {**payload["record"], "body": {**body, "commitments": closed}}
    try:
        leaf = parse_leaf(canonical({**payload, "record": record}))
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

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": PROOF_FORMAT,
                "leaf": b64encode(self.leaf.data),
                "seed": b64encode(self.seed),
                "values": self.values,
                "inclusion": inclusion_json(self.index, self.size, self.path),
                "checkpoint": self.checkpoint,
            },
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Proof:
        try:
            value = json.loads(data)
            if value.get("format") != PROOF_FORMAT:
                raise ValueError(f"format is not {PROOF_FORMAT}")
            seed = b64decode(value["seed"])
            if len(seed) != SEED_BYTES or not isinstance(value["values"], dict):
                raise ValueError("seed or values malformed")
            return cls(parse_leaf(b64decode(value["leaf"])), seed, value["values"], *read_inclusion(value))
        except (ValueError, KeyError, TypeError, AttributeError, EncodingError, RecordError) as exc:
            raise PayloadError("证明文件格式错误", f"the embedded proof file is malformed: {exc}") from None

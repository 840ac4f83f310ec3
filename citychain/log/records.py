"""Records and leaves: the exact bytes every agency signs and stores (docs/protocol.md §2).

A record is what an agency says; a leaf is the record with the agency's key id
and signature, canonicalised; the leaf's RFC 9162 hash chains the next record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from citychain.clock import parse_time
from citychain.errors import CodedError
from citychain.log import merkle
from citychain.log.canonical import CanonicalError, canonical, parse_canonical
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.keys import Signer, verify

RECORD_DOMAIN = b"citychain/record/v1\n"
GENESIS_PREV = "0" * 64
MAX_LEAF_BYTES = 64 * 1024

ID_RE = re.compile(r"[a-z][a-z0-9-]{1,47}\Z")
KIND_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")
_KID_RE = re.compile(r"[0-9a-f]{16}\Z")
_RECORD_KEYS = frozenset({"v", "log", "seq", "prev", "time", "kind", "body"})
_LEAF_KEYS = frozenset({"record", "kid", "sig"})


class RecordError(CodedError):
    """A leaf or record that breaks the format."""


@dataclass(frozen=True)
class Record:
    log: str
    seq: int
    prev: str
    time: str
    kind: str
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "log": self.log,
            "seq": self.seq,
            "prev": self.prev,
            "time": self.time,
            "kind": self.kind,
            "body": self.body,
        }


@dataclass(frozen=True)
class Leaf:
    record: Record
    kid: str
    sig: bytes
    data: bytes  # the canonical leaf bytes, as stored and served
    hash: bytes  # RFC 9162 leaf hash of `data`

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()

    @property
    def record_bytes(self) -> bytes:
        """JCS(record), sliced from the canonical leaf: `{"kid":"<16>","record":`
        is 35 bytes and `,"sig":"<88>"}` is 98, so nothing is re-serialised."""
        return self.data[35:-98]


def signing_message(record_bytes: bytes) -> bytes:
    return RECORD_DOMAIN + record_bytes


def make_leaf(record: Record, signer: Signer) -> Leaf:
    """Sign and canonicalise; the body is validated, the envelope is ours."""
    record_bytes = canonical(record.to_json())
    if len(record_bytes) > MAX_LEAF_BYTES - 200:
        raise RecordError("too_large", f"record is {len(record_bytes)} bytes; the limit is {MAX_LEAF_BYTES - 200}")
    sig = signer.sign(signing_message(record_bytes))
    # JCS of {"kid","record","sig"}: keys already in order and the record bytes
    # are canonical, so joining avoids serialising the record a second time.
    data = b'{"kid":"%s","record":%s,"sig":"%s"}' % (
        signer.kid.encode(),
        record_bytes,
        b64encode(sig).encode(),
    )
    return Leaf(record, signer.kid, sig, data, merkle.leaf_hash(data, signer.suite.hash))


def parse_leaf(data: bytes, hasher: merkle.Hasher = merkle.DEFAULT_HASHER) -> Leaf:
    """Strictly parse untrusted leaf bytes; signature checks are the caller's.
    `hasher` is the city's tree hash (SM3 in an SM2/SM3 city)."""
    if len(data) > MAX_LEAF_BYTES:
        raise RecordError("too_large", f"leaf is {len(data)} bytes; the limit is {MAX_LEAF_BYTES}")
    try:
        value = parse_canonical(data)
    except CanonicalError as exc:
        raise RecordError("not_canonical", f"leaf is not canonical JSON: {exc}") from exc
    if not isinstance(value, dict) or value.keys() != _LEAF_KEYS:
        raise RecordError("bad_leaf", "a leaf must hold exactly record, kid and sig")
    kid, sig_text = value["kid"], value["sig"]
    if not isinstance(kid, str) or not _KID_RE.match(kid):
        raise RecordError("bad_kid", f"kid must be 16 lowercase hex digits, got {kid!r}")
    try:
        sig = b64decode(sig_text) if isinstance(sig_text, str) else b""
    except EncodingError as exc:
        raise RecordError("bad_sig", f"sig is not base64: {exc}") from exc
    if len(sig) != 64:
        raise RecordError("bad_sig", "sig must be a 64-byte signature (Ed25519, or SM2 r‖s)")
    record = record_from_json(value["record"])
    return Leaf(record, kid, sig, data, merkle.leaf_hash(data, hasher))


def record_from_json(value: Any) -> Record:
    if not isinstance(value, dict) or value.keys() != _RECORD_KEYS:
        raise RecordError("bad_record", f"a record must hold exactly {sorted(_RECORD_KEYS)}")
    if value["v"] != 1 or isinstance(value["v"], bool):
        raise RecordError("bad_version", f"unsupported record version {value['v']!r}")
    log, seq, prev, time, kind, body = (value[k] for k in ("log", "seq", "prev", "time", "kind", "body"))
    if not isinstance(log, str) or not ID_RE.match(log):
        raise RecordError("bad_log", f"log must be an agency id, got {log!r}")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise RecordError("bad_seq", f"seq must be a non-negative integer, got {seq!r}")
    if not isinstance(prev, str) or not _HEX64_RE.match(prev):
        raise RecordError("bad_prev", "prev must be 64 lowercase hex digits")
    try:
        parse_time(time)
    except ValueError as exc:
        raise RecordError("bad_time", str(exc)) from exc
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise RecordError("bad_kind", f"kind must look like 'area.event', got {kind!r}")
    if not isinstance(body, dict):
        raise RecordError("bad_body", "body must be a JSON object")
    return Record(log, seq, prev, time, kind, body)


def verify_leaf_signature(leaf: Leaf, public_key) -> bool:
    """Check the signature over the canonical record bytes."""
    return verify(public_key, leaf.sig, signing_message(leaf.record_bytes))


def check_chain(leaf: Leaf, log: str, seq: int, prev_hash: bytes | None) -> None:
    """The leaf must be the next one of `log`: right log, seq and prev link."""
    record = leaf.record
    if record.log != log:
        raise RecordError("wrong_log", f"record belongs to log {record.log!r}, expected {log!r}")
    if record.seq != seq:
        raise RecordError("wrong_seq", f"record has seq {record.seq}, expected {seq}")
    expected = GENESIS_PREV if prev_hash is None else prev_hash.hex()
    if record.prev != expected:
        raise RecordError("wrong_prev", f"record {seq}: prev does not match the hash of leaf {seq - 1}")

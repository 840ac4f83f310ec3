"""Signed tree heads: C2SP tlog-checkpoint notes and tlog-cosignature/v1 co-signatures.

A checkpoint is the text of a signed note (https://c2sp.org/tlog-checkpoint):

    <origin>\\n                     citychain/<city id>/<agency id>
    <tree size>\\n                  decimal, no leading zeros
    <base64 root hash>\\n           the 32-byte RFC 9162 root at that size
    [<extension line>\\n ...]       opaque; we write none, but keep and sign any

The log signs it with an Ed25519 note signature (type 0x01) whose key name is
the origin. A witness that has checked the log's consistency appends a
co-signature line (https://c2sp.org/tlog-cosignature, type 0x04) under its own
name: base64(key ID ‖ uint64 big-endian time ‖ Ed25519 signature) over

    "cosignature/v1\\n" "time <unix seconds>\\n" <checkpoint body>

so anyone holding the witness's key can see that, at that time, the witness saw
this tree head and no conflicting one.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from citychain.errors import CodedError
from citychain.log.note import (
    ED25519_SIGNATURE_SIZE,
    AmbiguousKey,
    InvalidNoteSignature,
    MalformedNote,
    Note,
    NoteSignature,
    UnverifiedNote,
    Verifier,
    check_key_name,
    decode_b64,
    encode_b64,
    format_note,
    key_id,
    open_note,
    parse_note,
    public_key_bytes,
    sign_note,
)
from citychain.log.suite import key_suite

ROOT_HASH_SIZE = 32
MAX_TREE_SIZE = (1 << 63) - 1
MAX_TIMESTAMP = (1 << 63) - 1  # tlog-cosignature: the time MUST NOT exceed 2^63 - 1
MAX_FUTURE_SECONDS = 3600  # a witness clock may run ahead, but not by more than an hour
COSIGNATURE_HEADER = "cosignature/v1\n"
_TIMESTAMP = struct.Struct(">Q")
COSIGNATURE_PAYLOAD_SIZE = _TIMESTAMP.size + ED25519_SIGNATURE_SIZE
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}")  # ASCII digits only; 19 digits cover 2^63 - 1


class CheckpointError(CodedError):
    """A checkpoint or co-signature that must not be trusted; the message
    (English, for operators) says why."""

    code = "BAD_CHECKPOINT"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


class MalformedCheckpoint(CheckpointError):
    pass


class BadSignature(CheckpointError):
    """A signature line of the expected key that does not verify."""


class UnknownKey(CheckpointError):
    """No signature line by the expected key (name and key ID)."""


class WrongOrigin(CheckpointError):
    """A validly signed checkpoint of another log."""


class FutureCosignature(CheckpointError):
    pass


def _check_line(what: str, line: str) -> None:
    if not isinstance(line, str) or not line:
        raise MalformedCheckpoint(f"the {what} line must be non-empty text")
    bad = next((c for c in line if c < " "), None)
    if bad is not None:
        raise MalformedCheckpoint(f"the {what} line holds control character {bad!r}")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size, its root hash, and any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if type(self.size) is not int or not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpoint(f"tree size {self.size!r} is not an integer from 0 to 2^63 - 1")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_HASH_SIZE:
            raise MalformedCheckpoint(f"a root hash is {ROOT_HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in self.extensions:
            _check_line("extension", line)

    def body(self) -> str:
        """The note text: what the log signs and what witnesses co-sign."""
        lines = (self.origin, str(self.size), encode_b64(self.root), *self.extensions)
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose log signature has been verified, with the note it came in."""

    checkpoint: Checkpoint
    note: Note
    note_text: str
    log_signatures: tuple[NoteSignature, ...]


def _parse_size(text: str) -> int:
    if not _SIZE_RE.fullmatch(text) or int(text) > MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"tree size {text[:30]!r} is not a decimal from 0 to 2^63 - 1 without leading zeros")
    return int(text)


def _parse_root(text: str) -> bytes:
    try:
        root = decode_b64(text)
    except MalformedNote as exc:
        raise MalformedCheckpoint(f"root hash: {exc}") from exc
    if len(root) != ROOT_HASH_SIZE:
        raise MalformedCheckpoint(f"root hash is {len(root)} bytes, not {ROOT_HASH_SIZE}")
    return root


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body strictly; `parse_checkpoint(cp.body()) == cp`."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint body ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint("a checkpoint has an origin, a tree size and a root hash line")
    origin, size, root, *extensions = lines
    if not origin:
        raise MalformedCheckpoint("the origin line is empty")
    return Checkpoint(origin, _parse_size(size), _parse_root(root), tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The signed note text; the log's key name is its origin."""
    try:
        signature = sign_note(checkpoint.body(), checkpoint.origin, private_key)
    except MalformedNote as exc:
        raise MalformedCheckpoint(f"origin {checkpoint.origin!r} cannot be a key name: {exc}") from exc
    return format_note(Note(checkpoint.body(), (signature,)))


def open_checkpoint(note_text: str | bytes, origin: str, keys: Sequence[Ed25519PublicKey | bytes]) -> SignedCheckpoint:
    """Verify a signed checkpoint of the log `origin` against its possible keys.

    At least one signature line by one of `keys` under the name `origin` must
    verify (a log may have rotated keys; the caller passes all it accepts), and
    none of those lines may fail. Lines by any other key are ignored here; see
    `cosigners` for witnesses.
    """
    try:
        check_key_name(origin)
    except MalformedNote as exc:
        raise MalformedCheckpoint(f"origin {origin!r} cannot be a key name: {exc}") from exc
    verifiers = [Verifier.for_key(origin, key) for key in keys]
    try:
        note, good = open_note(note_text, verifiers)
    except MalformedNote as exc:
        raise MalformedCheckpoint(f"not a signed note: {exc}") from exc
    except (InvalidNoteSignature, AmbiguousKey) as exc:
        raise BadSignature(f"log signature of {origin}: {exc}") from exc
    except UnverifiedNote as exc:
        raise UnknownKey(f"no signature by a key of the log {origin}") from exc
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != origin:
        raise WrongOrigin(f"checkpoint is of the log {checkpoint.origin!r}, not {origin!r}")
    text = note_text if isinstance(note_text, str) else note_text.decode("utf-8")
    return SignedCheckpoint(checkpoint, note, text, good)


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: a header, the time, then the whole body."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint.body()}".encode()


def _check_timestamp(timestamp: int) -> None:
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp!r} is not an integer from 0 to 2^63 - 1")


def cosign(checkpoint: Checkpoint, witness_name: str, private_key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """A witness's co-signature of `checkpoint` at `timestamp` (POSIX seconds)."""
    check_key_name(witness_name)
    _check_timestamp(timestamp)
    signature = private_key.sign(cosignature_message(checkpoint, timestamp))
    kid = cosignature_key_id(witness_name, private_key.public_key())
    return NoteSignature(witness_name, kid, _TIMESTAMP.pack(timestamp) + signature)


def cosignature_key_id(witness_name: str, public_key) -> bytes:
    """The key ID of a witness's co-signature lines: type 0x04 (cosignature/v1)
    for an Ed25519 key, the SM2 co-signature type for an SM2 key."""
    raw = public_key_bytes(public_key)
    return key_id(witness_name, key_suite(raw).cosignature_type, raw)


def verify_cosignature(
    checkpoint: Checkpoint,
    sig: NoteSignature,
    witness_name: str,
    public_key: Ed25519PublicKey | bytes,
    now: int,
    max_future: int = MAX_FUTURE_SECONDS,
) -> int:
    """The co-signature's time, if it is this witness's, verifies, and is not too far ahead of `now`."""
    raw_key = public_key_bytes(public_key)
    expected_id = cosignature_key_id(witness_name, raw_key)
    if sig.name != witness_name or sig.key_id != expected_id:
        raise UnknownKey(f"not a cosignature/v1 line of {witness_name}+{expected_id.hex()}")
    if len(sig.payload) != COSIGNATURE_PAYLOAD_SIZE:
        raise BadSignature(f"co-signature by {witness_name} is {len(sig.payload)} bytes, not 8 + 64")
    (timestamp,) = _TIMESTAMP.unpack(sig.payload[: _TIMESTAMP.size])
    if timestamp > MAX_TIMESTAMP:
        raise BadSignature(f"co-signature by {witness_name} has a time beyond 2^63 - 1")
    try:
        key_suite(raw_key).public_key(raw_key).verify(
            sig.payload[_TIMESTAMP.size :], cosignature_message(checkpoint, timestamp)
        )
    except (InvalidSignature, ValueError):
        raise BadSignature(f"co-signature by {witness_name} does not verify") from None
    if timestamp - now > max_future:
        raise FutureCosignature(
            f"co-signature by {witness_name} is dated {timestamp - now} s ahead of now (at most {max_future} s allowed)"
        )
    return timestamp


def add_cosignatures(note_text: str | bytes, signatures: Sequence[NoteSignature]) -> str:
    """Append co-signature lines to a signed checkpoint, keeping existing lines first.

    A line by a key (name and key ID) the note already holds is dropped: the
    first co-signature of a witness stays. Nothing is verified here.
    """
    try:
        note = parse_note(note_text)
    except MalformedNote as exc:
        raise MalformedCheckpoint(f"not a signed note: {exc}") from exc
    parse_checkpoint(note.text)
    have = {(s.name, s.key_id) for s in note.signatures}
    extra = []
    for sig in signatures:
        if (sig.name, sig.key_id) not in have:
            have.add((sig.name, sig.key_id))
            extra.append(sig)
    try:
        return format_note(Note(note.text, note.signatures + tuple(extra)))
    except MalformedNote as exc:
        raise MalformedCheckpoint(str(exc)) from exc


def cosigners(
    signed: SignedCheckpoint,
    witnesses: Mapping[str, Ed25519PublicKey | bytes],
    now: int,
    max_future: int = MAX_FUTURE_SECONDS,
) -> dict[str, int]:
    """The witnesses (by name) with a valid co-signature on this checkpoint, and its time.

    Lines that fail (a bad signature, a time too far ahead) count for nothing
    rather than voiding the checkpoint: its log signature already holds, and
    anyone relaying it could add junk lines as easily as strip good ones.
    """
    found: dict[str, int] = {}
    for sig in signed.note.signatures:
        key = witnesses.get(sig.name)
        if key is None or sig.key_id != cosignature_key_id(sig.name, key):
            continue
        try:
            found[sig.name] = verify_cosignature(signed.checkpoint, sig, sig.name, key, now, max_future)
        except (BadSignature, FutureCosignature):
            continue
    return found

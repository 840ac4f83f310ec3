"""C2SP tlog-checkpoint in a signed note, and C2SP tlog-cosignature/v1.

A checkpoint body is: origin, decimal tree size, base64 root hash, then any
extension lines. The log signs it with its Ed25519 key named by the origin.
A witness co-signs "cosignature/v1\\ntime <unix seconds>\\n" + the body, and
its signature line carries key ID ‖ big-endian uint64 time ‖ signature.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import EncodingError, b64decode, b64encode
from .keys import verify
from .note import COSIGNATURE_V1, Note, NoteError, NoteSignature, key_id, parse_note, sign_ed25519, verify_ed25519

MAX_FUTURE_SECONDS = 3600
_SIZE_RE = re.compile(r"(0|[1-9][0-9]{0,19})\Z")


class CheckpointError(ValueError):
    pass


class MalformedCheckpoint(CheckpointError):
    pass


class BadSignature(CheckpointError):
    pass


class FutureCosignature(CheckpointError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: Note

    def text(self) -> str:
        return self.note.format()


def parse_checkpoint(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint body ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise MalformedCheckpoint("the origin line is empty")
    if not _SIZE_RE.match(size_text) or int(size_text) >= 1 << 63:
        raise MalformedCheckpoint(f"tree size {size_text!r} is not a decimal number without leading zeros")
    try:
        root = b64decode(root_text)
    except EncodingError as exc:
        raise MalformedCheckpoint(f"root hash is not base64: {exc}") from exc
    if len(root) != 32:
        raise MalformedCheckpoint("root hash must be 32 bytes")
    if any(not line for line in extensions):
        raise MalformedCheckpoint("extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The signed note text; the log's key name is the origin."""
    sig = sign_ed25519(checkpoint.body(), checkpoint.origin, private_key)
    return Note(checkpoint.body(), (sig,)).format()


def open_checkpoint(note_text: str, origin: str, keys: Sequence[Ed25519PublicKey]) -> SignedCheckpoint:
    """Parse and require a valid log signature by one of `keys` under `origin`."""
    try:
        note = parse_note(note_text)
    except NoteError as exc:
        raise MalformedCheckpoint(str(exc)) from exc
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != origin:
        raise MalformedCheckpoint(f"checkpoint is for {checkpoint.origin!r}, expected {origin!r}")
    if not any(verify_ed25519(note.text, sig, origin, key) for sig in note.signatures for key in keys):
        raise BadSignature(f"no valid signature by the log {origin}")
    return SignedCheckpoint(checkpoint, note)


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint.body()}".encode()


def cosign(checkpoint: Checkpoint, witness_name: str, private_key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    signature = private_key.sign(cosignature_message(checkpoint, timestamp))
    kid = key_id(witness_name, COSIGNATURE_V1, private_key.public_key())
    return NoteSignature(witness_name, kid, struct.pack(">Q", timestamp) + signature)


def verify_cosignature(
    checkpoint: Checkpoint, sig: NoteSignature, witness_name: str, public_key: Ed25519PublicKey,
    now: int, max_future: int = MAX_FUTURE_SECONDS,
) -> int:
    """The co-signature's time, if it is this witness's, valid, and not from the future."""
    if sig.name != witness_name or sig.key_id != key_id(witness_name, COSIGNATURE_V1, public_key):
        raise BadSignature(f"not a co-signature by {witness_name}")
    if len(sig.payload) != 72:
        raise BadSignature("a cosignature/v1 carries 8 bytes of time and a 64-byte signature")
    (timestamp,) = struct.unpack(">Q", sig.payload[:8])
    if not verify(public_key, sig.payload[8:], cosignature_message(checkpoint, timestamp)):
        raise BadSignature(f"co-signature by {witness_name} does not verify")
    if timestamp > now + max_future:
        raise FutureCosignature(f"co-signature by {witness_name} is dated {timestamp - now} s in the future")
    return timestamp


def add_cosignatures(note_text: str, signatures: Sequence[NoteSignature]) -> str:
    """Append co-signature lines, keeping the log's first and skipping repeats."""
    note = parse_note(note_text)
    have = {(s.name, s.key_id) for s in note.signatures}
    extra = tuple(s for s in signatures if (s.name, s.key_id) not in have)
    return Note(note.text, note.signatures + extra).format()


def cosigners(
    signed: SignedCheckpoint, witnesses: Mapping[str, Ed25519PublicKey], now: int
) -> dict[str, int]:
    """Names of the known witnesses whose co-signatures hold, with their times."""
    found: dict[str, int] = {}
    for sig in signed.note.signatures:
        key = witnesses.get(sig.name)
        if key is None or sig.name in found:
            continue
        try:
            found[sig.name] = verify_cosignature(signed.checkpoint, sig, sig.name, key, now)
        except CheckpointError:
            continue
    return found

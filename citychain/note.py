"""C2SP signed-note: text, a blank line, then one signature line per signer.

    <text ending in \\n>
    \\n
    — <key name> base64(key ID (4 bytes) ‖ signature payload)\\n

The key ID is SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], so a verifier can
match lines to the keys it knows; lines from unknown keys are ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import EncodingError, b64decode, b64encode
from .keys import public_bytes, verify

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014 "
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 16


class NoteError(ValueError):
    pass


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes  # 4 bytes
    payload: bytes  # what follows the key ID: the signature (and, for cosignatures, the time)

    def line(self) -> str:
        return f"{DASH}{self.name} {b64encode(self.key_id + self.payload)}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def format(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def key_id(name: str, sig_type: int, public_key: Ed25519PublicKey) -> bytes:
    data = name.encode() + b"\n" + bytes([sig_type]) + public_bytes(public_key)
    return hashlib.sha256(data).digest()[:4]


def check_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(DASH):
        raise NoteError("a signature line must start with an em dash and a space")
    parts = line[len(DASH):].split(" ")
    if len(parts) != 2:
        raise NoteError("a signature line is '— <name> <base64>'")
    name, blob = parts
    check_key_name(name)
    try:
        raw = b64decode(blob)
    except EncodingError as exc:
        raise NoteError(f"signature of {name!r} is not base64: {exc}") from exc
    if len(raw) < 5:
        raise NoteError(f"signature of {name!r} is too short")
    return NoteSignature(name, raw[:4], raw[4:])


def parse_note(data: bytes | str) -> Note:
    """Strict: UTF-8, no carriage returns or other controls, at least one signature."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise NoteError("note is too large")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not UTF-8") from None
    if len(data.encode()) > MAX_NOTE_BYTES:
        raise NoteError("note is too large")
    if any(c < " " and c != "\n" for c in data) or "\x7f" in data:
        raise NoteError("note holds control characters")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n"):
        raise NoteError("note must be text, a blank line, then signature lines, each ending in a newline")
    text, sig_block = data[: split + 1], data[split + 2 :]
    lines = sig_block[:-1].split("\n") if sig_block else []
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("note has too many signatures")
    signatures = tuple(_parse_signature(line) for line in lines)
    seen = set()
    for sig in signatures:
        if (sig.name, sig.key_id) in seen:
            raise NoteError(f"note has two signatures by {sig.name}")
        seen.add((sig.name, sig.key_id))
    return Note(text, signatures)


def sign_ed25519(text: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    check_key_name(name)
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    kid = key_id(name, ED25519, private_key.public_key())
    return NoteSignature(name, kid, private_key.sign(text.encode()))


def verify_ed25519(text: str, sig: NoteSignature, name: str, public_key: Ed25519PublicKey) -> bool:
    """True only for a signature line of this exact key over this text."""
    return (
        sig.name == name
        and sig.key_id == key_id(name, ED25519, public_key)
        and len(sig.payload) == 64
        and verify(public_key, sig.payload, text.encode())
    )

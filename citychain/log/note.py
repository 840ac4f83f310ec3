"""C2SP signed-note (https://c2sp.org/signed-note): text signed by named keys.

    <text: UTF-8 lines, each ending in \\n>
    \\n
    — <key name> base64(key ID (4 bytes) ‖ signature)\\n      (one or more)

The key ID is H(name ‖ 0x0A ‖ signature type ‖ public key)[:4], H being the
hash of the key's suite (SHA-256; SM3 for an SM2 key, whose type is 0xff and a
longer identifier, see citychain.log.suite); a
verifier matches lines to the keys it knows by (name, key ID) and ignores the
rest, so a note can carry signatures by keys other parties know (old log keys,
witnesses). Parsing here is strict: the same bytes must mean the same thing to
every agency, so anything the spec leaves ambiguous is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from citychain.errors import CodedError
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.suite import SuiteProblem, key_suite, raw_public

ED25519 = 0x01  # signature type of a plain Ed25519 note signature
COSIGNATURE_V1 = 0x04  # signature type of a C2SP tlog-cosignature/v1 (Ed25519, timestamped)
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
KEY_ID_SIZE = 4
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
SIGNATURE_SIZE = 64  # Ed25519, and SM2's raw r‖s alike
# The spec asks verifiers to accept at least 16 signatures (post-quantum ones up
# to ~5 kB each); Go's x/mod/sumdb/note refuses more than 100.
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls below U+0020 except newline


class NoteError(CodedError):
    """A note that must not be trusted; the message (English, for operators) says why."""

    code = "BAD_NOTE"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


class MalformedNote(NoteError):
    """The bytes are not a well-formed signed note (or a part of one)."""


class DuplicateSignature(MalformedNote):
    """Two signature lines by the same key (name and key ID)."""


class TooManySignatures(MalformedNote):
    pass


class InvalidNoteSignature(NoteError):
    """A signature line of a key we know does not verify."""


class UnverifiedNote(NoteError):
    """No signature line by any of the keys we trust."""


class AmbiguousKey(NoteError):
    """Two different trusted keys share a name and key ID; which one signed is unknowable."""


encode_b64 = b64encode


def decode_b64(text: str) -> bytes:
    """encoding.b64decode (one canonical spelling only), failing as MalformedNote."""
    try:
        return b64decode(text)
    except EncodingError as exc:
        raise MalformedNote(f"{exc}: {text[:40]!r}") from exc


def check_key_name(name: str) -> None:
    """Key names are non-empty, without Unicode spaces or '+' (signed-note §Format).

    A space would end the name inside a signature line; '+' separates the
    fields of a verifier key.
    """
    if not name:
        raise MalformedNote("a key name must not be empty")
    _check_characters(name)
    for char in name:
        if char.isspace() or char == "+":
            raise MalformedNote(f"key name {name!r} holds {char!r}; spaces and '+' are not allowed")


def check_text(text: str) -> None:
    """Note text is UTF-8 without control characters other than newline, ending in a newline."""
    _check_characters(text)
    if not text.endswith("\n"):
        raise MalformedNote("note text must end with a newline")


def _check_characters(data: str) -> None:
    try:
        data.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedNote("note is not valid UTF-8 (lone surrogate)") from exc
    bad = _CONTROL_RE.search(data)
    if bad:
        raise MalformedNote(f"note holds control character {bad.group()!r} at {bad.start()}; only newline is allowed")


def public_key_bytes(public_key) -> bytes:
    """The raw encoding key IDs and verifier keys use: 32 bytes (RFC 8032) or a 65-byte SM2 point."""
    raw = raw_public(public_key)
    try:
        key_suite(raw)
    except SuiteProblem:
        raise ValueError(f"an Ed25519 public key is 32 bytes (an SM2 one 65), not {len(raw)}") from None
    return raw


def _type_bytes(sig_type: int | bytes) -> bytes:
    if isinstance(sig_type, bytes):
        if not sig_type or (len(sig_type) > 1 and sig_type[0] != 0xFF):
            raise ValueError("a signature type of several bytes starts with 0xff")
        return sig_type
    if not 0 <= sig_type <= 0xFF:
        raise ValueError(f"signature type {sig_type} is not a byte")
    return bytes([sig_type])


def key_id(name: str, sig_type: int | bytes, public_key) -> bytes:
    """H(name ‖ 0x0A ‖ signature type ‖ public key)[:4] (signed-note §Signatures), H the key's suite hash."""
    check_key_name(name)
    raw = public_key_bytes(public_key)
    data = name.encode("utf-8") + b"\n" + _type_bytes(sig_type) + raw
    return key_suite(raw).digest(data)[:KEY_ID_SIZE]


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: who signed (name, key ID) and the bytes after the key ID."""

    name: str
    key_id: bytes
    payload: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.key_id) != KEY_ID_SIZE:
            raise MalformedNote(f"a key ID is 4 bytes, not {len(self.key_id)}")
        if not self.payload:
            raise MalformedNote(f"signature by {self.name} is empty")

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {encode_b64(self.key_id + self.payload)}\n"


@dataclass(frozen=True)
class Note:
    """Signed-note text (with its final newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class Verifier:
    """A key we trust to sign notes under `name`, with signatures of `sig_type`."""

    name: str
    public_key: bytes  # 32-byte Ed25519 key, or a 65-byte SM2 point
    sig_type: int | bytes = ED25519

    def __post_init__(self) -> None:
        check_key_name(self.name)
        public_key_bytes(self.public_key)

    @classmethod
    def ed25519(cls, name: str, public_key: Ed25519PublicKey | bytes) -> Verifier:
        return cls(name, public_key_bytes(public_key), ED25519)

    @classmethod
    def for_key(cls, name: str, public_key) -> Verifier:
        """A note-signing key of either suite, with its suite's note signature type."""
        raw = public_key_bytes(public_key)
        return cls(name, raw, key_suite(raw).note_type)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    def matches(self, sig: NoteSignature) -> bool:
        """Whether `sig` claims to be by this key (the spec's (name, key ID) match)."""
        return sig.name == self.name and sig.key_id == self.key_id


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, space, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not blob:
        raise MalformedNote(f"signature line {line[:40]!r} is not '— <name> <base64>'")
    check_key_name(name)
    raw = decode_b64(blob)
    if len(raw) <= KEY_ID_SIZE:
        raise MalformedNote(f"signature by {name} is {len(raw)} bytes; a key ID and a signature are needed")
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def _reject_duplicates(signatures: Iterable[NoteSignature]) -> None:
    seen: set[tuple[str, bytes]] = set()
    for sig in signatures:
        who = (sig.name, sig.key_id)
        if who in seen:
            raise DuplicateSignature(f"two signatures by {sig.name}+{sig.key_id.hex()}")
        seen.add(who)


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signature lines, checking syntax only.

    The text ends at the last blank line. Nothing is verified here: the text
    must not be acted on until `open_note` (or a caller) has checked a
    signature by a trusted key.
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedNote("note is not valid UTF-8 (lone surrogate)") from exc
    if len(data) > MAX_NOTE_BYTES:
        raise MalformedNote(f"note is larger than {MAX_NOTE_BYTES} bytes")
    try:
        data = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedNote(f"note is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    _check_characters(data)
    split = data.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line between its text and its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block:
        raise MalformedNote("note has no signature lines")
    if not block.endswith("\n"):
        raise MalformedNote("the last signature line must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise TooManySignatures(f"note has {len(lines)} signature lines; at most {MAX_SIGNATURES} are read")
    signatures = tuple(_parse_signature_line(line) for line in lines)
    _reject_duplicates(signatures)
    return Note(text, signatures)


def format_note(note: Note) -> str:
    """The wire form; `parse_note(format_note(n)) == n` for any valid note."""
    check_text(note.text)
    if not note.signatures:
        raise MalformedNote("a signed note needs at least one signature")
    if len(note.signatures) > MAX_SIGNATURES:
        raise TooManySignatures(f"a note carries at most {MAX_SIGNATURES} signatures")
    _reject_duplicates(note.signatures)
    return note.text + "\n" + "".join(sig.line() for sig in note.signatures)


def sign_note(text: str, name: str, private_key) -> NoteSignature:
    """A signature of the key's suite over the note text (including its final
    newline): type 0x01 for Ed25519, the SM2 note type for an SM2 key."""
    check_text(text)
    public = private_key.public_key()
    kid = key_id(name, key_suite(raw_public(public)).note_type, public)
    return NoteSignature(name, kid, private_key.sign(text.encode("utf-8")))


def sign_ed25519(text: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    """A type 0x01 signature over the note text (including its final newline)."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError("sign_ed25519 takes an Ed25519 key; sign_note takes either suite's")
    return sign_note(text, name, private_key)


def verify_note_signature(text: str, sig: NoteSignature, name: str, public_key, sig_type: int | bytes) -> bool:
    """True only if `sig` is a line of `sig_type` by exactly this key over exactly this text."""
    raw = public_key_bytes(public_key)
    if sig.name != name or sig.key_id != key_id(name, sig_type, raw):
        return False
    if len(sig.payload) != SIGNATURE_SIZE:
        return False
    try:
        key_suite(raw).public_key(raw).verify(sig.payload, text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_ed25519(text: str, sig: NoteSignature, name: str, public_key: Ed25519PublicKey | bytes) -> bool:
    """True only if `sig` is a type 0x01 line by exactly this key over exactly this text."""
    raw = public_key_bytes(public_key)
    return len(raw) == ED25519_PUBLIC_KEY_SIZE and verify_note_signature(text, sig, name, raw, ED25519)


def _verifier_for(sig: NoteSignature, verifiers: Sequence[Verifier]) -> Verifier | None:
    found = {v for v in verifiers if v.matches(sig)}
    if len(found) > 1:
        raise AmbiguousKey(f"several trusted keys are named {sig.name}+{sig.key_id.hex()}")
    return found.pop() if found else None


def verified_signatures(note: Note, verifiers: Sequence[Verifier]) -> tuple[NoteSignature, ...]:
    """The note's signatures by `verifiers` (each a plain note key of its suite), all of which must verify.

    Lines by unknown keys (a different name or key ID) are skipped, as the spec
    requires. A line by a known key that fails to verify rejects the whole
    note (the spec's SHOULD): someone altered the text or the signature.
    """
    if any(_type_bytes(v.sig_type) != key_suite(v.public_key).note_type for v in verifiers):
        raise ValueError("only plain note signatures (Ed25519 type 0x01, or the SM2 note type) are handled here")
    good = []
    for sig in note.signatures:
        verifier = _verifier_for(sig, verifiers)
        if verifier is None:
            continue
        if not verify_note_signature(note.text, sig, verifier.name, verifier.public_key, verifier.sig_type):
            raise InvalidNoteSignature(f"signature by {sig.name}+{sig.key_id.hex()} does not verify")
        good.append(sig)
    return tuple(good)


def open_note(data: bytes | str, verifiers: Sequence[Verifier]) -> tuple[Note, tuple[NoteSignature, ...]]:
    """Parse a note and require at least one valid signature by a trusted key.

    Returns the note and the signatures that verified.
    """
    note = parse_note(data)
    good = verified_signatures(note, verifiers)
    if not good:
        names = ", ".join(sorted({f"{v.name}+{v.key_id.hex()}" for v in verifiers})) or "none"
        raise UnverifiedNote(f"note has no signature by a trusted key (trusted: {names})")
    return note, good

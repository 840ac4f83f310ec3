"""Binary in text, strictly: padded standard base64 (RFC 4648 §4) and lowercase hex.

Every byte string has exactly one accepted spelling, so text that carries a
key, hash or signature can be compared, hashed and signed as text. Decoders
refuse anything else (URL-safe letters, missing padding, whitespace, stray
bits, uppercase hex) with EncodingError, which is a ValueError. Non-text input
is refused the same way, since it usually comes straight from parsed JSON.
"""

from __future__ import annotations

import base64
import binascii
import re

from citychain.errors import CodedError

_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")


class EncodingError(CodedError):
    """Text that is not the one canonical base64 or hex spelling of some bytes."""

    code = "BAD_ENCODING"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


def b64encode(data: bytes) -> str:
    """Standard alphabet, padded: the only spelling `b64decode` accepts."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode base64 given in its one canonical spelling, or raise EncodingError.

    Whatever decodes and encodes back to exactly `text` is that spelling, so
    the round trip is the whole check (a peer's page holds a thousand 1.7 KB
    entries: a pattern match over each cost five times the decoding); the
    pattern only says why, once it has failed."""
    if not isinstance(text, str):
        raise EncodingError(f"base64 must be a string, not {type(text).__name__}")
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
        if binascii.b2a_base64(data, newline=False) == text.encode("ascii"):
            return data
    except (binascii.Error, ValueError):  # ValueError: text that is not ASCII
        pass
    if not _B64_RE.fullmatch(text):
        raise EncodingError(f"not padded standard base64: {_b64_complaint(text)}")
    raise EncodingError("base64 has non-zero bits after its last byte; it is not the canonical spelling")


def _b64_complaint(text: str) -> str:
    """Say why `text` failed the pattern (the error path only)."""
    for index, char in enumerate(text):
        if char in "-_":
            return f"{char!r} at position {index} is URL-safe base64; only the standard alphabet (+ and /) is allowed"
        if char.isspace():
            return f"whitespace at position {index}"
        if char not in _B64_ALPHABET:
            return f"{char!r} at position {index} is not a base64 character"
    if len(text) % 4:
        return f"length {len(text)} is not a multiple of 4 (padding '=' is required)"
    return "'=' padding in the wrong place or too much of it"


def hex_encode(data: bytes) -> str:
    """Lowercase hex, two digits a byte."""
    return data.hex()


def hex_decode(text: str, length: int | None = None) -> bytes:
    """Decode lowercase hex; with `length`, require exactly that many bytes."""
    if not isinstance(text, str):
        raise EncodingError(f"hex must be a string, not {type(text).__name__}")
    if not _HEX_RE.fullmatch(text):
        raise EncodingError(f"not lowercase hex: {_hex_complaint(text)}")
    if length is not None and len(text) != 2 * length:
        raise EncodingError(f"expected {length} bytes ({2 * length} hex digits), got {len(text) // 2} bytes")
    return bytes.fromhex(text)


def _hex_complaint(text: str) -> str:
    """Say why `text` failed the pattern (the error path only)."""
    for index, char in enumerate(text):
        if char in "ABCDEF":
            return f"uppercase {char!r} at position {index}; only 0-9 and a-f are allowed"
        if char not in "0123456789abcdef":
            return f"{char!r} at position {index} is not a hex digit"
    return f"odd number of digits ({len(text)})"

"""Base64 (RFC 4648, standard alphabet, padded) and lowercase hex, strictly."""

from __future__ import annotations

import base64
import binascii
import re

_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*\Z")


class EncodingError(ValueError):
    pass


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Only the one canonical spelling is accepted: re-encoding must match."""
    if not isinstance(text, str):
        raise EncodingError("base64 must be text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise EncodingError(f"not standard padded base64: {exc}") from exc
    if b64encode(data) != text:
        raise EncodingError("base64 is not in its canonical form")
    return data


def hex_encode(data: bytes) -> str:
    return data.hex()


def hex_decode(text: str, length: int | None = None) -> bytes:
    if not isinstance(text, str) or not _HEX_RE.match(text):
        raise EncodingError("hex must be an even number of lowercase hex digits")
    data = bytes.fromhex(text)
    if length is not None and len(data) != length:
        raise EncodingError(f"expected {length} bytes of hex, got {len(data)}")
    return data

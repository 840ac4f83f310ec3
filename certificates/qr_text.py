"""The text inside a certificate's QR code: `TC1:` + base45(zlib(JCS(payload))).

base45 (RFC 9285) keeps the text in the QR alphanumeric mode, the densest one
for it; zlib shrinks the JSON first. Decoding is for untrusted input: the
inflated size is capped (no decompression bombs) and the JSON must be exactly
canonical, so one payload has one text.
"""

from __future__ import annotations

import zlib
from typing import Any

import base45

from citychain.canonical import CanonicalError, canonical, parse_canonical

PREFIX = "TC1:"
MAX_TEXT = 2000
MAX_INFLATED = 16 * 1024


class QrTextError(ValueError):
    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = code


def encode_qr_text(payload: Any) -> str:
    return PREFIX + base45.b45encode(zlib.compress(canonical(payload), 9)).decode("ascii")


def decode_qr_text(text: str) -> Any:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise QrTextError("NOT_OURS", "这不是可信城市证照二维码", "this QR code is not a CityChain certificate (no TC1: prefix)")
    if len(text) > MAX_TEXT:
        raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR text is longer than {MAX_TEXT} characters")
    try:
        packed = base45.b45decode(text[len(PREFIX):])
    except ValueError as exc:
        raise QrTextError("MALFORMED", "二维码内容已损坏", f"the QR text is not valid base45: {exc}") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(packed, MAX_INFLATED)
    except zlib.error as exc:
        raise QrTextError("MALFORMED", "二维码内容已损坏", f"the QR content does not decompress: {exc}") from None
    if inflater.unconsumed_tail:
        raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR content inflates beyond {MAX_INFLATED} bytes")
    if not inflater.eof or inflater.unused_data:
        raise QrTextError("MALFORMED", "二维码内容不完整", "the QR content is truncated or has trailing bytes")
    try:
        return parse_canonical(data)
    except CanonicalError as exc:
        raise QrTextError("MALFORMED", "二维码内容格式错误", f"the QR payload is not canonical JSON: {exc}") from None

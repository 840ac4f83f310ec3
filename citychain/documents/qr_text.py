"""The text inside a document's QR code: `<PREFIX>` + base45(zlib(JCS(payload))).

base45 (RFC 9285) keeps the text in the QR alphanumeric mode, the densest one
for it; zlib shrinks the JSON first, primed with a preset dictionary of the
payload's fixed words (RFC 1950 FDICT), which saves about a quarter of the
characters on a short payload. Each kind of document has its own prefix and
dictionary (a `QrFraming`); docs/protocol.md gives their bytes. Decoding is for
untrusted input: the inflated size is capped (no decompression bombs) and the
JSON must be exactly canonical, so one payload has one text.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import base45

from citychain.canonical import CanonicalError, canonical, parse_canonical
from citychain.errors import BilingualError

MAX_TEXT = 2000
MAX_INFLATED = 16 * 1024


class QrTextError(BilingualError):
    pass


def _inflate(packed: bytes, dictionary: bytes) -> bytes | None:
    inflater = zlib.decompressobj(zdict=dictionary)
    try:
        data = inflater.decompress(packed, MAX_INFLATED)
    except zlib.error:
        return None
    return data if inflater.eof and not inflater.unused_data else None


def _unread_bits_set(packed: bytes, dictionary: bytes, data: bytes) -> bool:
    """Deflate pads its last byte (before the 4-byte Adler-32) with bits no
    reader looks at; zlib writes zeros. A text with one of them set inflates
    to the same payload, so two texts would verify alike: refused, so that a
    changed character of a printed code never verifies. Found by clearing the
    high bits one more at a time: a clearing that leaves the output unchanged
    touched only padding."""
    last = packed[-5]
    for bits in range(1, 8):
        cleared = last & (0xFF >> bits)
        if cleared != last and _inflate(packed[:-5] + bytes([cleared]) + packed[-4:], dictionary) == data:
            return True
    return False


@dataclass(frozen=True)
class QrFraming:
    prefix: str  # e.g. "TC1:"; upper case, so the whole text stays alphanumeric
    dictionary: bytes  # never change it once codes are printed
    what_zh: str  # what a code with this prefix is, for messages
    what_en: str

    def encode(self, payload: Any) -> str:
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary)
        packed = packer.compress(canonical(payload)) + packer.flush()
        return self.prefix + base45.b45encode(packed).decode("ascii")

    def decode(self, text: str) -> Any:
        text = text.strip()
        if not text.startswith(self.prefix):
            raise QrTextError("NOT_OURS", f"这不是{self.what_zh}",
                              f"this QR code is not {self.what_en} (no {self.prefix} prefix)")
        if len(text) > MAX_TEXT:
            raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR text is longer than {MAX_TEXT} characters")
        try:
            packed = base45.b45decode(text[len(self.prefix):])
        except ValueError as exc:
            raise QrTextError("MALFORMED", "二维码内容已损坏", f"the QR text is not valid base45: {exc}") from None
        inflater = zlib.decompressobj(zdict=self.dictionary)
        try:
            data = inflater.decompress(packed, MAX_INFLATED)
        except zlib.error as exc:
            raise QrTextError("MALFORMED", "二维码内容已损坏", f"the QR content does not decompress: {exc}") from None
        if inflater.unconsumed_tail:
            raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR content inflates beyond {MAX_INFLATED} bytes")
        if not inflater.eof or inflater.unused_data:
            raise QrTextError("MALFORMED", "二维码内容不完整", "the QR content is truncated or has trailing bytes")
        if _unread_bits_set(packed, self.dictionary, data):
            raise QrTextError("MALFORMED", "二维码内容已被改动", "the QR content has bits set that carry nothing")
        try:
            return parse_canonical(data)
        except CanonicalError as exc:
            raise QrTextError("MALFORMED", "二维码内容格式错误", f"the QR payload is not canonical JSON: {exc}") from None

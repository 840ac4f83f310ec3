"""The text inside a document's QR code:
`<PREFIX>` + base45(Z ‖ CRC-32(Z)), Z = zlib(JCS(payload)).

base45 (RFC 9285) keeps the text in the QR alphanumeric mode, the densest one
for it; zlib shrinks the JSON first, primed with a preset dictionary of the
payload's fixed words (RFC 1950 FDICT), which saves about a quarter of the
characters on a short payload. Each kind of document has its own prefix and
dictionary (a `QrFraming`); docs/protocol.md gives their bytes.

The CRC-32 is there because deflate can write the same output with different
bits (the last byte's padding, and elsewhere in the stream): without it about
one printed code in five had a character that could change and still verify.
A CRC-32 catches every error burst of up to 32 bits, and one base45 character
touches at most 16, so a changed character never passes. Decoding is for
untrusted input: the inflated size is capped (no decompression bombs) and the
JSON must be exactly canonical.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import base45

from citychain.errors import BilingualError
from citychain.log.canonical import CanonicalError, canonical, parse_canonical

MAX_TEXT = 2000
MAX_INFLATED = 16 * 1024


class QrTextError(BilingualError):
    pass


@dataclass(frozen=True)
class QrFraming:
    prefix: str  # e.g. "TC2:"; upper case, so the whole text stays alphanumeric
    dictionary: bytes  # never change it once codes are printed
    what_zh: str  # what a code with this prefix is, for messages
    what_en: str

    def encode(self, payload: Any) -> str:
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary)
        packed = packer.compress(canonical(payload)) + packer.flush()
        return self.prefix + base45.b45encode(packed + zlib.crc32(packed).to_bytes(4, "big")).decode("ascii")

    def decode(self, text: str) -> Any:
        text = text.strip()
        if not text.startswith(self.prefix):
            raise QrTextError(
                "NOT_OURS", f"这不是{self.what_zh}", f"this QR code is not {self.what_en} (no {self.prefix} prefix)"
            )
        if len(text) > MAX_TEXT:
            raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR text is longer than {MAX_TEXT} characters")
        try:
            framed = base45.b45decode(text[len(self.prefix) :])
        except ValueError as exc:
            raise QrTextError("MALFORMED", "二维码内容已损坏", f"the QR text is not valid base45: {exc}") from None
        packed, check = framed[:-4], framed[-4:]
        if len(framed) < 5 or zlib.crc32(packed).to_bytes(4, "big") != check:
            raise QrTextError("MALFORMED", "二维码内容已损坏或被改动", "the QR text fails its check (CRC-32)")
        inflater = zlib.decompressobj(zdict=self.dictionary)
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
            raise QrTextError(
                "MALFORMED", "二维码内容格式错误", f"the QR payload is not canonical JSON: {exc}"
            ) from None

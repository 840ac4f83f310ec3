"""The text inside a document's QR code:
`<PREFIX>` + base45(Z ‖ CRC-32(Z)), Z = zlib(JCS(payload)).

base45 (RFC 9285) keeps the text in the QR alphanumeric mode, the densest one
for it; zlib shrinks the JSON first, primed with a preset dictionary of the
payload's fixed words (RFC 1950 FDICT), which saves about a quarter of the
characters on a short payload. Each kind of document has its own prefix and
dictionary (a `QrFraming`); docs/protocol.md gives their bytes. A kind has a
second prefix for cities on the SM2/SM3 suite (§15): the codes already printed
keep theirs, and a verifier reads only the prefix of its own city's suite.

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
from citychain.log.suite import DEFAULT, SM2_SM3, SUITES, Suite

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
    sm_prefix: str  # the same kind in an SM2/SM3 city: same dictionary, its own prefix

    @property
    def prefixes(self) -> tuple[str, str]:
        return (self.prefix, self.sm_prefix)

    def prefix_for(self, suite: Suite) -> str:
        return self.sm_prefix if suite is SM2_SM3 else self.prefix

    def suite_of(self, text: str) -> Suite:
        """The suite whose prefix the code carries (the Ed25519 one if neither)."""
        return SM2_SM3 if text.strip().startswith(self.sm_prefix) else DEFAULT

    def encode(self, payload: Any, suite: Suite = DEFAULT) -> str:
        """The code as the issuing node prints it, with its city's suite's prefix."""
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary)
        packed = packer.compress(canonical(payload)) + packer.flush()
        framed = base45.b45encode(packed + zlib.crc32(packed).to_bytes(4, "big")).decode("ascii")
        return self.prefix_for(suite) + framed

    def decode(self, text: str, suite: Suite | None = DEFAULT) -> Any:
        """`suite` is the verifier's own city's: a code with the other suite's
        prefix is refused, never read under other rules. None takes either (a
        code copied into a proof file, checked later against the verifier's suite)."""
        text = text.strip()
        prefix = next((p for p in self.prefixes if text.startswith(p)), None)
        if prefix is None:
            raise QrTextError(
                "NOT_OURS", f"这不是{self.what_zh}", f"this QR code is not {self.what_en} (no {self.prefix} prefix)"
            )
        if suite is not None and prefix != self.prefix_for(suite):
            other = next(s for s in SUITES.values() if self.prefix_for(s) == prefix)
            raise QrTextError(
                "OTHER_SUITE",
                f"这张{self.what_zh}来自使用{other.label}的城市，本核验点信任的城市使用{suite.label}",
                f"this is {self.what_en} of a city on {other.label}; this verifier trusts a city on {suite.label}",
            )
        if len(text) > MAX_TEXT:
            raise QrTextError("TOO_LONG", "二维码内容过长", f"the QR text is longer than {MAX_TEXT} characters")
        try:
            framed = base45.b45decode(text[len(prefix) :])
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

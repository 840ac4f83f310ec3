"""The text inside a certificate's QR code: `TC1:` + base45(zlib(JCS(payload))).

base45 (RFC 9285) keeps the text in the QR alphanumeric mode, the densest one
for it; zlib shrinks the JSON first, primed with a preset dictionary of the
payload's fixed words (RFC 1950 FDICT; docs/protocol.md §11 gives its bytes),
which saves about a quarter of the characters on a short payload. Decoding is for untrusted input: the
inflated size is capped (no decompression bombs) and the JSON must be exactly
canonical, so one payload has one text.
"""

from __future__ import annotations

import zlib
from typing import Any

import base45

from citychain.canonical import CanonicalError, canonical, parse_canonical
from citychain.errors import BilingualError

PREFIX = "TC1:"
MAX_TEXT = 2000
MAX_INFLATED = 16 * 1024
# Never change these bytes: every printed QR code depends on them.
DICTIONARY = (
    b'"valid_until":"20"},"kind":"certificate.issued","log":"market-regulation","public-security",'
    b'"civil-affairs","disabled-federation","prev":"","seq":,"time":"20-T:00.000Z","v":1},"sig":"'
    b'"company_name","uscc","company_type","legal_rep","registered_capital","established","address",'
    b'"scope","premises","main_business","sex":{"s":"","v":"male"},"female","category","grade",'
    b'"registered_on","spouse_id","spouse_name","type":"business-licence","food-business-licence",'
    b'"residence-permit","marriage-certificate","disability-certificate","valid_from":"20'
    b'{"kid":"","record":{"body":{"commitments":{"holder_id":{"s":"","v":""},"holder_name":{"s":"","v":"'
    b'"}},"id":"1.2.156.3005.2.'
)


class QrTextError(BilingualError):
    pass


def encode_qr_text(payload: Any) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    packed = packer.compress(canonical(payload)) + packer.flush()
    return PREFIX + base45.b45encode(packed).decode("ascii")


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
    inflater = zlib.decompressobj(zdict=DICTIONARY)
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

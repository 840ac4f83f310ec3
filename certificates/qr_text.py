"""The text inside a certificate's QR code: `TC2:` + base45(zlib(JCS(payload)) + CRC-32),
framed by `citychain.documents.qr_text` with the certificate prefix and preset
dictionary (docs/protocol.md §11 gives its bytes)."""

from __future__ import annotations

from typing import Any

from citychain.documents.qr_text import MAX_INFLATED, MAX_TEXT, QrFraming, QrTextError
from citychain.log.suite import DEFAULT, Suite

__all__ = [
    "DICTIONARY",
    "FRAMING",
    "MAX_INFLATED",
    "MAX_TEXT",
    "PREFIX",
    "SM_PREFIX",
    "QrTextError",
    "decode_qr_text",
    "encode_qr_text",
]

PREFIX = "TC2:"
SM_PREFIX = "TCS:"  # the same code in an SM2/SM3 city (§15)
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
FRAMING = QrFraming(PREFIX, DICTIONARY, "可信城市证照二维码", "a CityChain certificate", SM_PREFIX)


def encode_qr_text(payload: Any, suite: Suite = DEFAULT) -> str:
    return FRAMING.encode(payload, suite)


def decode_qr_text(text: str, suite: Suite | None = DEFAULT) -> Any:
    return FRAMING.decode(text, suite)

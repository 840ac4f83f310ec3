"""QR text codec: round trip, size, and hostile inputs (bombs, truncation, junk)."""

from __future__ import annotations

import zlib

import base45
import pytest

from certificates.qr_text import QrTextError, decode_qr_text, encode_qr_text

PAYLOAD = {"record": {"kind": "certificate.issued", "body": {"holder_name": "张三", "n": 42}}, "kid": "56475aa75463474c"}


def test_round_trip_uses_the_alphanumeric_alphabet():
    text = encode_qr_text(PAYLOAD)
    assert text.startswith("TC1:")
    assert set(text[4:]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert decode_qr_text(text) == PAYLOAD
    assert decode_qr_text("  " + text + "\n") == PAYLOAD  # scanners add line ends


def _wrap(data: bytes) -> str:
    return "TC1:" + base45.b45encode(data).decode()


@pytest.mark.parametrize("text, code", [
    ("HC1:NCFOXN%TS3DH", "NOT_OURS"),
    ("TC1:" + "A" * 3000, "TOO_LONG"),
    ("TC1:GGW", "MALFORMED"),  # not base45
    (_wrap(zlib.compress(b"x" * 200_000)), "TOO_LONG"),  # a decompression bomb
    (_wrap(zlib.compress(b'{"a":1}')[:-3]), "MALFORMED"),  # truncated
    (_wrap(zlib.compress(b'{"a": 1}')), "MALFORMED"),  # not canonical
    (_wrap(zlib.compress(b'{"a":1.5}')), "MALFORMED"),  # a float
    (_wrap(zlib.compress(b'{"a":1}') + b"junk"), "MALFORMED"),  # trailing bytes
])
def test_hostile_texts_are_refused_with_a_reason(text, code):
    with pytest.raises(QrTextError) as caught:
        decode_qr_text(text)
    assert caught.value.code == code
    assert " / " in str(caught.value)  # Chinese / English


def test_bits_that_deflate_never_reads_must_be_zero():
    """The last deflate byte is padded with bits no reader looks at: set one and
    the text still inflates to the same payload, so a changed character of a
    printed code would verify. Every such text is refused."""
    packed = base45.b45decode(encode_qr_text(PAYLOAD)[4:])
    last = packed[-5]
    padded = [bytes([last | high]) for high in (0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE) if last | high != last]
    unread = [b for b in padded if _inflated(packed[:-5] + b + packed[-4:]) == _inflated(packed)]
    assert unread  # the payload leaves some padding in its last byte …
    for byte in unread:
        with pytest.raises(QrTextError) as refused:
            decode_qr_text(_wrap(packed[:-5] + byte + packed[-4:]))
        assert refused.value.code == "MALFORMED"  # … and no text that sets it is accepted
    assert decode_qr_text(_wrap(packed)) == PAYLOAD


def _inflated(packed: bytes) -> bytes | None:
    from certificates.qr_text import DICTIONARY

    try:
        return zlib.decompressobj(zdict=DICTIONARY).decompress(packed)
    except zlib.error:
        return None

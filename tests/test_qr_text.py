"""QR text codec: round trip, size, and hostile inputs (bombs, truncation, junk)."""

from __future__ import annotations

import zlib

import base45
import pytest

from certificates.qr_text import QrTextError, decode_qr_text, encode_qr_text

PAYLOAD = {
    "record": {"kind": "certificate.issued", "body": {"holder_name": "张三", "n": 42}},
    "kid": "56475aa75463474c",
}


def test_round_trip_uses_the_alphanumeric_alphabet():
    text = encode_qr_text(PAYLOAD)
    assert text.startswith("TC2:")
    assert set(text[4:]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert decode_qr_text(text) == PAYLOAD
    assert decode_qr_text("  " + text + "\n") == PAYLOAD  # scanners add line ends


def _wrap(data: bytes) -> str:
    """A text framed as ours, its CRC-32 right: what is inside is the test."""
    return "TC2:" + base45.b45encode(data + zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize(
    "text, code",
    [
        ("HC1:NCFOXN%TS3DH", "NOT_OURS"),
        ("TC1:NCFOXN%TS3DH", "NOT_OURS"),  # the earlier format, without the CRC-32
        ("TC2:" + "A" * 3000, "TOO_LONG"),
        ("TC2:GGW", "MALFORMED"),  # not base45
        ("TC2:" + base45.b45encode(zlib.compress(b'{"a":1}')).decode(), "MALFORMED"),  # no CRC-32
        (_wrap(zlib.compress(b"x" * 200_000)), "TOO_LONG"),  # a decompression bomb
        (_wrap(zlib.compress(b'{"a":1}')[:-3]), "MALFORMED"),  # truncated
        (_wrap(zlib.compress(b'{"a": 1}')), "MALFORMED"),  # not canonical
        (_wrap(zlib.compress(b'{"a":1.5}')), "MALFORMED"),  # a float
        (_wrap(zlib.compress(b'{"a":1}') + b"junk"), "MALFORMED"),  # trailing bytes
    ],
)
def test_hostile_texts_are_refused_with_a_reason(text, code):
    with pytest.raises(QrTextError) as caught:
        decode_qr_text(text)
    assert caught.value.code == code
    assert " / " in str(caught.value)  # Chinese / English


def test_every_single_character_change_of_a_text_is_refused():
    """Deflate can write one output with different bits (its last byte's padding
    is one place), so a changed character could inflate to the very same payload
    and verify. The CRC-32 over the deflate bytes catches every burst of up to 32
    bits; one base45 character touches at most 16."""
    text = encode_qr_text(PAYLOAD)
    packed = base45.b45decode(text[4:])[:-4]
    last = packed[-5]
    padded = packed[:-5] + bytes([last | 0x80]) + packed[-4:]
    assert last | 0x80 != last and _inflated(padded) == _inflated(packed)  # such bits exist …
    assert decode_qr_text(_wrap(padded)) == PAYLOAD  # … and only the CRC-32 tells the texts apart
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for at in range(4, len(text)):
        for char in alphabet.replace(text[at], ""):
            with pytest.raises(QrTextError) as refused:
                decode_qr_text(text[:at] + char + text[at + 1 :])
            assert refused.value.code == "MALFORMED", (at, char)


def _inflated(packed: bytes) -> bytes | None:
    from certificates.qr_text import DICTIONARY

    try:
        return zlib.decompressobj(zdict=DICTIONARY).decompress(packed)
    except zlib.error:
        return None

"""Strict base64 and hex (docs/protocol.md (§ Canonical JSON)): one spelling per byte string."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citychain.log.encoding import (
    EncodingError,
    b64decode,
    b64encode,
    hex_decode,
    hex_encode,
)


@given(st.binary(max_size=80))
def test_base64_round_trip(data):
    text = b64encode(data)
    assert text == base64.b64encode(data).decode()
    assert b64decode(text) == data


@pytest.mark.parametrize(
    "data, text",
    [
        (b"", ""),
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg=="),
        (b"fooba", "Zm9vYmE="),
        (b"foobar", "Zm9vYmFy"),  # RFC 4648 §10
        (b"\xfb\xff", "+/8="),
    ],
)
def test_base64_rfc4648_vectors(data, text):
    assert b64encode(data) == text and b64decode(text) == data


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("-_8=", "URL-safe"),
        ("Zm9v_g==", "URL-safe"),
        ("Zg", "multiple of 4"),
        ("Zm8", "multiple of 4"),
        ("Zm9vYg", "multiple of 4"),
        (" Zg==", "whitespace"),
        ("Zg== ", "whitespace"),
        ("Zm9v\nYg==", "whitespace"),
        ("Zg==\n", "whitespace"),
        ("Zh==", "non-zero bits"),  # decodes to b"f" too, but "Zg==" is the spelling
        ("Zm9=", "non-zero bits"),
        ("Zg===", "padding"),
        ("Zg=a", "padding"),
        ("====", "padding"),
        ("Zg==Zg==", "padding"),
        ("Zm9v*A==", "not a base64 character"),
        ("Zm9vYgé=", "not a base64 character"),
    ],
)
def test_base64_rejections(text, complaint):
    with pytest.raises(EncodingError, match=complaint):
        b64decode(text)


@pytest.mark.parametrize("value", [b"Zg==", None, 12, ["Zg=="]])
def test_base64_decode_wants_a_string(value):
    with pytest.raises(EncodingError, match="must be a string"):
        b64decode(value)


def test_encoding_error_is_a_value_error():
    assert issubclass(EncodingError, ValueError)


@given(st.binary(max_size=64))
def test_hex_round_trip(data):
    text = hex_encode(data)
    assert text == data.hex()
    assert hex_decode(text) == data
    assert hex_decode(text, len(data)) == data


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("ABCD", "uppercase"),
        ("abCd", "uppercase"),
        ("abc", "odd number"),
        ("0x00", "not a hex digit"),
        (" 00", "not a hex digit"),
        ("00\n", "not a hex digit"),
        ("0g", "not a hex digit"),
        ("٠٠", "not a hex digit"),  # Arabic-Indic zeros
    ],
)
def test_hex_rejections(text, complaint):
    with pytest.raises(EncodingError, match=complaint):
        hex_decode(text)


def test_hex_exact_length():
    assert hex_decode("00" * 32, 32) == bytes(32)
    assert hex_decode("", 0) == b""
    with pytest.raises(EncodingError, match="expected 32 bytes"):
        hex_decode("00" * 31, 32)
    with pytest.raises(EncodingError, match="expected 32 bytes"):
        hex_decode("00" * 33, 32)


def test_hex_decode_wants_a_string():
    with pytest.raises(EncodingError, match="must be a string"):
        hex_decode(b"00")  # type: ignore[arg-type]

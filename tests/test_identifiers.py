"""GB/T 36904-style certificate ids with their ISO 7064 MOD 37,36 check character."""

from __future__ import annotations

import itertools
import string

import pytest
from stdnum.iso7064 import mod_37_36

from certificates.identifiers import (
    CertificateId,
    InvalidCertificateId,
    parse_certificate_id,
)

ISSUER = "11330100MB0000001R"  # the demo market-regulation administration


def test_iso_7064_example_from_the_standard():
    assert mod_37_36.calc_check_digit("A12425GABC1234002") == "M"


def test_round_trip_and_layout():
    cid = CertificateId("11100", ISSUER, "20260000123")
    text = str(cid)
    assert text.startswith("1.2.156.3005.2.11100.11330100MB0000001R.20260000123.001.")
    assert mod_37_36.is_valid(text.replace(".", ""))
    assert parse_certificate_id(text) == cid
    assert parse_certificate_id("  " + text.lower() + " ") == cid  # typed in lower case, with spaces
    assert str(cid.next_version()).split(".")[-2] == "002"


def test_every_single_character_mistake_is_caught():
    text = str(CertificateId("11100", ISSUER, "20260000123"))
    alphabet = string.digits + string.ascii_uppercase
    for i, char in enumerate(text):
        if char == ".":
            continue
        for other in alphabet:
            if other != char:
                with pytest.raises(InvalidCertificateId):
                    parse_certificate_id(text[:i] + other + text[i + 1 :])


def test_neighbour_swaps_are_caught():
    text = str(CertificateId("11100", ISSUER, "20260000123"))
    for i, (a, b) in enumerate(itertools.pairwise(text)):
        if "." not in (a, b) and a != b:
            with pytest.raises(InvalidCertificateId):
                parse_certificate_id(text[:i] + b + a + text[i + 2 :])


@pytest.mark.parametrize(
    "args, words",
    [
        (("1", ISSUER, "1"), "type code"),
        (("11100", "11330100MB0000001X", "1"), "USCC"),
        (("11100", ISSUER, "12a"), "serial"),
        (("11100", ISSUER, "1", "1"), "version"),
    ],
)
def test_bad_parts_say_which(args, words):
    with pytest.raises(InvalidCertificateId, match=words):
        CertificateId(*args)


def test_bad_shapes():
    with pytest.raises(InvalidCertificateId, match="starts with"):
        parse_certificate_id("2.16.156.1.2.3")
    with pytest.raises(InvalidCertificateId, match="parts"):
        parse_certificate_id("1.2.156.3005.2.11100.1")

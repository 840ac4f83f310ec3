"""Canonical JSON (docs/protocol.md (§ Canonical JSON)): RFC 8785 bytes on the restricted
profile, the claims that make the stdlib fast path exact, and every rejection
with its reason and path."""

from __future__ import annotations

import enum
import json
import unicodedata
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from citychain.log.canonical import (
    MAX_DEPTH,
    MAX_INT,
    CanonicalError,
    canonical,
    canonical_trusted,
    check_value,
    parse,
    parse_canonical,
)

# --------------------------------------------------------------------------
# An independent serialiser written from RFC 8785 §3.2.2.2 / §3.2.3, for the
# profile only. Deliberately not json-based: it is the oracle for the claims.

_SHORT_ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}


def _jcs_char(char: str) -> str:
    code = ord(char)
    if code in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[code]
    if code < 0x20:
        return f"\\u{code:04x}"
    return char


def jcs_reference(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return '"' + "".join(map(_jcs_char, value)) + '"'
    if type(value) is list:
        return "[" + ",".join(map(jcs_reference, value)) + "]"
    if type(value) is dict:
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code units
        return "{" + ",".join(f"{jcs_reference(k)}:{jcs_reference(value[k])}" for k in keys) + "}"
    raise TypeError(type(value))


def reject(call, *args) -> CanonicalError:
    with pytest.raises(CanonicalError) as caught:
        call(*args)
    return caught.value


# --------------------------------------------------------------------------
# RFC 8785's own examples


RFC_3_2_2_INPUT = rb"""{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_3_2_2_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

# §3.2.3, as a value. U+FB33 is a composition exclusion (its NFC is
# U+05D3 U+05BC) and U+1F600 is above the BMP: the profile refuses both keys.
RFC_3_2_3_VALUE = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_3_2_3_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",'
    '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()


def test_the_oracles_reproduce_the_rfc_examples():
    full = json.loads(RFC_3_2_2_INPUT)
    assert rfc8785.dumps(full) == RFC_3_2_2_OUTPUT
    assert rfc8785.dumps(RFC_3_2_3_VALUE) == RFC_3_2_3_OUTPUT
    assert jcs_reference(RFC_3_2_3_VALUE).encode() == RFC_3_2_3_OUTPUT


def test_rfc_3_2_2_string_and_literals():
    value = json.loads(RFC_3_2_2_INPUT)
    del value["numbers"]
    expected = b'{"literals":[null,true,false],"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical(value) == expected
    assert RFC_3_2_2_OUTPUT.replace(b'"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],', b"") == expected


def test_rfc_3_2_2_numbers_are_refused_as_floats():
    error = reject(parse, RFC_3_2_2_INPUT)
    assert (error.reason, error.path) == ("float", "/numbers/0")


def test_rfc_3_2_3_sorting_example_is_refused():
    error = reject(canonical, RFC_3_2_3_VALUE)
    assert (error.reason, error.path) == ("not_nfc", "/\ufb33")
    without_fb33 = {k: v for k, v in RFC_3_2_3_VALUE.items() if k != "\ufb33"}
    error = reject(canonical, without_fb33)
    assert (error.reason, error.path) == ("key_above_bmp", "/\U0001f600")
    as_bytes = json.dumps(without_fb33).encode()  # the emoji key as a \ud83d\ude00 pair
    error = reject(parse, as_bytes)
    assert (error.reason, error.path) == ("key_above_bmp", "/\U0001f600")


def test_rfc_3_2_3_sorting_on_the_bmp_nfc_keys():
    value = {k: v for k, v in RFC_3_2_3_VALUE.items() if k not in ("\ufb33", "\U0001f600")}
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign"}'
    ).encode()
    assert canonical(value) == expected == rfc8785.dumps(value)
    # the same members, in the same relative order, as the RFC's output
    positions = [RFC_3_2_3_OUTPUT.decode().index(f'"{k}":') for k in ("\\r", "1", "\u0080", "ö", "€")]
    assert positions == sorted(positions)


def test_nfc_can_take_a_bmp_key_above_the_bmp():
    """So no spelling of U+FA6C is usable as a key: as is it is not NFC, its NFC is astral."""
    assert unicodedata.normalize("NFC", "\ufa6c") == "\U000242ee"
    assert reject(canonical, {"\ufa6c": 1}).reason == "not_nfc"
    assert reject(canonical, {"\U000242ee": 1}).reason == "key_above_bmp"
    assert canonical({"v": "\U000242ee"}) == '{"v":"\U000242ee"}'.encode()


def test_rfc_3_2_3_shows_why_astral_keys_are_refused():
    """Code-point order (Python) and UTF-16 order (JCS) disagree on them."""
    python_order = json.dumps(RFC_3_2_3_VALUE, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert python_order.encode() != RFC_3_2_3_OUTPUT
    assert sorted(["\ufb33", "\U0001f600"]) != sorted(["\ufb33", "\U0001f600"], key=lambda k: k.encode("utf-16-be"))


@pytest.mark.parametrize("number", [0, 1, -1, 10**15, 2**52 + 1, MAX_INT, -MAX_INT])
def test_integers_print_as_es6_numbers(number):
    """ES6 Number::toString (rfc8785's float path) equals Python's int text."""
    assert canonical(number) == rfc8785.dumps(float(number)) == str(number).encode()


# --------------------------------------------------------------------------
# The claims behind the fast path, each checked on its own


def test_claim_escaping_matches_jcs_for_every_code_point():
    """All 1,112,064 scalar values: Python escapes exactly what JCS escapes, the same way."""
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert canonical_trusted(text) == jcs_reference(text).encode("utf-8")


@pytest.mark.parametrize(
    "char, spelled",
    [
        ("\x00", b'"\\u0000"'),
        ("\x08", b'"\\b"'),
        ("\t", b'"\\t"'),
        ("\n", b'"\\n"'),
        ("\x0b", b'"\\u000b"'),
        ("\x0c", b'"\\f"'),
        ("\r", b'"\\r"'),
        ("\x1f", b'"\\u001f"'),
        ('"', b'"\\""'),
        ("\\", b'"\\\\"'),
        ("/", b'"/"'),
        ("\x7f", b'"\x7f"'),
        ("\u2028", '"\u2028"'.encode()),
        ("\u2029", '"\u2029"'.encode()),
        ("\ufeff", '"\ufeff"'.encode()),
        ("\U0010ffff", '"\U0010ffff"'.encode()),
    ],
)
def test_claim_escapes_one_by_one(char, spelled):
    assert canonical(char) == spelled == rfc8785.dumps(char)


def test_claim_code_point_order_equals_utf16_order_on_the_bmp():
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    assert sorted(chars) == sorted(chars, key=lambda k: k.encode("utf-16-be"))
    assert sorted(chars) == sorted(chars, key=lambda k: k.encode("utf-8"))  # as the docs tell implementers


@given(st.lists(st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=6), max_size=12))
def test_claim_bmp_key_lists_sort_the_same_both_ways(keys):
    assert sorted(keys) == sorted(keys, key=lambda k: k.encode("utf-16-be"))


@given(st.integers(-MAX_INT, MAX_INT))
def test_claim_safe_integers_print_the_same(number):
    assert canonical(number) == rfc8785.dumps(float(number))


def test_claim_literals_and_no_whitespace():
    assert (
        canonical([True, False, None, [], {}, {"a": [1, {"b": None}]}])
        == b'[true,false,null,[],{},{"a":[1,{"b":null}]}]'
    )


# --------------------------------------------------------------------------
# Generated values: our bytes, rfc8785's bytes and the reference agree

_INTERESTING = (
    "\x00\x01\x08\t\n\x0b\x0c\r\x1f \"\\/'\x7f\x80\u00e9\u0301\u2028\u2029\ufeff\ue000\uffff中文漢字€😀\U0010ffff"
)
_chars = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(_INTERESTING),
)
_key_chars = st.one_of(
    st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from([c for c in _INTERESTING if c <= "\uffff"]),
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


texts = st.text(_chars, max_size=16).map(_nfc)
# NFC can leave the BMP: CJK compatibility ideograph U+FA6C normalises to U+242EE.
keys = st.text(_key_chars, max_size=8).map(_nfc).filter(lambda k: not k or max(k) <= "\uffff")
integers = st.one_of(st.integers(-MAX_INT, MAX_INT), st.sampled_from([MAX_INT, -MAX_INT, 0, -1, 2**31, 2**32]))
scalars = st.one_of(st.none(), st.booleans(), integers, texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_generated_values_match_rfc8785_and_the_reference(value):
    data = canonical(value)
    assert data == rfc8785.dumps(value) == jcs_reference(value).encode("utf-8")
    assert canonical_trusted(value) == data


@settings(max_examples=200, deadline=None)
@given(values)
def test_generated_values_round_trip_and_other_spellings_are_refused(value):
    data = canonical(value)
    assert canonical(parse_canonical(data)) == data
    other = json.dumps(value, indent=1, ensure_ascii=True, sort_keys=False).encode()
    assert canonical(parse(other)) == data  # same value through any spelling…
    if other != data:  # …but only the canonical one passes the verifier's gate
        assert reject(parse_canonical, other).reason == "not_canonical"


# --------------------------------------------------------------------------
# Values refused by canonical()/check_value(), with the exact path


class Colour(enum.IntEnum):
    RED = 1


class Name(str):
    pass


@pytest.mark.parametrize(
    "value, reason, path",
    [
        ({"body": {"amount": 1.5}}, "float", "/body/amount"),
        ({"a": 1.0}, "float", "/a"),
        ([-0.0], "float", "/0"),
        ([0, float("nan")], "float", "/1"),
        ({"x": float("inf")}, "float", "/x"),
        (2**53, "int_range", ""),
        ({"n": -(2**53)}, "int_range", "/n"),
        ([1, [2, 10**400]], "int_range", "/1/1"),
        ({"name": "e\u0301"}, "not_nfc", "/name"),
        ({"e\u0301": 1}, "not_nfc", "/e\u0301"),
        (["ok", "\ud800"], "lone_surrogate", "/1"),
        ({"\udfff": 1}, "lone_surrogate", "/\\udfff"),
        ({"a": {"x\U0001f600": 1}}, "key_above_bmp", "/a/x\U0001f600"),
        ({1: "a"}, "bad_type", ""),
        ({"a": {True: 1}}, "bad_type", "/a"),
        ({"a": (1, 2)}, "bad_type", "/a"),
        ((1,), "bad_type", ""),
        ({"k": b"raw"}, "bad_type", "/k"),
        ({"k": {1, 2}}, "bad_type", "/k"),
        ([Decimal("1")], "bad_type", "/0"),
        ([Colour.RED], "bad_type", "/0"),
        ({"n": Name("x")}, "bad_type", "/n"),
        (OrderedDict(a=1), "bad_type", ""),
        ({"a/b": {"c~d": [0, 1.5]}}, "float", "/a~1b/c~0d/1"),
        ([[1, 2, {"x": [0, 0.5]}]], "float", "/0/2/x/1"),
    ],
)
def test_values_outside_the_profile(value, reason, path):
    error = reject(canonical, value)
    assert (error.reason, error.path) == (reason, path)
    assert reject(check_value, value).reason == reason


def test_limits_of_the_integer_range_are_inclusive():
    assert canonical([MAX_INT, -MAX_INT]) == b"[9007199254740991,-9007199254740991]"


def test_bool_is_never_an_int():
    assert canonical([True, 1, False, 0]) == b"[true,1,false,0]"
    assert canonical({"a": True}) != canonical({"a": 1})
    assert parse(b"true") is True and type(parse(b"1")) is int
    assert canonical(parse(b"[true,1]")) == b"[true,1]"


def test_nesting_limit_is_exact():
    def nested(levels: int) -> Any:
        value: Any = 0
        for i in range(levels):
            value = [value] if i % 2 else {"k": value}
        return value

    assert canonical(nested(MAX_DEPTH))
    error = reject(canonical, nested(MAX_DEPTH + 1))
    assert error.reason == "too_deep" and error.path.count("/") == MAX_DEPTH
    check_value(nested(5), max_depth=5)
    with pytest.raises(CanonicalError) as caught:
        check_value(nested(6), max_depth=5)
    assert caught.value.reason == "too_deep"


def test_a_cycle_is_refused_as_too_deep():
    loop: list[Any] = []
    loop.append(loop)
    assert reject(canonical, loop).reason == "too_deep"


def test_error_names_reason_and_path_and_is_a_value_error():
    error = reject(canonical, {"body": {"amount": 1.5}})
    assert isinstance(error, ValueError)
    assert "float" in str(error) and "/body/amount" in str(error)
    assert "document root" in str(reject(canonical, 1.5))


def test_paths_with_lone_surrogates_stay_printable():
    error = reject(canonical, {"\ud800": 1})
    str(error).encode("utf-8")  # does not raise


# --------------------------------------------------------------------------
# Bytes refused by parse(), with the exact path

_DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "data, reason, path",
    [
        (b'{"body":{"amount":1.5}}', "float", "/body/amount"),
        (b'{"a":1.0}', "float", "/a"),
        (b"[-0.0]", "float", "/0"),
        (b'{"a":1e2}', "float", "/a"),
        (b"1E2", "float", ""),
        (b"[9007199254740992]", "int_range", "/0"),
        (b'{"n":-9007199254740992}', "int_range", "/n"),
        (b'{"n":' + b"9" * 5000 + b"}", "int_range", "/n"),
        (b'{"a":{"x":1,"x":2}}', "duplicate_key", "/a/x"),
        (b'{"a":1,"\\u0061":2}', "duplicate_key", "/a"),
        (b'{"name":"e\xcc\x81"}', "not_nfc", "/name"),
        (b'{"name":"e\\u0301"}', "not_nfc", "/name"),
        (b'{"e\xcc\x81":1}', "not_nfc", "/e\u0301"),
        (b'["ok","\\ud800"]', "lone_surrogate", "/1"),
        (b'["\\ude00\\ud83d"]', "lone_surrogate", "/0"),
        (b'{"\\udc00":1}', "lone_surrogate", "/\\udc00"),
        (b'{"\xf0\x9f\x98\x80":1}', "key_above_bmp", "/\U0001f600"),
        (b'{"a":{"\\ud83d\\ude00":1}}', "key_above_bmp", "/a/\U0001f600"),
        (b'{"a":[NaN]}', "invalid_json", "/a/0"),
        (b"Infinity", "invalid_json", ""),
        (b'{"x":-Infinity}', "invalid_json", "/x"),
        (b'"\xff"', "invalid_utf8", ""),
        (b'"\xc0\xaf"', "invalid_utf8", ""),  # overlong "/"
        (b'"\xed\xa0\x80"', "invalid_utf8", ""),  # a surrogate encoded as UTF-8
        (b'"\xe4\xb8"', "invalid_utf8", ""),  # truncated
        (b"\xef\xbb\xbf{}", "invalid_json", ""),  # BOM
        (b"{} x", "invalid_json", ""),
        (b"{}{}", "invalid_json", ""),
        (b"1 2", "invalid_json", ""),
        (b"", "invalid_json", ""),
        (b'"a\nb"', "invalid_json", ""),  # raw control character
        (b"{'a':1}", "invalid_json", ""),
        (b"[1,]", "invalid_json", ""),
        (b'"\\x41"', "invalid_json", ""),
        (b"[01]", "invalid_json", ""),
        (b"[1] // note", "invalid_json", ""),
        (b"[" * 33 + b"]" * 33, "too_deep", "/0" * 32),
        (_DEEP, "too_deep", ""),
    ],
)
def test_bytes_outside_the_profile(data, reason, path):
    error = reject(parse, data)
    assert (error.reason, error.path) == (reason, path)
    assert reject(parse_canonical, data).reason == reason


def test_parse_limits():
    assert parse(b"[" * 32 + b"]" * 32, max_depth=32)
    with pytest.raises(CanonicalError) as caught:
        parse(b"[[[]]]", max_depth=2)
    assert caught.value.reason == "too_deep"
    assert parse(b'"' + b"a" * 98 + b'"', max_bytes=100) == "a" * 98
    with pytest.raises(CanonicalError) as caught:
        parse(b'"' + b"a" * 99 + b'"', max_bytes=100)
    assert caught.value.reason == "too_large"


def test_parse_takes_bytes_only():
    with pytest.raises(TypeError):
        parse('{"a":1}')  # type: ignore[arg-type]


def test_invalid_json_reports_a_byte_offset():
    error = reject(parse, '{"名":1,}'.encode())
    assert "byte 9" in str(error)


# --------------------------------------------------------------------------
# The verifier's gate: same value, other spelling -> not_canonical


@pytest.mark.parametrize(
    "data, canonical_form",
    [
        (b' {"a":1}', b'{"a":1}'),
        (b'{"a":1} ', b'{"a":1}'),
        (b'{"a":1}\n', b'{"a":1}'),
        (b'{"a": 1}', b'{"a":1}'),
        (b'{"a":1,\n "b":2}', b'{"a":1,"b":2}'),
        (b'{"b":1,"a":2}', b'{"a":2,"b":1}'),
        (b'{"\xc3\xa9":1,"z":2}', b'{"z":2,"\xc3\xa9":1}'),
        (b'["\\u0041"]', b'["A"]'),
        (b'["\\/"]', b'["/"]'),
        (b'["\\u00e9"]', b'["\xc3\xa9"]'),
        (b'["\\u4e2d"]', '["中"]'.encode()),
        (b'["\\ud83d\\ude00"]', '["😀"]'.encode()),
        (b'["\\u000A"]', b'["\\n"]'),
        (b'["\\u000a"]', b'["\\n"]'),
        (b'["\\u001F"]', b'["\\u001f"]'),
        (b'["\\u007f"]', b'["\x7f"]'),
        (b'["\\u2028"]', '["\u2028"]'.encode()),
        (b"[-0]", b"[0]"),
    ],
)
def test_equivalent_but_not_canonical_bytes(data, canonical_form):
    assert canonical(parse(data)) == canonical_form
    assert parse_canonical(canonical_form) == parse(data)
    error = reject(parse_canonical, data)
    assert (error.reason, error.path) == ("not_canonical", "")


def test_not_canonical_names_the_first_differing_byte():
    assert "byte 5" in str(reject(parse_canonical, b'{"a": 1}'))
    assert "byte 7" in str(reject(parse_canonical, b'{"a":1}\n'))


# --------------------------------------------------------------------------
# The test vectors printed in docs/protocol.md (§ Canonical JSON)

DOC_VECTORS = [
    (
        {
            "seq": 7,
            "kind": "charity.donation",
            "body": {"donor": "李小龙", "amount_fen": 1250000, "anonymous": False, "tags": ["捐赠", None]},
        },
        "7b22626f6479223a7b22616d6f756e745f66656e223a313235303030302c22616e6f6e796d6f7573223a66616c73652c"
        "22646f6e6f72223a22e69d8ee5b08fe9be99222c2274616773223a5b22e68d90e8b5a0222c6e756c6c5d7d2c226b696e"
        "64223a22636861726974792e646f6e6174696f6e222c22736571223a377d",
    ),
    (
        {"中": 1, "é": 2, "z": 3, "Z": 4, "": 5, "a": []},
        "7b22223a352c225a223a342c2261223a5b5d2c227a223a332c22c3a9223a322c22e4b8ad223a317d",
    ),
    (
        {"s": '\x00\x1f"\\/\x7f\u2028😀'},
        "7b2273223a225c75303030305c75303031665c225c5c2f7fe280a8f09f9880227d",
    ),
    (
        [9007199254740991, -9007199254740991, 0, True, None, {}],
        "5b393030373139393235343734303939312c2d393030373139393235343734303939312c302c747275652c6e756c6c2c7b7d5d",
    ),
]


@pytest.mark.parametrize("value, hex_bytes", DOC_VECTORS)
def test_doc_vectors(value, hex_bytes):
    data = bytes.fromhex(hex_bytes)
    assert canonical(value) == data == rfc8785.dumps(value)
    assert canonical(parse_canonical(data)) == data

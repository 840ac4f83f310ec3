"""Canonical JSON: RFC 8785 (JCS) over a restricted value set (docs/protocol.md §1).

The set: strings, integers with |n| <= 2**53 - 1, booleans, null, arrays and
objects with string keys. No floats (money is integer fen). Strings and keys
are NFC with no lone surrogates; keys have no characters above U+FFFF.

On that set the standard library's compact, key-sorted, non-ASCII-escaping
`json` output is byte-for-byte the JCS output, at a fraction of the cost of a
general JCS library: keys without astral characters sort the same by code
point (Python) and by UTF-16 code unit (JCS), Python escapes exactly the
characters JCS escapes and spells the escapes the same way, and safe integers
print the same. tests/test_canonical.py checks each of those claims.

Verifiers use `parse_canonical`: bytes from a peer count only if they are valid
UTF-8, parse strictly into the set, and re-serialise to exactly themselves.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from typing import Any

from citychain.errors import CodedError

MAX_INT = 2**53 - 1  # the largest integer an IEEE 754 double holds exactly
MAX_DEPTH = 32  # nested arrays/objects; records need a handful
MAX_BYTES = 1 << 20  # default input limit for `parse`; callers set tighter ones


class CanonicalError(CodedError):
    """A value or document outside the profile.

    `reason` is a stable machine code (see docs/protocol.md §1); `path` is
    a JSON Pointer (RFC 6901) to the offending member, "" for the whole
    document, with lone surrogates shown as \\uXXXX so it is always printable.
    The walk prefixes `path` as the error rises, so the message follows it.
    """

    code = "NOT_CANONICAL"

    def __init__(self, reason: str, path: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(type(self).code, reason)
        self.path = path

    @property
    def path(self) -> str:
        return self._path

    @path.setter
    def path(self, path: str) -> None:
        self._path = path
        self.message_zh = self.message_en = f"{self.reason} at {path or '(document root)'}: {self.detail}"
        self.args = (self.message_en,)


# --------------------------------------------------------------------------
# Serialising


# One shared encoder: json.dumps with these options builds the same encoder on
# every call. Output is text; `canonical_trusted` encodes it as UTF-8.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_trusted(value: Any) -> bytes:
    """JCS bytes of a value the caller built from already-validated parts.

    Skips the validation walk (the hot path when joining checked pieces).
    On a value outside the set the output is undefined (it may not be JCS).
    """
    return _ENCODER.encode(value).encode("utf-8")


def canonical(value: Any) -> bytes:
    """Validate `value` against the profile, then return its JCS bytes."""
    check_value(value)
    return canonical_trusted(value)


# --------------------------------------------------------------------------
# Validating


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise CanonicalError at the first member outside the profile.

    Only exact types count: bool is its own kind (never an int), and int/str/
    dict/list subclasses (IntEnum, OrderedDict…) and tuples are refused, so a
    checked value equals what `parse` gives back for its bytes.
    """
    _walk(value, max_depth)


def _walk(value: Any, depth_left: int) -> None:
    """The recursive check; paths are built only while an error unwinds."""
    kind = type(value)
    if kind is str:
        if not value.isascii():  # ASCII is always NFC and surrogate-free
            _check_text(value)
    elif kind is dict:
        if depth_left <= 0:
            raise CanonicalError("too_deep", "", "objects and arrays nest too deeply")
        for key, item in value.items():
            try:
                if type(key) is not str:
                    raise CanonicalError("bad_type", "", f"object key {key!r} is not a string ({type(key).__name__})")
                if not key.isascii():
                    _check_key(key)
                _walk(item, depth_left - 1)
            except CanonicalError as exc:
                if type(key) is str:
                    exc.path = "/" + _pointer_token(key) + exc.path
                raise
    elif kind is int:
        if not -MAX_INT <= value <= MAX_INT:
            raise CanonicalError("int_range", "", f"integer {_int_text(value)} is outside ±(2^53−1)")
    elif kind is list:
        if depth_left <= 0:
            raise CanonicalError("too_deep", "", "objects and arrays nest too deeply")
        for index, item in enumerate(value):
            try:
                _walk(item, depth_left - 1)
            except CanonicalError as exc:
                exc.path = f"/{index}{exc.path}"
                raise
    elif value is not None and kind is not bool:
        raise _type_error(value)


def _check_text(text: str) -> None:
    """A string must be encodable as UTF-8 (no lone surrogates) and NFC."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(
            "lone_surrogate", "", f"text holds a lone surrogate U+{ord(text[exc.start]):04X}"
        ) from None
    if not unicodedata.is_normalized("NFC", text):
        raise CanonicalError("not_nfc", "", "text is not in Unicode Normalization Form C (NFC)")


def _check_key(key: str) -> None:
    """Keys are text, and BMP-only so code-point order equals JCS's UTF-16 order."""
    _check_text(key)
    if max(key) > "\uffff":
        raise CanonicalError("key_above_bmp", "", "an object key holds a character above U+FFFF")


def _type_error(value: Any) -> CanonicalError:
    """The precise complaint for a value of the wrong Python type."""
    if type(value) is _Rejected:
        return value.error()
    if isinstance(value, float):
        return CanonicalError("float", "", f"number {value!r} is a float; only integers are allowed")
    name = type(value).__name__
    base = next((b for b in (int, str, dict, list) if isinstance(value, b)), None)
    if base is not None:
        hint = f" (a subclass of {base.__name__}; convert it to a plain {base.__name__})"
    else:
        hint = _TYPE_HINTS.get(type(value), "")
    return CanonicalError("bad_type", "", f"type {name} is not allowed{hint}")


_TYPE_HINTS = {
    tuple: " (use a list)",
    bytes: " (encode bytes with encoding.b64encode)",
    bytearray: " (encode bytes with encoding.b64encode)",
}


def _pointer_token(key: str) -> str:
    """RFC 6901 escaping, plus \\uXXXX for lone surrogates so paths always print."""
    token = key.replace("~", "~0").replace("/", "~1")
    return token.encode("utf-8", "backslashreplace").decode("utf-8")


def _int_text(value: int) -> str:
    """Huge ints cannot be printed in full (and need not be)."""
    return str(value) if value.bit_length() < 200 else f"of {value.bit_length()} bits"


# --------------------------------------------------------------------------
# Parsing


class _Rejected:
    """Stands in for what a json hook refused.

    Hooks cannot know where they are in the document; returning a marker
    instead of raising lets the validation walk report the exact path.
    """

    __slots__ = ("reason", "detail", "key")

    def __init__(self, reason: str, detail: str, key: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.key = key  # for duplicate_key: the repeated member

    def error(self) -> CanonicalError:
        path = "" if self.key is None else "/" + _pointer_token(self.key)
        return CanonicalError(self.reason, path, self.detail)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Rejected:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        repeated = next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        return _Rejected("duplicate_key", "the key appears more than once in its object", repeated)
    return obj


def _integer(text: str) -> int | _Rejected:
    # 17 characters hold "-9007199254740991"; longer is out of range, and
    # converting it could trip Python's 4300-digit guard or cost quadratic time.
    if len(text) > 17:
        return _Rejected("int_range", f"integer of {len(text)} characters is outside ±(2^53−1)")
    return int(text)


def _fraction(text: str) -> _Rejected:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return _Rejected("float", f"number {shown} has a fraction or exponent; only integers are allowed")


def _constant(name: str) -> _Rejected:
    return _Rejected("invalid_json", f"{name} is not a JSON value")


# Shared like json's own default decoder; the hooks hold no state.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_float=_fraction, parse_int=_integer, parse_constant=_constant
)


def parse(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Strictly parse untrusted bytes into the profile (any valid spelling).

    Whitespace, key order and escapes are accepted here; `parse_canonical`
    is the verifier's gate that also demands the one canonical spelling.
    """
    value = _load(_decode(data, max_bytes))
    check_value(value, max_depth=max_depth)
    return value


def parse_canonical(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse, and require `data` to be exactly the canonical bytes of the value."""
    value = parse(data, max_bytes=max_bytes, max_depth=max_depth)
    expected = canonical_trusted(value)
    if expected != data:
        at = next((i for i, (a, b) in enumerate(zip(expected, data)) if a != b), min(len(expected), len(data)))
        raise CanonicalError(
            "not_canonical", "", f"valid, but not the canonical spelling (first difference at byte {at})"
        )
    return value


def _decode(data: bytes, max_bytes: int) -> str:
    """Size limit first, then strict UTF-8 (no BOM, no surrogates, no overlongs)."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"parse takes bytes, not {type(data).__name__}")
    if len(data) > max_bytes:
        raise CanonicalError("too_large", "", f"document is {len(data)} bytes; the limit is {max_bytes}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalError("invalid_utf8", "", f"not UTF-8 at byte {exc.start}: {exc.reason}") from None
    if text.startswith("\ufeff"):
        raise CanonicalError("invalid_json", "", "document starts with a byte order mark (BOM)")
    return text


def _load(text: str) -> Any:
    """json.loads with our hooks; syntax errors and runaway nesting become CanonicalError."""
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise CanonicalError("too_deep", "", "objects and arrays nest too deeply to parse") from None
    except json.JSONDecodeError as exc:
        at = len(text[: exc.pos].encode("utf-8"))
        raise CanonicalError("invalid_json", "", f"{exc.msg} at byte {at}") from None


if __name__ == "__main__":  # python -m citychain.log.canonical: timings on this machine
    import timeit

    sample = {
        "id": "1.2.156.3005.2.11100000000000001X.11330100MB0000001R.00000042.001.K",
        "type_name": "营业执照 / Business licence",
        "issuer": "market-regulation",
        "valid": {"from": "2026-03-01", "until": "2046-02-28"},
        "fee_fen": 123456,
        "commitments": {f"field_{i}": f"{i:064x}" for i in range(8)},
        "public": {"company_type": "有限责任公司（自然人投资或控股）", "district": "示范市西湖区", "staff": [3, 5, 8]},
        "flags": [True, False, None],
    }
    blob = canonical(sample)
    rounds = 20000
    print(f"sample record: {len(blob)} bytes")
    for name, call in [
        ("canonical", lambda: canonical(sample)),
        ("canonical_trusted", lambda: canonical_trusted(sample)),
        ("check_value", lambda: check_value(sample)),
        ("parse", lambda: parse(blob)),
        ("parse_canonical", lambda: parse_canonical(blob)),
    ]:
        best = min(timeit.repeat(call, number=rounds, repeat=5)) / rounds
        print(f"{name:>18}: {best * 1e6:6.1f} µs")

"""Donation receipt codes: `D-<serial>-<check>`, e.g. `D-000123-G`.

The serial is 1–16 digits, chosen by the charity node (zero padding is part of
the code). The check character is ISO 7064 MOD 37,36 over `D` and the serial
(the hyphens removed), as in certificate ids, so a donor who mistypes one
character, or swaps two neighbours, is told so before any lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from citychain.errors import BilingualError

PREFIX = "D"
_SERIAL_RE = re.compile(r"[0-9]{1,16}\Z")
_CODE_RE = re.compile(r"D-([0-9]{1,16})-([0-9A-Z])\Z")
_BEGINNING_RE = re.compile(r"(D(-([0-9]{1,16}(-)?)?)?)?\Z")  # what can still become a code
_FORMAT = ("收据编号格式应为 D-数字-校验位", "a receipt code looks like D-<digits>-<check character>")


class InvalidReceipt(BilingualError):
    """Not a receipt code at all (or its check character is wrong)."""

    status = 400

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("BAD_RECEIPT", message_zh, message_en)


@dataclass(frozen=True)
class ReceiptCode:
    serial: str

    def __post_init__(self) -> None:
        if not isinstance(self.serial, str) or not _SERIAL_RE.match(self.serial):
            raise InvalidReceipt("收据流水号须为 1–16 位数字", f"a receipt serial is 1–16 digits, not {self.serial!r}")

    @property
    def check(self) -> str:
        return mod_37_36.calc_check_digit(PREFIX + self.serial)

    def __str__(self) -> str:
        return f"{PREFIX}-{self.serial}-{self.check}"


def make_receipt(number: int, width: int = 8) -> str:
    """The receipt code of the `number`th donation, zero-padded to `width` digits."""
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise InvalidReceipt("收据号须为非负整数", "a receipt number is a non-negative integer")
    return str(ReceiptCode(f"{number:0{width}d}"))


def parse_receipt(text: str) -> ReceiptCode:
    """Read a code someone typed or scanned; says what is wrong with it."""
    if not isinstance(text, str):
        raise InvalidReceipt("收据编号须为文本", "a receipt code is text")
    match = _CODE_RE.match(text.strip().upper())
    if match is None:
        raise InvalidReceipt(*_FORMAT)
    code = ReceiptCode(match.group(1))
    if code.check != match.group(2):
        raise InvalidReceipt(
            "收据编号校验位不符，可能输错了一个字符",
            "the receipt code's check character does not match; a character may be mistyped",
        )
    return code


def check_typing(text: str) -> None:
    """Check a code while it is typed, with `parse_receipt`'s words: a whole
    code (check character included) fully, a beginning for its shape alone,
    so a wrong key is named at once and a right one never."""
    text = text.strip().upper()
    if _CODE_RE.match(text):
        parse_receipt(text)
    elif not _BEGINNING_RE.match(text):
        raise InvalidReceipt(*_FORMAT)

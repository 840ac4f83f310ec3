"""Amounts of money as people type and read them: yuan in, figures and Chinese
capital numerals out.

The ledger holds integer fen; every form reads typed yuan, and every screen,
message, export and document shows fen, through these, in exact integer
arithmetic. A receipt prints the amount twice, as on any Chinese financial
document: in figures (¥1,234.50) and in capitals
(人民币壹仟贰佰叁拾肆元伍角整), written by the rules of the People's Bank of
China for bills and receipts (《支付结算办法》附件《正确填写票据和结算凭证的基本规定》):

- 壹贰叁肆伍陆柒捌玖 and 拾佰仟万亿, with 壹拾 (never a bare 拾);
- one 零 for any run of zeros between two non-zero digits, also across a
  万 or 亿 group; none for trailing zeros;
- 元 is followed by 整 when there are no 角 and 分, and by 零 when 角 is zero
  but 分 is not; 整 also follows 角 when there are no 分;
- under one yuan only the 角 and 分 are written (伍角整, 叁分).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from citychain.errors import BilingualError

MAX_FEN = 10**13  # 100 billion yuan: beyond any gift or capital, well inside SQLite's integers
_YUAN_RE = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]*))?\Z")
DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


class AmountError(BilingualError):
    """An amount that is not one, said in both languages."""

    status = 422  # a form field that breaks a rule

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("BAD_AMOUNT", message_zh, message_en)


def parse_yuan(text: str) -> int:
    """ "1,234.50" → 123450 fen: digits with optional thousands commas and at
    most two decimals, read exactly (no floating point)."""
    if not isinstance(text, str):
        raise AmountError("金额须为文本，例如 1,234.50", "an amount is text such as 1,234.50")
    cleaned = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").strip()
    if not cleaned:
        raise AmountError("请填写金额", "an amount is required")
    if cleaned.startswith("-"):
        raise AmountError(f"金额须为正数，不能是 {text}", f"an amount must be positive, not {text}")
    match = _YUAN_RE.match(cleaned)
    if match is None:
        raise AmountError(
            f"“{text}”不是金额；请写成 1234.50 或 1,234.50（元）",
            f"{text!r} is not an amount; write it as 1234.50 or 1,234.50 (yuan)",
        )
    decimals = match.group(1) or ""
    if len(decimals) > 2:
        raise AmountError(f"金额最多精确到分（两位小数）：{text}", f"an amount has at most two decimals (fen): {text}")
    whole = cleaned.split(".")[0].replace(",", "")
    fen = int(whole) * 100 + int(decimals.ljust(2, "0"))
    check_fen(fen)
    return fen


def check_fen(fen: Any, what_zh: str = "金额", what_en: str = "the amount") -> int:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise AmountError(f"{what_zh}须为整数（分）", f"{what_en} must be a whole number of fen")
    if fen <= 0:
        raise AmountError(f"{what_zh}须大于零", f"{what_en} must be more than zero")
    if fen > MAX_FEN:
        raise AmountError(f"{what_zh}过大", f"{what_en} is implausibly large")
    return fen


def yuan_amount(fen: int, grouped: bool = True) -> str:
    """123450 → '1,234.50' ('1234.50' ungrouped, as machines read it)."""
    sign = "-" if fen < 0 else ""
    whole = abs(fen) // 100
    return f"{sign}{whole:,}.{abs(fen) % 100:02d}" if grouped else f"{sign}{whole}.{abs(fen) % 100:02d}"


def yuan_figures(fen: int) -> str:
    """12345 → '¥123.45', with thousands separators."""
    return ("-¥" if fen < 0 else "¥") + yuan_amount(abs(fen))


def _group(number: int) -> str:
    """0 < number < 10000, with 零 between non-zero digits, none at the end."""
    out, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + _SMALL_UNITS[position]
    return out


def _integer(number: int) -> str:
    if number == 0:
        return ""
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large to write in capitals")
    out, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(out)  # a whole group of zeros: one 零 before the next digit
            continue
        if out and (gap or group < 1000):
            out += "零"
        gap = False
        out += _group(group) + _GROUP_UNITS[index]
    return out


def rmb_capital(fen: int) -> str:
    """Positive fen in Chinese capitals: 123450 → '人民币壹仟贰佰叁拾肆元伍角整'."""
    if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
        raise ValueError("an amount in capitals is a non-negative integer number of fen")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "人民币零元整"
    out = "人民币"
    if yuan:
        out += _integer(yuan) + "元"
    if jiao == 0 and cents == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if cents:
        out += DIGITS[cents] + "分"
    else:
        out += "整"
    return out

"""Checking what a clerk typed, field by field, before anything is signed.

Every problem is reported against its field in both languages, all at once, so
the form can mark each one; nothing is written while any remains.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from stdnum.cn import ric, uscc

from citychain.errors import CodedError

from .types import CHOICE, DATE, MONEY, RESIDENT_ID, TEXT, USCC, Field, LicenceType

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # ASCII digits only: int() takes others


@dataclass(frozen=True)
class Problem:
    field: str
    message_zh: str
    message_en: str


class FieldErrors(CodedError):
    """Every problem of a form at once: INVALID_FIELDS, each marked on its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "INVALID_FIELDS",
            "请更正标出的栏目：" + "；".join(p.message_zh for p in problems),
            "Please correct the marked fields: " + "; ".join(p.message_en for p in problems),
            {p.field: (p.message_zh, p.message_en) for p in problems},
        )
        self.problems = tuple(problems)

    def by_field(self) -> dict[str, Problem]:
        return {p.field: p for p in self.problems}


def _check(field: Field, raw: str) -> tuple[object, Problem | None]:
    """The clean value, or why not."""
    value = unicodedata.normalize("NFC", raw.strip())
    if len(value) > field.max_length:
        return None, Problem(field.name, f"最多 {field.max_length} 个字符", f"at most {field.max_length} characters")
    if field.kind == TEXT:
        return value, None
    if field.kind == RESIDENT_ID:
        value = value.upper()
        if not ric.is_valid(value):
            return None, Problem(
                field.name,
                "身份号码无效（长度、出生日期或校验位不对）",
                "not a valid resident ID number (length, birth date or check digit)",
            )
        return value, None
    if field.kind == USCC:
        value = value.upper()
        if not uscc.is_valid(value):
            return None, Problem(
                field.name,
                "统一社会信用代码无效（应为 18 位，校验位须正确）",
                "not a valid unified social credit code (18 characters with a correct check character)",
            )
        return value, None
    if field.kind == DATE:
        if not _DATE_RE.match(value):
            return None, Problem(field.name, "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD")
        problem = _impossible_date(value)
        return (None, Problem(field.name, *problem)) if problem else (value, None)
    if field.kind == MONEY:
        # isdigit() alone takes '²' (int() then fails); 15 digits stay within what a record may hold (2**53)
        if not (value.isascii() and value.isdigit()) or len(value) > 15 or int(value) <= 0:
            return None, Problem(field.name, "金额应为正整数（分）", "amounts are positive whole numbers of fen")
        return int(value), None
    if field.kind == CHOICE:
        allowed = [c[0] for c in field.choices]
        if value not in allowed:
            return None, Problem(
                field.name,
                f"请选择：{'、'.join(c[1] for c in field.choices)}",
                f"choose one of: {', '.join(c[2] for c in field.choices)}",
            )
        return value, None
    raise ValueError(f"unknown field kind {field.kind!r}")


def _impossible_date(value: str) -> tuple[str, str] | None:
    """Why a well-written YYYY-MM-DD names no day of the calendar, so the
    clerk is told which part to fix rather than that the format is wrong."""
    year, month, day = (int(part) for part in value.split("-"))
    if year < 1:
        return "日期不存在：年份应为 0001–9999", "no such date: the year must be 0001–9999"
    if not 1 <= month <= 12:
        return (
            f"日期不存在：月份应为 01–12，不是 {month:02d}",
            f"no such date: the month must be 01–12, not {month:02d}",
        )
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return (
            f"日期不存在：{year}年{month}月只有 {days} 天",
            f"no such date: {year}-{month:02d} has days 01–{days}, not {day:02d}",
        )
    return None


def validate(licence: LicenceType, form: Mapping[str, str], valid_from: str, valid_until: str | None) -> dict:
    """Clean field values, or FieldErrors naming every problem."""
    problems: list[Problem] = []
    clean: dict[str, object] = {}
    unknown = set(form) - {f.name for f in licence.fields}
    for name in sorted(unknown):
        problems.append(Problem(name, "此证照没有这个栏目", f"{licence.name_en} has no field {name!r}"))
    for field in licence.fields:
        raw = form.get(field.name, "")
        if not raw.strip():
            if field.required:
                problems.append(Problem(field.name, f"请填写{field.label_zh}", f"{field.label_en} is required"))
            continue
        value, problem = _check(field, raw)
        if problem:
            problems.append(problem)
        else:
            clean[field.name] = value
    problems.extend(_validity(valid_from, valid_until))
    if problems:
        raise FieldErrors(problems)
    return clean


def _validity(valid_from: str, valid_until: str | None) -> list[Problem]:
    period = Field("valid_from", "有效期自", "Valid from", DATE)
    _, problem = _check(period, valid_from)
    if problem:
        return [problem]
    if valid_until is None:
        return []
    _, problem = _check(Field("valid_until", "有效期至", "Valid until", DATE), valid_until)
    if problem:
        return [problem]
    if valid_until <= valid_from:
        return [
            Problem("valid_until", "有效期截止日期必须晚于起始日期", "the end of validity must come after its start")
        ]
    return []

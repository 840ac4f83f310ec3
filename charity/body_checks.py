"""Reading a charity record's body: each reader returns the checked value or
raises `RecordRejected` naming the field, in Chinese and English."""

from __future__ import annotations

import re
from typing import Any

from citychain.accounts.users import NAME_RE
from citychain.documents.money import yuan_amount
from citychain.log.records import ID_RE, Record
from citychain.node.kinds import Context, RecordRejected

from .schema import MAX_EVIDENCE

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}\Z")
HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def reject(code: str, zh: str, en: str, field: str | None = None) -> RecordRejected:
    return RecordRejected(code, zh, en, field)


def fields(body: dict, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    missing = [name for name in required if name not in body]
    if missing:
        raise reject("MALFORMED", f"缺少栏目 {missing[0]}", f"{missing[0]} is required", missing[0])
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise reject("MALFORMED", f"未知栏目 {unknown[0]}", f"unknown field {unknown[0]!r}", unknown[0])


def ident(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise reject(
            "MALFORMED",
            f"{name} 须为 1–64 位字母、数字或 . _ : / -",
            f"{name} must be 1–64 letters, digits or . _ : / -",
            name,
        )
    return value


def text(body: dict, name: str, limit: int = 500) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise reject(
            "MALFORMED",
            f"{name} 须为非空文本（不超过 {limit} 字）",
            f"{name} must be non-empty text of at most {limit} characters",
            name,
        )
    return value


def amount(body: dict, name: str = "amount_fen") -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise reject(
            "BAD_AMOUNT", f"{name} 须为正整数（单位：分）", f"{name} must be a positive whole number of fen", name
        )
    return value


def hex64(value: Any, name: str) -> str:
    if not isinstance(value, str) or not HEX64_RE.match(value):
        raise reject("MALFORMED", f"{name} 须为 64 位小写十六进制", f"{name} must be 64 lowercase hex digits", name)
    return value


def user(body: dict, name: str, ctx: Context) -> str:
    """The person who acted: on the node's own appends, the signed-in user and no one else."""
    value = body.get(name)
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise reject("MALFORMED", f"{name} 须为本节点的用户名", f"{name} must be a user name", name)
    if ctx.author is not None and value != ctx.author:
        raise reject(
            "NOT_THE_SIGNED_IN_USER",
            f"{name} 须为当前登录的用户 {ctx.author}",
            f"{name} must be the signed-in user {ctx.author}, not {value}",
            name,
        )
    return value


def agency(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not ID_RE.match(value):
        raise reject("MALFORMED", f"{name} 须为机构标识", f"{name} must be an agency id", name)
    return value


def evidence(body: dict) -> list[str]:
    value = body.get("evidence", [])
    if not isinstance(value, list) or len(value) > MAX_EVIDENCE:
        raise reject(
            "MALFORMED",
            f"证明材料须为至多 {MAX_EVIDENCE} 个文件的 SHA-256 列表",
            f"evidence must be a list of at most {MAX_EVIDENCE} file SHA-256 hashes",
            "evidence",
        )
    for item in value:
        hex64(item, "evidence")
    if len(set(value)) != len(value):
        raise reject("MALFORMED", "证明材料有重复", "evidence lists a file twice", "evidence")
    return value


KIND_WORDS = {
    "fund": ("基金", "a fund"),
    "project": ("项目", "a project"),
    "donation": ("捐赠", "a donation"),
    "allocation": ("拨付", "an allocation"),
    "request": ("支出申请", "a disbursement request"),
    "expenditure": ("项目支出", "an expenditure"),
    "refund": ("退款", "a refund"),
    "reversal": ("冲正", "a reversal"),
}


def item_kind(ctx: Context, item_id: str) -> str | None:
    row = ctx.conn.execute("SELECT kind FROM charity_items WHERE log=? AND id=?", (ctx.log_id, item_id)).fetchone()
    return row[0] if row else None


def ref(ctx: Context, item_id: str, kinds: tuple[str, ...], field: str) -> str:
    kind = item_kind(ctx, item_id)
    if kind is None:
        raise reject("UNKNOWN_REFERENCE", f"本机构日志中没有 {item_id}", f"{item_id} is not in this log", field)
    if kind not in kinds:
        zh, en = KIND_WORDS[kinds[0]]
        have_zh, have_en = KIND_WORDS[kind]
        raise reject("WRONG_KIND", f"{item_id} 是{have_zh}，此处须为{zh}", f"{item_id} is {have_en}, not {en}", field)
    return kind


def new_id(ctx: Context, item_id: str, field: str) -> None:
    if item_kind(ctx, item_id) is not None:
        raise reject("DUPLICATE", f"编号 {item_id} 已被使用", f"id {item_id} is already used in this log", field)


def add_item(record: Record, ctx: Context, item_id: str, kind: str) -> None:
    ctx.conn.execute(
        "INSERT INTO charity_items (log, id, kind, seq) VALUES (?, ?, ?, ?)", (ctx.log_id, item_id, kind, record.seq)
    )


def short(pot: str, have: int, amount: int, what_zh: str, what_en: str, field: str) -> RecordRejected:
    return reject(
        "INSUFFICIENT_FUNDS",
        f"{what_zh} {pot} 可用余额 {yuan_amount(have, False)} 元，不足 {yuan_amount(amount, False)} 元",
        f"{what_en} {pot} has {yuan_amount(have, False)} yuan available, less than the {yuan_amount(amount, False)} yuan asked for",
        field,
    )

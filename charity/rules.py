"""The charity rules: every record is checked against what its log already
holds, on append and again by every node that mirrors the log.

`check(record, ctx)` raises `RecordRejected(code, zh, en, field)` and writes
nothing; `apply(record, ctx)` updates the index tables the next check (and the
trace) reads. Both are pure functions of the record and the database inside
the appending or importing transaction, so every node reaches the same verdict
on the same log. `first_violation` replays a list of records in a scratch
database and names the first one that breaks a rule.

Money is integer fen. Where money is (which fen of which fund or project is
free, and which record uses the rest) is kept as ranges by `charity.pots`;
see docs/charity.md for the FIFO rule.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from citychain import merkle
from citychain.kinds import Context, RecordRejected
from citychain.records import ID_RE, Record
from citychain.store import SCHEMA as STORE_SCHEMA
from citychain.users import NAME_RE

from . import pots
from .receipts import InvalidReceipt, parse_receipt

FUND_CREATED = "charity.fund.created"
PROJECT_CREATED = "charity.project.created"
DONATION = "charity.donation.received"
ALLOCATION = "charity.allocation"
REQUESTED = "charity.disbursement.requested"
APPROVED = "charity.disbursement.approved"
CANCELLED = "charity.disbursement.cancelled"
EXPENDITURE = "charity.expenditure"
REFUND = "charity.refund"
REVERSAL = "charity.reversal"
ACKNOWLEDGED = "charity.acknowledged"

ORGANISATION_KINDS = (FUND_CREATED, PROJECT_CREATED, DONATION, ALLOCATION, REQUESTED, APPROVED, CANCELLED,
                      EXPENDITURE, REFUND, REVERSAL)
CHANNELS = ("cash", "bank", "online")
MAX_EVIDENCE = 50
MAX_MILESTONES = 100
PENDING = "pending"  # an acknowledgement whose disbursement this node has not seen yet

SCHEMA = pots.SCHEMA + """
CREATE TABLE IF NOT EXISTS charity_items (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_funds (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    target INTEGER,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_projects (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    fund TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    budget INTEGER NOT NULL,
    milestones TEXT NOT NULL,
    allocated INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_projects_by_fund ON charity_projects (log, fund);
CREATE TABLE IF NOT EXISTS charity_donations (
    log INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    fund TEXT NOT NULL,
    amount INTEGER NOT NULL,
    start INTEGER NOT NULL,
    channel TEXT NOT NULL,
    donor TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    time TEXT NOT NULL,
    seq INTEGER NOT NULL,
    refunded INTEGER NOT NULL DEFAULT 0,
    reversed_by TEXT,
    PRIMARY KEY (log, receipt)
);
CREATE INDEX IF NOT EXISTS charity_donations_by_receipt ON charity_donations (receipt);
CREATE INDEX IF NOT EXISTS charity_donations_by_fund ON charity_donations (log, fund);
CREATE TABLE IF NOT EXISTS charity_allocations (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    fund TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    project_start INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_allocations_by_project ON charity_allocations (log, project);
CREATE INDEX IF NOT EXISTS charity_allocations_by_fund ON charity_allocations (log, fund);
CREATE TABLE IF NOT EXISTS charity_requests (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    beneficiary TEXT NOT NULL,
    beneficiary_agency TEXT NOT NULL,
    purpose TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_seq INTEGER,
    approval_seq INTEGER,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_requests_by_project ON charity_requests (log, project, status);
CREATE UNIQUE INDEX IF NOT EXISTS charity_requests_by_approval ON charity_requests (log, approval_seq)
    WHERE approval_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS charity_expenditures (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_expenditures_by_project ON charity_expenditures (log, project);
CREATE TABLE IF NOT EXISTS charity_refunds (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    receipt TEXT NOT NULL,
    amount INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_refunds_by_receipt ON charity_refunds (log, receipt);
CREATE TABLE IF NOT EXISTS charity_reversals (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_acks (
    charity TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ack_log INTEGER NOT NULL,
    ack_seq INTEGER NOT NULL,
    leaf_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    amount INTEGER NOT NULL,
    acknowledged_by TEXT NOT NULL,
    status TEXT NOT NULL,
    problem_code TEXT,
    problem TEXT,
    PRIMARY KEY (charity, seq, ack_log)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS charity_acks_pending ON charity_acks (status) WHERE status = 'pending';
"""


def schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


# -- reading bodies -------------------------------------------------------------
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _reject(code: str, zh: str, en: str, field: str | None = None) -> RecordRejected:
    return RecordRejected(code, zh, en, field)


def yuan(fen: int) -> str:
    """12345 → '123.45' (for messages; the ledger holds fen)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fields(body: dict, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    missing = [name for name in required if name not in body]
    if missing:
        raise _reject("MALFORMED", f"缺少栏目 {missing[0]}", f"{missing[0]} is required", missing[0])
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise _reject("MALFORMED", f"未知栏目 {unknown[0]}", f"unknown field {unknown[0]!r}", unknown[0])


def _ident(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise _reject("MALFORMED", f"{name} 须为 1–64 位字母、数字或 . _ : / -",
                      f"{name} must be 1–64 letters, digits or . _ : / -", name)
    return value


def _text(body: dict, name: str, limit: int = 500) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _reject("MALFORMED", f"{name} 须为非空文本（不超过 {limit} 字）",
                      f"{name} must be non-empty text of at most {limit} characters", name)
    return value


def _amount(body: dict, name: str = "amount_fen") -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _reject("BAD_AMOUNT", f"{name} 须为正整数（单位：分）", f"{name} must be a positive whole number of fen", name)
    return value


def _hex64(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _HEX64_RE.match(value):
        raise _reject("MALFORMED", f"{name} 须为 64 位小写十六进制", f"{name} must be 64 lowercase hex digits", name)
    return value


def _user(body: dict, name: str, ctx: Context) -> str:
    """The person who acted: on the node's own appends, the signed-in user and no one else."""
    value = body.get(name)
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise _reject("MALFORMED", f"{name} 须为本节点的用户名", f"{name} must be a user name", name)
    if ctx.author is not None and value != ctx.author:
        raise _reject("NOT_THE_SIGNED_IN_USER", f"{name} 须为当前登录的用户 {ctx.author}",
                      f"{name} must be the signed-in user {ctx.author}, not {value}", name)
    return value


def _agency(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not ID_RE.match(value):
        raise _reject("MALFORMED", f"{name} 须为机构标识", f"{name} must be an agency id", name)
    return value


def _evidence(body: dict) -> list[str]:
    value = body.get("evidence", [])
    if not isinstance(value, list) or len(value) > MAX_EVIDENCE:
        raise _reject("MALFORMED", f"证明材料须为至多 {MAX_EVIDENCE} 个文件的 SHA-256 列表",
                      f"evidence must be a list of at most {MAX_EVIDENCE} file SHA-256 hashes", "evidence")
    for item in value:
        _hex64(item, "evidence")
    if len(set(value)) != len(value):
        raise _reject("MALFORMED", "证明材料有重复", "evidence lists a file twice", "evidence")
    return value


_KIND_WORDS = {
    "fund": ("基金", "a fund"), "project": ("项目", "a project"), "donation": ("捐赠", "a donation"),
    "allocation": ("拨付", "an allocation"), "request": ("支出申请", "a disbursement request"),
    "expenditure": ("项目支出", "an expenditure"), "refund": ("退款", "a refund"), "reversal": ("冲正", "a reversal"),
}


def _item_kind(ctx: Context, item_id: str) -> str | None:
    row = ctx.conn.execute("SELECT kind FROM charity_items WHERE log=? AND id=?", (ctx.log_id, item_id)).fetchone()
    return row[0] if row else None


def _ref(ctx: Context, item_id: str, kinds: tuple[str, ...], field: str) -> str:
    kind = _item_kind(ctx, item_id)
    if kind is None:
        raise _reject("UNKNOWN_REFERENCE", f"本机构日志中没有 {item_id}", f"{item_id} is not in this log", field)
    if kind not in kinds:
        zh, en = _KIND_WORDS[kinds[0]]
        have_zh, have_en = _KIND_WORDS[kind]
        raise _reject("WRONG_KIND", f"{item_id} 是{have_zh}，此处须为{zh}", f"{item_id} is {have_en}, not {en}", field)
    return kind


def _new_id(ctx: Context, item_id: str, field: str) -> None:
    if _item_kind(ctx, item_id) is not None:
        raise _reject("DUPLICATE", f"编号 {item_id} 已被使用", f"id {item_id} is already used in this log", field)


def _add_item(record: Record, ctx: Context, item_id: str, kind: str) -> None:
    ctx.conn.execute(
        "INSERT INTO charity_items (log, id, kind, seq) VALUES (?, ?, ?, ?)", (ctx.log_id, item_id, kind, record.seq)
    )


def _short(pot: str, have: int, amount: int, what_zh: str, what_en: str, field: str) -> RecordRejected:
    return _reject(
        "INSUFFICIENT_FUNDS",
        f"{what_zh} {pot} 可用余额 {yuan(have)} 元，不足 {yuan(amount)} 元",
        f"{what_en} {pot} has {yuan(have)} yuan available, less than the {yuan(amount)} yuan asked for",
        field,
    )


# -- funds and projects ---------------------------------------------------------
def check_fund(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "name_zh", "name_en"), ("target_fen",))
    _new_id(ctx, _ident(body, "id"), "id")
    _text(body, "name_zh", 200)
    _text(body, "name_en", 200)
    if "target_fen" in body:
        _amount(body, "target_fen")


def apply_fund(record: Record, ctx: Context) -> None:
    body = record.body
    _add_item(record, ctx, body["id"], "fund")
    ctx.conn.execute(
        "INSERT INTO charity_funds (log, id, name_zh, name_en, target, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["name_zh"], body["name_en"], body.get("target_fen"), record.seq),
    )
    pots.create_pot(ctx.conn, ctx.log_id, body["id"])


def _milestones(body: dict, budget: int) -> list:
    value = body.get("milestones", [])
    if not isinstance(value, list) or len(value) > MAX_MILESTONES:
        raise _reject("MALFORMED", f"里程碑须为至多 {MAX_MILESTONES} 项的列表",
                      f"milestones must be a list of at most {MAX_MILESTONES}", "milestones")
    planned = 0
    for item in value:
        if not isinstance(item, dict):
            raise _reject("MALFORMED", "每个里程碑须为对象", "each milestone is an object", "milestones")
        _fields(item, ("name",), ("due", "amount_fen"))
        _text(item, "name", 200)
        if "due" in item and (not isinstance(item["due"], str) or not _DATE_RE.match(item["due"])):
            raise _reject("MALFORMED", "里程碑日期格式须为 YYYY-MM-DD", "a milestone's due date is YYYY-MM-DD", "milestones")
        if "amount_fen" in item:
            planned += _amount(item, "amount_fen")
    if planned > budget:
        raise _reject("BUDGET_EXCEEDED", "里程碑金额合计超出项目预算",
                      "the milestones' amounts add up to more than the project's budget", "milestones")
    return value


def check_project(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "fund", "name_zh", "name_en", "budget_fen"), ("milestones",))
    _new_id(ctx, _ident(body, "id"), "id")
    _ref(ctx, _ident(body, "fund"), ("fund",), "fund")
    _text(body, "name_zh", 200)
    _text(body, "name_en", 200)
    _milestones(body, _amount(body, "budget_fen"))


def apply_project(record: Record, ctx: Context) -> None:
    body = record.body
    _add_item(record, ctx, body["id"], "project")
    ctx.conn.execute(
        "INSERT INTO charity_projects (log, id, fund, name_zh, name_en, budget, milestones, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["fund"], body["name_zh"], body["name_en"], body["budget_fen"],
         json.dumps(body.get("milestones", []), ensure_ascii=False), record.seq),
    )
    pots.create_pot(ctx.conn, ctx.log_id, body["id"])


# -- donations, allocations, refunds --------------------------------------------
def check_donation(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("receipt", "fund", "amount_fen", "channel", "donor", "anonymous"))
    receipt = body["receipt"]
    try:
        parsed = parse_receipt(receipt)
    except InvalidReceipt as exc:
        raise _reject("BAD_RECEIPT", exc.message_zh, exc.message_en, "receipt") from None
    if str(parsed) != receipt:
        raise _reject("BAD_RECEIPT", "收据编号须为规范写法", f"the receipt code is written {parsed}", "receipt")
    _new_id(ctx, receipt, "receipt")
    _ref(ctx, _ident(body, "fund"), ("fund",), "fund")
    _amount(body)
    if body["channel"] not in CHANNELS:
        raise _reject("MALFORMED", "捐赠渠道须为 cash、bank 或 online", "channel must be cash, bank or online", "channel")
    _hex64(body["donor"], "donor")
    if not isinstance(body["anonymous"], bool):
        raise _reject("MALFORMED", "anonymous 须为 true 或 false", "anonymous must be true or false", "anonymous")


def apply_donation(record: Record, ctx: Context) -> None:
    body = record.body
    _add_item(record, ctx, body["receipt"], "donation")
    start = pots.add_inflow(ctx.conn, ctx.log_id, body["fund"], body["amount_fen"])
    ctx.conn.execute(
        "INSERT INTO charity_donations (log, receipt, fund, amount, start, channel, donor, anonymous, time, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["receipt"], body["fund"], body["amount_fen"], start, body["channel"], body["donor"],
         int(body["anonymous"]), record.time, record.seq),
    )


def check_allocation(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "fund", "project", "amount_fen"))
    _new_id(ctx, _ident(body, "id"), "id")
    fund = _ident(body, "fund")
    _ref(ctx, fund, ("fund",), "fund")
    project = _ident(body, "project")
    _ref(ctx, project, ("project",), "project")
    amount = _amount(body)
    home, budget, allocated = ctx.conn.execute(
        "SELECT fund, budget, allocated FROM charity_projects WHERE log=? AND id=?", (ctx.log_id, project)
    ).fetchone()
    if home != fund:
        raise _reject("WRONG_FUND", f"项目 {project} 属于基金 {home}，不能由基金 {fund} 拨付",
                      f"project {project} belongs to fund {home}, not {fund}", "fund")
    have = pots.balance(ctx.conn, ctx.log_id, fund)
    if amount > have:
        raise _short(fund, have, amount, "基金", "fund", "amount_fen")
    if allocated + amount > budget:
        raise _reject("BUDGET_EXCEEDED",
                      f"项目 {project} 预算 {yuan(budget)} 元，已拨付 {yuan(allocated)} 元，不能再拨付 {yuan(amount)} 元",
                      f"project {project} has a budget of {yuan(budget)} yuan and {yuan(allocated)} yuan allocated; "
                      f"{yuan(amount)} yuan more would exceed it", "amount_fen")


def apply_allocation(record: Record, ctx: Context) -> None:
    body = record.body
    log, amount = ctx.log_id, body["amount_fen"]
    _add_item(record, ctx, body["id"], "allocation")
    project_start = pots.add_inflow(ctx.conn, log, body["project"], amount)
    pots.take_lowest(ctx.conn, log, body["fund"], amount, body["id"], "allocation", target_start=project_start)
    ctx.conn.execute(
        "INSERT INTO charity_allocations (log, id, fund, project, amount, project_start, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (log, body["id"], body["fund"], body["project"], amount, project_start, record.seq),
    )
    ctx.conn.execute("UPDATE charity_projects SET allocated = allocated + ? WHERE log=? AND id=?",
                     (amount, log, body["project"]))


def _donation(ctx: Context, receipt: str) -> tuple[str, int, int, str | None]:
    """(fund, start, amount, reversed_by) of a donation in this log."""
    return ctx.conn.execute(
        "SELECT fund, start, amount, reversed_by FROM charity_donations WHERE log=? AND receipt=?", (ctx.log_id, receipt)
    ).fetchone()


def check_refund(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "receipt", "amount_fen", "reason"))
    _new_id(ctx, _ident(body, "id"), "id")
    receipt = _ident(body, "receipt")
    _ref(ctx, receipt, ("donation",), "receipt")
    amount = _amount(body)
    _text(body, "reason")
    fund, start, size, reversed_by = _donation(ctx, receipt)
    if reversed_by is not None:
        raise _reject("BAD_STATE", f"捐赠 {receipt} 已被冲正", f"donation {receipt} was reversed by {reversed_by}", "receipt")
    have = pots.free_within(ctx.conn, ctx.log_id, fund, start, start + size)
    if amount > have:
        raise _reject("INSUFFICIENT_FUNDS",
                      f"捐赠 {receipt} 尚未拨付的部分只有 {yuan(have)} 元，不能退款 {yuan(amount)} 元",
                      f"only {yuan(have)} yuan of donation {receipt} is still unallocated; "
                      f"{yuan(amount)} yuan cannot be refunded", "amount_fen")


def apply_refund(record: Record, ctx: Context) -> None:
    body = record.body
    fund, start, size, _ = _donation(ctx, body["receipt"])
    _add_item(record, ctx, body["id"], "refund")
    pots.take_highest_within(ctx.conn, ctx.log_id, fund, start, start + size, body["amount_fen"], body["id"], "refund")
    ctx.conn.execute("INSERT INTO charity_refunds (log, id, receipt, amount, seq) VALUES (?, ?, ?, ?, ?)",
                     (ctx.log_id, body["id"], body["receipt"], body["amount_fen"], record.seq))
    ctx.conn.execute("UPDATE charity_donations SET refunded = refunded + ? WHERE log=? AND receipt=?",
                     (body["amount_fen"], ctx.log_id, body["receipt"]))


# -- disbursements and expenditure ----------------------------------------------
def _project_has(ctx: Context, project: str, amount: int) -> None:
    have = pots.balance(ctx.conn, ctx.log_id, project)
    if amount > have:
        raise _short(project, have, amount, "项目", "project", "amount_fen")


def check_request(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "project", "amount_fen", "beneficiary", "beneficiary_agency", "purpose", "requested_by"),
            ("evidence",))
    _new_id(ctx, _ident(body, "id"), "id")
    project = _ident(body, "project")
    _ref(ctx, project, ("project",), "project")
    amount = _amount(body)
    _hex64(body["beneficiary"], "beneficiary")
    if _agency(body, "beneficiary_agency") == record.log:
        raise _reject("MALFORMED", "确认收款的机构须是另一机构", "the acknowledging agency must be another agency",
                      "beneficiary_agency")
    _text(body, "purpose")
    _user(body, "requested_by", ctx)
    _evidence(body)
    _project_has(ctx, project, amount)


def apply_request(record: Record, ctx: Context) -> None:
    body = record.body
    _add_item(record, ctx, body["id"], "request")
    pots.take_lowest(ctx.conn, ctx.log_id, body["project"], body["amount_fen"], body["id"], "request")
    ctx.conn.execute(
        "INSERT INTO charity_requests (log, id, project, amount, beneficiary, beneficiary_agency, purpose, "
        "requested_by, seq, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (ctx.log_id, body["id"], body["project"], body["amount_fen"], body["beneficiary"], body["beneficiary_agency"],
         body["purpose"], body["requested_by"], record.seq),
    )


_STATUS_WORDS = {
    "pending": ("待审批", "pending"), "approved": ("已批准", "approved"),
    "cancelled": ("已取消", "cancelled"), "reversed": ("已冲正", "reversed"),
}


def _pending_request(ctx: Context, body: dict) -> tuple[str, str]:
    """(requested_by, status) of the request a decision names, which must be pending."""
    request = _ident(body, "request")
    _ref(ctx, request, ("request",), "request")
    requested_by, status = ctx.conn.execute(
        "SELECT requested_by, status FROM charity_requests WHERE log=? AND id=?", (ctx.log_id, request)
    ).fetchone()
    if status != "pending":
        zh, en = _STATUS_WORDS[status]
        raise _reject("BAD_STATE", f"支出申请 {request} {zh}，不能再批准或取消",
                      f"disbursement request {request} is already {en}", "request")
    return requested_by, status


def check_approval(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("request", "approved_by"))
    approver = _user(body, "approved_by", ctx)
    requested_by, _ = _pending_request(ctx, body)
    if approver == requested_by:
        raise _reject("SAME_PERSON", "申请人不能批准自己的支出申请，须由另一人批准",
                      f"{approver} made this request and cannot approve it; a second person must", "approved_by")


def apply_approval(record: Record, ctx: Context) -> None:
    ctx.conn.execute(
        "UPDATE charity_requests SET status='approved', decided_by=?, decided_seq=?, approval_seq=? WHERE log=? AND id=?",
        (record.body["approved_by"], record.seq, record.seq, ctx.log_id, record.body["request"]),
    )


def check_cancellation(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("request", "cancelled_by", "reason"))
    _user(body, "cancelled_by", ctx)
    _text(body, "reason")
    _pending_request(ctx, body)


def apply_cancellation(record: Record, ctx: Context) -> None:
    body = record.body
    ctx.conn.execute(
        "UPDATE charity_requests SET status='cancelled', decided_by=?, decided_seq=? WHERE log=? AND id=?",
        (body["cancelled_by"], record.seq, ctx.log_id, body["request"]),
    )
    pots.release(ctx.conn, ctx.log_id, body["request"])


def check_expenditure(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "project", "amount_fen", "purpose", "recorded_by"), ("evidence",))
    _new_id(ctx, _ident(body, "id"), "id")
    project = _ident(body, "project")
    _ref(ctx, project, ("project",), "project")
    amount = _amount(body)
    _text(body, "purpose")
    _user(body, "recorded_by", ctx)
    _evidence(body)
    _project_has(ctx, project, amount)


def apply_expenditure(record: Record, ctx: Context) -> None:
    body = record.body
    _add_item(record, ctx, body["id"], "expenditure")
    pots.take_lowest(ctx.conn, ctx.log_id, body["project"], body["amount_fen"], body["id"], "expenditure")
    ctx.conn.execute(
        "INSERT INTO charity_expenditures (log, id, project, amount, purpose, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["project"], body["amount_fen"], body["purpose"], record.seq),
    )


# -- reversals ------------------------------------------------------------------
REVERSIBLE = ("donation", "allocation", "request", "expenditure")


def check_reversal(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("id", "target", "reason"))
    _new_id(ctx, _ident(body, "id"), "id")
    target = _ident(body, "target")
    kind = _ref(ctx, target, REVERSIBLE + ("fund", "project", "refund", "reversal"), "target")
    _text(body, "reason")
    conn, log = ctx.conn, ctx.log_id
    if kind not in REVERSIBLE:
        zh, en = _KIND_WORDS[kind]
        raise _reject("NOT_REVERSIBLE", f"{zh}不能冲正", f"{en} cannot be reversed", "target")
    if kind == "donation":
        fund, start, amount, reversed_by = _donation(ctx, target)
        _not_reversed(target, reversed_by)
        if pots.free_within(conn, log, fund, start, start + amount) != amount:
            raise _reject("NOT_REVERSIBLE", f"捐赠 {target} 已有款项被拨付或退款，须先冲正相关拨付",
                          f"part of donation {target} was already allocated or refunded; reverse those allocations first",
                          "target")
    elif kind == "allocation":
        project, start, amount, reversed_by = conn.execute(
            "SELECT project, project_start, amount, reversed_by FROM charity_allocations WHERE log=? AND id=?",
            (log, target),
        ).fetchone()
        _not_reversed(target, reversed_by)
        if pots.free_within(conn, log, project, start, start + amount) != amount:
            raise _reject("NOT_REVERSIBLE", f"拨付 {target} 的款项已在项目 {project} 中被申请或支出，不能冲正",
                          f"money of allocation {target} is already requested or spent in project {project}", "target")
    elif kind == "request":
        status, reversed_by = conn.execute(
            "SELECT status, reversed_by FROM charity_requests WHERE log=? AND id=?", (log, target)
        ).fetchone()
        _not_reversed(target, reversed_by)
        if status != "approved":
            zh, en = _STATUS_WORDS[status]
            hint_zh, hint_en = ("，待审批的申请请取消", "; cancel a pending request instead") if status == "pending" else ("", "")
            raise _reject("NOT_REVERSIBLE", f"支出申请 {target} {zh}，只能冲正已批准的支出{hint_zh}",
                          f"request {target} is {en}; only an approved disbursement can be reversed{hint_en}", "target")
    else:
        (reversed_by,) = conn.execute(
            "SELECT reversed_by FROM charity_expenditures WHERE log=? AND id=?", (log, target)
        ).fetchone()
        _not_reversed(target, reversed_by)


def _not_reversed(target: str, reversed_by: str | None) -> None:
    if reversed_by is not None:
        raise _reject("BAD_STATE", f"{target} 已被 {reversed_by} 冲正", f"{target} was already reversed by {reversed_by}",
                      "target")


def apply_reversal(record: Record, ctx: Context) -> None:
    body = record.body
    conn, log, rid, target = ctx.conn, ctx.log_id, body["id"], body["target"]
    kind = _item_kind(ctx, target)
    _add_item(record, ctx, rid, "reversal")
    conn.execute("INSERT INTO charity_reversals (log, id, target, target_kind, seq) VALUES (?, ?, ?, ?, ?)",
                 (log, rid, target, kind, record.seq))
    if kind == "donation":
        fund, start, amount, _ = _donation(ctx, target)
        pots.take_highest_within(conn, log, fund, start, start + amount, amount, rid, "reversal")
        conn.execute("UPDATE charity_donations SET reversed_by=? WHERE log=? AND receipt=?", (rid, log, target))
    elif kind == "allocation":
        project, start, amount = conn.execute(
            "SELECT project, project_start, amount FROM charity_allocations WHERE log=? AND id=?", (log, target)
        ).fetchone()
        pots.release(conn, log, target)  # the fund's fen are unallocated again, in place
        pots.take_highest_within(conn, log, project, start, start + amount, amount, rid, "reversal")
        conn.execute("UPDATE charity_allocations SET reversed_by=? WHERE log=? AND id=?", (rid, log, target))
        conn.execute("UPDATE charity_projects SET allocated = allocated - ? WHERE log=? AND id=?", (amount, log, project))
    elif kind == "request":
        pots.release(conn, log, target)
        conn.execute("UPDATE charity_requests SET status='reversed', reversed_by=? WHERE log=? AND id=?",
                     (rid, log, target))
    else:
        pots.release(conn, log, target)
        conn.execute("UPDATE charity_expenditures SET reversed_by=? WHERE log=? AND id=?", (rid, log, target))


# -- acknowledgements (in the beneficiary agency's log) ------------------------
@dataclass(frozen=True)
class AckProblem:
    """An acknowledgement that turned out not to match the disbursement it names."""

    agency: str  # the acknowledging agency
    ack_seq: int
    charity: str
    seq: int
    code: str
    message: str


def ack_problem(conn: sqlite3.Connection, ack_agency: str, body: dict) -> RecordRejected | str | None:
    """None if the acknowledgement matches the approval it names; PENDING if this
    node does not hold that part of the charity's log yet; else the rejection."""
    charity, seq = body["charity"], body["seq"]
    log = conn.execute("SELECT id, size FROM logs WHERE agency=?", (charity,)).fetchone()
    if log is None or log[1] <= seq:
        return PENDING
    entry = conn.execute("SELECT leaf FROM entries WHERE log=? AND seq=?", (log[0], seq)).fetchone()
    if entry is None:
        return PENDING
    if merkle.leaf_hash(entry[0]).hex() != body["leaf_hash"]:
        return _reject("ACK_MISMATCH", f"{charity} 日志第 {seq} 条记录的哈希与确认中的不符",
                       f"the leaf hash does not match entry {seq} of {charity}'s log", "leaf_hash")
    row = conn.execute(
        "SELECT id, amount, beneficiary_agency FROM charity_requests WHERE log=? AND approval_seq=?", (log[0], seq)
    ).fetchone()
    if row is None:
        return _reject("WRONG_KIND", f"{charity} 日志第 {seq} 条记录不是支出批准",
                       f"entry {seq} of {charity}'s log is not a disbursement approval", "seq")
    request, amount, beneficiary_agency = row
    if request != body["request"]:
        return _reject("ACK_MISMATCH", f"第 {seq} 条记录批准的是支出申请 {request}",
                       f"entry {seq} approves request {request}, not {body['request']}", "request")
    if amount != body["amount_fen"]:
        return _reject("ACK_MISMATCH", f"确认金额与批准金额 {yuan(amount)} 元不符",
                       f"the amount acknowledged differs from the {yuan(amount)} yuan approved", "amount_fen")
    if beneficiary_agency != ack_agency:
        return _reject("NOT_BENEFICIARY", f"该笔支出应由 {beneficiary_agency} 确认",
                       f"this disbursement is to be acknowledged by {beneficiary_agency}, not {ack_agency}", "charity")
    return None


def ack_status(conn: sqlite3.Connection, ack_agency: str, charity: str, seq: int, leaf_hash: str, request: str,
               amount: int) -> str:
    """What a held acknowledgement is now: verified, invalid or still pending.
    Readers use it so that an answer never depends on when `resolve_pending_acks` last ran."""
    body = {"charity": charity, "seq": seq, "leaf_hash": leaf_hash, "request": request, "amount_fen": amount}
    problem = ack_problem(conn, ack_agency, body)
    return PENDING if isinstance(problem, str) else "verified" if problem is None else "invalid"


def check_acknowledgement(record: Record, ctx: Context) -> None:
    body = record.body
    _fields(body, ("charity", "seq", "leaf_hash", "request", "amount_fen", "acknowledged_by"))
    charity = _agency(body, "charity")
    if charity == record.log:
        raise _reject("MALFORMED", "机构不能确认自己日志中的支出", "an agency cannot acknowledge its own disbursement", "charity")
    seq = body["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise _reject("MALFORMED", "seq 须为非负整数", "seq must be a non-negative integer", "seq")
    _hex64(body["leaf_hash"], "leaf_hash")
    _ident(body, "request")
    _amount(body)
    _user(body, "acknowledged_by", ctx)
    if ctx.conn.execute("SELECT 1 FROM charity_acks WHERE charity=? AND seq=? AND ack_log=?",
                        (charity, seq, ctx.log_id)).fetchone():
        raise _reject("ALREADY_ACKNOWLEDGED", f"已确认过 {charity} 日志第 {seq} 条记录的支出",
                      f"entry {seq} of {charity}'s log was already acknowledged", "seq")
    problem = ack_problem(ctx.conn, record.log, body)
    if isinstance(problem, RecordRejected):
        raise problem


def apply_acknowledgement(record: Record, ctx: Context) -> None:
    body = record.body
    status = PENDING if isinstance(ack_problem(ctx.conn, record.log, body), str) else "verified"
    ctx.conn.execute(
        "INSERT INTO charity_acks (charity, seq, ack_log, ack_seq, leaf_hash, request, amount, acknowledged_by, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (body["charity"], body["seq"], ctx.log_id, record.seq, body["leaf_hash"], body["request"], body["amount_fen"],
         body["acknowledged_by"], status),
    )


def resolve_pending_acks(conn: sqlite3.Connection) -> tuple[AckProblem, ...]:
    """Check every held acknowledgement whose disbursement this node now holds:
    it becomes `verified`, or `invalid` (returned, for flagging the acknowledging
    agency's log). Runs after every charity record is applied; a node may also
    call it after each import."""
    rows = conn.execute(
        "SELECT a.charity, a.seq, a.ack_log, a.ack_seq, a.leaf_hash, a.request, a.amount, agency.agency "
        "FROM charity_acks a JOIN logs charity ON charity.agency = a.charity AND charity.size > a.seq "
        "JOIN logs agency ON agency.id = a.ack_log WHERE a.status = 'pending'"
    ).fetchall()
    problems = []
    for charity, seq, ack_log, ack_seq, leaf_hash, request, amount, agency in rows:
        body = {"charity": charity, "seq": seq, "leaf_hash": leaf_hash, "request": request, "amount_fen": amount}
        problem = ack_problem(conn, agency, body)
        if isinstance(problem, str):
            continue
        if problem is None:
            conn.execute("UPDATE charity_acks SET status='verified' WHERE charity=? AND seq=? AND ack_log=?",
                         (charity, seq, ack_log))
            continue
        conn.execute(
            "UPDATE charity_acks SET status='invalid', problem_code=?, problem=? WHERE charity=? AND seq=? AND ack_log=?",
            (problem.code, str(problem), charity, seq, ack_log),
        )
        problems.append(AckProblem(agency, ack_seq, charity, seq, problem.code, str(problem)))
    return tuple(problems)


def invalid_acks(conn: sqlite3.Connection) -> tuple[AckProblem, ...]:
    """Every held acknowledgement that failed its check once its disbursement arrived."""
    rows = conn.execute(
        "SELECT agency.agency, a.ack_seq, a.charity, a.seq, a.problem_code, a.problem FROM charity_acks a "
        "JOIN logs agency ON agency.id = a.ack_log WHERE a.status = 'invalid' ORDER BY a.ack_log, a.ack_seq"
    )
    return tuple(AckProblem(*row) for row in rows)


# -- dispatch -------------------------------------------------------------------
RULES: dict[str, tuple[Callable[[Record, Context], None], Callable[[Record, Context], None]]] = {
    FUND_CREATED: (check_fund, apply_fund),
    PROJECT_CREATED: (check_project, apply_project),
    DONATION: (check_donation, apply_donation),
    ALLOCATION: (check_allocation, apply_allocation),
    REQUESTED: (check_request, apply_request),
    APPROVED: (check_approval, apply_approval),
    CANCELLED: (check_cancellation, apply_cancellation),
    EXPENDITURE: (check_expenditure, apply_expenditure),
    REFUND: (check_refund, apply_refund),
    REVERSAL: (check_reversal, apply_reversal),
    ACKNOWLEDGED: (check_acknowledgement, apply_acknowledgement),
}


def check(record: Record, ctx: Context) -> None:
    """Raise RecordRejected unless `record` may follow what its log holds."""
    RULES[record.kind][0](record, ctx)


def apply(record: Record, ctx: Context) -> None:
    """Update the index tables for an accepted record (same transaction)."""
    RULES[record.kind][1](record, ctx)


def after_store(ctx: Context) -> None:
    """Acknowledgements held until their disbursement arrived are judged as it arrives; a
    mismatch flags the acknowledging agency's log, naming the record."""
    for problem in resolve_pending_acks(ctx.conn):
        (log_id,) = ctx.conn.execute("SELECT id FROM logs WHERE agency=?", (problem.agency,)).fetchone()
        ctx.flag_invalid(log_id, f"{problem.agency} entry {problem.ack_seq} (charity.acknowledged) breaks a rule: "
                                 f"{problem.code}: {problem.message}")


@dataclass(frozen=True)
class Violation:
    seq: int
    kind: str
    code: str
    message_zh: str
    message_en: str
    field: str | None


def first_violation(records: Iterable[Record]) -> Violation | None:
    """Replay charity records (of one or more logs, each in order) in a scratch
    database; the first that breaks a rule, or None. Other kinds are skipped.
    Acknowledgements stay held here: no log's leaves are stored to check them."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.executescript(STORE_SCHEMA)
        schema(conn)
        log_ids: dict[str, int] = {}
        for record in records:
            if record.kind not in RULES:
                continue
            if record.log not in log_ids:
                conn.execute("INSERT INTO logs (agency, origin, root) VALUES (?, '', x'')", (record.log,))
                log_ids[record.log] = conn.execute("SELECT id FROM logs WHERE agency=?", (record.log,)).fetchone()[0]
            ctx = Context(conn, log_ids[record.log])
            try:
                check(record, ctx)
            except RecordRejected as exc:
                return Violation(record.seq, record.kind, exc.code, exc.message_zh, exc.message_en, exc.field)
            apply(record, ctx)
        return None
    finally:
        conn.close()

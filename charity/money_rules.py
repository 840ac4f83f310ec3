"""Rules for the charity organisation's own records: funds, projects,
donations, allocations, refunds, disbursements, expenditure and reversals.
Nothing pays out more than it holds; pending requests reserve their amount."""

from __future__ import annotations

from citychain.documents.money import yuan_amount
from citychain.log.canonical import canonical_trusted
from citychain.log.records import Record
from citychain.node.kinds import Context

from . import body_checks as checks
from . import pots
from .project_rules import check_open
from .receipts import InvalidReceipt, parse_receipt
from .schema import CHANNELS, MAX_MILESTONES


# -- funds and projects ---------------------------------------------------------
def check_fund(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("id", "name_zh", "name_en"), ("target_fen",))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    checks.text(body, "name_zh", 200)
    checks.text(body, "name_en", 200)
    if "target_fen" in body:
        checks.amount(body, "target_fen")


def apply_fund(record: Record, ctx: Context) -> None:
    body = record.body
    checks.add_item(record, ctx, body["id"], "fund")
    ctx.conn.execute(
        "INSERT INTO charity_funds (log, id, name_zh, name_en, target, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["name_zh"], body["name_en"], body.get("target_fen"), record.seq),
    )
    pots.create_pot(ctx.conn, ctx.log_id, body["id"])


def _milestones(body: dict, budget: int) -> list:
    value = body.get("milestones", [])
    if not isinstance(value, list) or len(value) > MAX_MILESTONES:
        raise checks.reject(
            "MALFORMED",
            f"里程碑须为至多 {MAX_MILESTONES} 项的列表",
            f"milestones must be a list of at most {MAX_MILESTONES}",
            "milestones",
        )
    planned = 0
    for item in value:
        if not isinstance(item, dict):
            raise checks.reject("MALFORMED", "每个里程碑须为对象", "each milestone is an object", "milestones")
        checks.fields(item, ("name",), ("due", "amount_fen"))
        checks.text(item, "name", 200)
        if "due" in item and (not isinstance(item["due"], str) or not checks.DATE_RE.match(item["due"])):
            raise checks.reject(
                "MALFORMED", "里程碑日期格式须为 YYYY-MM-DD", "a milestone's due date is YYYY-MM-DD", "milestones"
            )
        if "amount_fen" in item:
            planned += checks.amount(item, "amount_fen")
    if planned > budget:
        raise checks.reject(
            "BUDGET_EXCEEDED",
            "里程碑金额合计超出项目预算",
            "the milestones' amounts add up to more than the project's budget",
            "milestones",
        )
    return value


def check_project(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("id", "fund", "name_zh", "name_en", "budget_fen"), ("milestones",))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    checks.ref(ctx, checks.ident(body, "fund"), ("fund",), "fund")
    checks.text(body, "name_zh", 200)
    checks.text(body, "name_en", 200)
    _milestones(body, checks.amount(body, "budget_fen"))


def apply_project(record: Record, ctx: Context) -> None:
    body = record.body
    checks.add_item(record, ctx, body["id"], "project")
    ctx.conn.execute(
        "INSERT INTO charity_projects (log, id, fund, name_zh, name_en, budget, milestones, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ctx.log_id,
            body["id"],
            body["fund"],
            body["name_zh"],
            body["name_en"],
            body["budget_fen"],
            # The signed (canonical) form, so the row is the same on every node that replays the record.
            canonical_trusted(body.get("milestones", [])).decode(),
            record.seq,
        ),
    )
    pots.create_pot(ctx.conn, ctx.log_id, body["id"])


# -- donations, allocations, refunds --------------------------------------------
def check_donation(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("receipt", "fund", "amount_fen", "channel", "donor", "anonymous"))
    receipt = body["receipt"]
    try:
        parsed = parse_receipt(receipt)
    except InvalidReceipt as exc:
        raise checks.reject("BAD_RECEIPT", exc.message_zh, exc.message_en, "receipt") from None
    if str(parsed) != receipt:
        raise checks.reject("BAD_RECEIPT", "收据编号须为规范写法", f"the receipt code is written {parsed}", "receipt")
    checks.new_id(ctx, receipt, "receipt")
    checks.ref(ctx, checks.ident(body, "fund"), ("fund",), "fund")
    checks.amount(body)
    if body["channel"] not in CHANNELS:
        raise checks.reject(
            "MALFORMED", "捐赠渠道须为 cash、bank 或 online", "channel must be cash, bank or online", "channel"
        )
    checks.hex64(body["donor"], "donor")
    if not isinstance(body["anonymous"], bool):
        raise checks.reject("MALFORMED", "anonymous 须为 true 或 false", "anonymous must be true or false", "anonymous")


def apply_donation(record: Record, ctx: Context) -> None:
    body = record.body
    checks.add_item(record, ctx, body["receipt"], "donation")
    start = pots.add_inflow(ctx.conn, ctx.log_id, body["fund"], body["amount_fen"])
    ctx.conn.execute(
        "INSERT INTO charity_donations (log, receipt, fund, amount, start, channel, donor, anonymous, time, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ctx.log_id,
            body["receipt"],
            body["fund"],
            body["amount_fen"],
            start,
            body["channel"],
            body["donor"],
            int(body["anonymous"]),
            record.time,
            record.seq,
        ),
    )


def check_allocation(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("id", "fund", "project", "amount_fen"))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    fund = checks.ident(body, "fund")
    checks.ref(ctx, fund, ("fund",), "fund")
    project = checks.ident(body, "project")
    checks.ref(ctx, project, ("project",), "project")
    check_open(ctx, project)
    amount = checks.amount(body)
    home, budget, allocated = ctx.conn.execute(
        "SELECT fund, budget, allocated FROM charity_projects WHERE log=? AND id=?", (ctx.log_id, project)
    ).fetchone()
    if home != fund:
        raise checks.reject(
            "WRONG_FUND",
            f"项目 {project} 属于基金 {home}，不能由基金 {fund} 拨付",
            f"project {project} belongs to fund {home}, not {fund}",
            "fund",
        )
    have = pots.balance(ctx.conn, ctx.log_id, fund)
    if amount > have:
        raise checks.short(fund, have, amount, "基金", "fund", "amount_fen")
    if allocated + amount > budget:
        raise checks.reject(
            "BUDGET_EXCEEDED",
            f"项目 {project} 预算 {yuan_amount(budget, False)} 元，已拨付 {yuan_amount(allocated, False)} 元，不能再拨付 {yuan_amount(amount, False)} 元",
            f"project {project} has a budget of {yuan_amount(budget, False)} yuan and {yuan_amount(allocated, False)} yuan allocated; "
            f"{yuan_amount(amount, False)} yuan more would exceed it",
            "amount_fen",
        )


def apply_allocation(record: Record, ctx: Context) -> None:
    body = record.body
    log, amount = ctx.log_id, body["amount_fen"]
    checks.add_item(record, ctx, body["id"], "allocation")
    project_start = pots.add_inflow(ctx.conn, log, body["project"], amount)
    pots.take_lowest(ctx.conn, log, body["fund"], amount, body["id"], "allocation", target_start=project_start)
    ctx.conn.execute(
        "INSERT INTO charity_allocations (log, id, fund, project, amount, project_start, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (log, body["id"], body["fund"], body["project"], amount, project_start, record.seq),
    )
    ctx.conn.execute(
        "UPDATE charity_projects SET allocated = allocated + ? WHERE log=? AND id=?", (amount, log, body["project"])
    )


def _donation(ctx: Context, receipt: str) -> tuple[str, int, int, str | None]:
    """(fund, start, amount, reversed_by) of a donation in this log."""
    return ctx.conn.execute(
        "SELECT fund, start, amount, reversed_by FROM charity_donations WHERE log=? AND receipt=?",
        (ctx.log_id, receipt),
    ).fetchone()


def check_refund(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("id", "receipt", "amount_fen", "reason"))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    receipt = checks.ident(body, "receipt")
    checks.ref(ctx, receipt, ("donation",), "receipt")
    amount = checks.amount(body)
    checks.text(body, "reason")
    fund, start, size, reversed_by = _donation(ctx, receipt)
    if reversed_by is not None:
        raise checks.reject(
            "BAD_STATE", f"捐赠 {receipt} 已被冲正", f"donation {receipt} was reversed by {reversed_by}", "receipt"
        )
    have = pots.free_within(ctx.conn, ctx.log_id, fund, start, start + size)
    if amount > have:
        raise checks.reject(
            "INSUFFICIENT_FUNDS",
            f"捐赠 {receipt} 尚未拨付的部分只有 {yuan_amount(have, False)} 元，不能退款 {yuan_amount(amount, False)} 元",
            f"only {yuan_amount(have, False)} yuan of donation {receipt} is still unallocated; "
            f"{yuan_amount(amount, False)} yuan cannot be refunded",
            "amount_fen",
        )


def apply_refund(record: Record, ctx: Context) -> None:
    body = record.body
    fund, start, size, _ = _donation(ctx, body["receipt"])
    checks.add_item(record, ctx, body["id"], "refund")
    pots.take_highest_within(ctx.conn, ctx.log_id, fund, start, start + size, body["amount_fen"], body["id"], "refund")
    ctx.conn.execute(
        "INSERT INTO charity_refunds (log, id, receipt, amount, seq) VALUES (?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["receipt"], body["amount_fen"], record.seq),
    )
    ctx.conn.execute(
        "UPDATE charity_donations SET refunded = refunded + ? WHERE log=? AND receipt=?",
        (body["amount_fen"], ctx.log_id, body["receipt"]),
    )


# -- disbursements and expenditure ----------------------------------------------
def _project_has(ctx: Context, project: str, amount: int) -> None:
    check_open(ctx, project)
    have = pots.balance(ctx.conn, ctx.log_id, project)
    if amount > have:
        raise checks.short(project, have, amount, "项目", "project", "amount_fen")


def check_request(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(
        body,
        ("id", "project", "amount_fen", "beneficiary", "beneficiary_agency", "purpose", "requested_by"),
        ("evidence",),
    )
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    project = checks.ident(body, "project")
    checks.ref(ctx, project, ("project",), "project")
    amount = checks.amount(body)
    checks.hex64(body["beneficiary"], "beneficiary")
    if checks.agency(body, "beneficiary_agency") == record.log:
        raise checks.reject(
            "MALFORMED",
            "确认收款的机构须是另一机构",
            "the acknowledging agency must be another agency",
            "beneficiary_agency",
        )
    checks.text(body, "purpose")
    checks.user(body, "requested_by", ctx)
    checks.evidence(body)
    _project_has(ctx, project, amount)


def apply_request(record: Record, ctx: Context) -> None:
    body = record.body
    checks.add_item(record, ctx, body["id"], "request")
    pots.take_lowest(ctx.conn, ctx.log_id, body["project"], body["amount_fen"], body["id"], "request")
    ctx.conn.execute(
        "INSERT INTO charity_requests (log, id, project, amount, beneficiary, beneficiary_agency, purpose, "
        "requested_by, seq, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (
            ctx.log_id,
            body["id"],
            body["project"],
            body["amount_fen"],
            body["beneficiary"],
            body["beneficiary_agency"],
            body["purpose"],
            body["requested_by"],
            record.seq,
        ),
    )


_STATUS_WORDS = {
    "pending": ("待审批", "pending"),
    "approved": ("已批准", "approved"),
    "cancelled": ("已取消", "cancelled"),
    "reversed": ("已冲正", "reversed"),
}


def _pending_request(ctx: Context, body: dict) -> tuple[str, str]:
    """(requested_by, status) of the request a decision names, which must be pending."""
    request = checks.ident(body, "request")
    checks.ref(ctx, request, ("request",), "request")
    requested_by, status = ctx.conn.execute(
        "SELECT requested_by, status FROM charity_requests WHERE log=? AND id=?", (ctx.log_id, request)
    ).fetchone()
    if status != "pending":
        zh, en = _STATUS_WORDS[status]
        raise checks.reject(
            "BAD_STATE",
            f"支出申请 {request} {zh}，不能再批准或取消",
            f"disbursement request {request} is already {en}",
            "request",
        )
    return requested_by, status


def check_approval(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("request", "approved_by"))
    approver = checks.user(body, "approved_by", ctx)
    requested_by, _ = _pending_request(ctx, body)
    if approver == requested_by:
        raise checks.reject(
            "SAME_PERSON",
            "申请人不能批准自己的支出申请，须由另一人批准",
            f"{approver} made this request and cannot approve it; a second person must",
            "approved_by",
        )


def apply_approval(record: Record, ctx: Context) -> None:
    ctx.conn.execute(
        "UPDATE charity_requests SET status='approved', decided_by=?, decided_seq=?, approval_seq=? WHERE log=? AND id=?",
        (record.body["approved_by"], record.seq, record.seq, ctx.log_id, record.body["request"]),
    )


def check_cancellation(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("request", "cancelled_by", "reason"))
    checks.user(body, "cancelled_by", ctx)
    checks.text(body, "reason")
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
    checks.fields(body, ("id", "project", "amount_fen", "purpose", "recorded_by"), ("evidence",))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    project = checks.ident(body, "project")
    checks.ref(ctx, project, ("project",), "project")
    amount = checks.amount(body)
    checks.text(body, "purpose")
    checks.user(body, "recorded_by", ctx)
    checks.evidence(body)
    _project_has(ctx, project, amount)


def apply_expenditure(record: Record, ctx: Context) -> None:
    body = record.body
    checks.add_item(record, ctx, body["id"], "expenditure")
    pots.take_lowest(ctx.conn, ctx.log_id, body["project"], body["amount_fen"], body["id"], "expenditure")
    ctx.conn.execute(
        "INSERT INTO charity_expenditures (log, id, project, amount, purpose, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.log_id, body["id"], body["project"], body["amount_fen"], body["purpose"], record.seq),
    )


# -- reversals ------------------------------------------------------------------
REVERSIBLE = ("donation", "allocation", "request", "expenditure")


def check_reversal(record: Record, ctx: Context) -> None:
    body = record.body
    checks.fields(body, ("id", "target", "reason"))
    checks.new_id(ctx, checks.ident(body, "id"), "id")
    target = checks.ident(body, "target")
    kind = checks.ref(ctx, target, REVERSIBLE + ("fund", "project", "refund", "reversal"), "target")
    checks.text(body, "reason")
    conn, log = ctx.conn, ctx.log_id
    if kind not in REVERSIBLE:
        zh, en = checks.KIND_WORDS[kind]
        raise checks.reject("NOT_REVERSIBLE", f"{zh}不能冲正", f"{en} cannot be reversed", "target")
    if kind == "donation":
        fund, start, amount, reversed_by = _donation(ctx, target)
        _not_reversed(target, reversed_by)
        if pots.free_within(conn, log, fund, start, start + amount) != amount:
            raise checks.reject(
                "NOT_REVERSIBLE",
                f"捐赠 {target} 已有款项被拨付或退款，须先冲正相关拨付",
                f"part of donation {target} was already allocated or refunded; reverse those allocations first",
                "target",
            )
    elif kind == "allocation":
        project, start, amount, reversed_by = conn.execute(
            "SELECT project, project_start, amount, reversed_by FROM charity_allocations WHERE log=? AND id=?",
            (log, target),
        ).fetchone()
        _not_reversed(target, reversed_by)
        if pots.free_within(conn, log, project, start, start + amount) != amount:
            raise checks.reject(
                "NOT_REVERSIBLE",
                f"拨付 {target} 的款项已在项目 {project} 中被申请或支出，不能冲正",
                f"money of allocation {target} is already requested or spent in project {project}",
                "target",
            )
    elif kind == "request":
        status, reversed_by = conn.execute(
            "SELECT status, reversed_by FROM charity_requests WHERE log=? AND id=?", (log, target)
        ).fetchone()
        _not_reversed(target, reversed_by)
        if status != "approved":
            zh, en = _STATUS_WORDS[status]
            hint_zh, hint_en = (
                ("，待审批的申请请取消", "; cancel a pending request instead") if status == "pending" else ("", "")
            )
            raise checks.reject(
                "NOT_REVERSIBLE",
                f"支出申请 {target} {zh}，只能冲正已批准的支出{hint_zh}",
                f"request {target} is {en}; only an approved disbursement can be reversed{hint_en}",
                "target",
            )
    else:
        (reversed_by,) = conn.execute(
            "SELECT reversed_by FROM charity_expenditures WHERE log=? AND id=?", (log, target)
        ).fetchone()
        _not_reversed(target, reversed_by)


def _not_reversed(target: str, reversed_by: str | None) -> None:
    if reversed_by is not None:
        raise checks.reject(
            "BAD_STATE",
            f"{target} 已被 {reversed_by} 冲正",
            f"{target} was already reversed by {reversed_by}",
            "target",
        )


def apply_reversal(record: Record, ctx: Context) -> None:
    body = record.body
    conn, log, rid, target = ctx.conn, ctx.log_id, body["id"], body["target"]
    kind = checks.item_kind(ctx, target)
    checks.add_item(record, ctx, rid, "reversal")
    conn.execute(
        "INSERT INTO charity_reversals (log, id, target, target_kind, seq) VALUES (?, ?, ?, ?, ?)",
        (log, rid, target, kind, record.seq),
    )
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
        conn.execute(
            "UPDATE charity_projects SET allocated = allocated - ? WHERE log=? AND id=?", (amount, log, project)
        )
    elif kind == "request":
        pots.release(conn, log, target)
        conn.execute(
            "UPDATE charity_requests SET status='reversed', reversed_by=? WHERE log=? AND id=?", (rid, log, target)
        )
    else:
        pots.release(conn, log, target)
        conn.execute("UPDATE charity_expenditures SET reversed_by=? WHERE log=? AND id=?", (rid, log, target))

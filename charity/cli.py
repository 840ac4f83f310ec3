"""Charity commands of `main.py`: `python main.py charity <command> …`.

Writing commands sign in as `--user` (password from CITYCHAIN_PASSWORD or a
prompt); the node checks the role, and the desk writes the signed-in user's
name as the person who acted. Amounts are typed in yuan (`1,234.50`) and
shown in yuan; JSON output carries integer fen. Reading commands (`report`,
`donations`, `trace`) need no user: they show what the ledger shows anyone,
with donors masked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from citychain.cli import open_node, signed_in
from citychain.documents.money import parse_yuan, yuan_figures
from citychain.files import write_atomic

from . import money_states
from .desk import CHANNEL_WORDS, CharityDesk, CharityError
from .rules import CHANNELS

PROOF_WORDS = {
    "included": "已入账本检查点 / in a checkpoint",
    "awaiting_checkpoint": "等待检查点 / awaiting a checkpoint",
    "log_invalid": "日志无效 / log invalid",
    "not_held": "本节点无此日志 / log not held here",
}


def _desk(node, private: bool = True) -> CharityDesk:
    return CharityDesk(node, node.private() if private else None)


def _done(text: str) -> int:
    print(text)
    return 0


def _milestones(values: list[str] | None) -> list[dict]:
    """`NAME|YYYY-MM-DD|YUAN`, date and amount optional."""
    out = []
    for value in values or ():
        parts = value.split("|")
        name, due, amount = (parts + ["", ""])[:3]
        if len(parts) > 3 or not name.strip():
            raise CharityError(
                "BAD_MILESTONE",
                f"里程碑应写成 名称|日期|金额：{value}",
                f"a milestone is NAME|YYYY-MM-DD|YUAN (date and amount optional), not {value!r}",
            )
        milestone: dict = {"name": name.strip()}
        if due.strip():
            milestone["due"] = due.strip()
        if amount.strip():
            milestone["amount_fen"] = parse_yuan(amount)
        out.append(milestone)
    return out


# -- writing ------------------------------------------------------------------
def cmd_fund_create(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.fund.manage")
        target = parse_yuan(args.target) if args.target else None
        leaf = _desk(node, False).create_fund(user, args.id, args.name_zh, args.name_en, target)
    return _done(f"{args.id} (seq {leaf.record.seq})")


def cmd_project_create(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.fund.manage")
        leaf = _desk(node, False).create_project(
            user, args.id, args.fund, args.name_zh, args.name_en, parse_yuan(args.budget), _milestones(args.milestone)
        )
    return _done(f"{args.id} (seq {leaf.record.seq})")


def cmd_donate(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.donation.record")
        desk = _desk(node)
        receipt = desk.record_donation(
            user, args.fund, parse_yuan(args.amount), args.channel, args.donor_name, args.donor_id, args.anonymous
        )
        if args.pdf:
            from .receipt_pdf import receipt_pdf

            write_atomic(Path(args.pdf), receipt_pdf(node, receipt, desk.private_store))
            print(f"PDF: {args.pdf}", file=sys.stderr)
    return _done(receipt)


def cmd_allocate(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.allocate")
        return _done(_desk(node, False).allocate(user, args.fund, args.project, parse_yuan(args.amount)))


def cmd_request(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.disbursement.request")
        return _done(
            _desk(node).request_disbursement(
                user,
                args.project,
                parse_yuan(args.amount),
                args.beneficiary_name,
                args.beneficiary_id,
                args.beneficiary_agency,
                args.purpose,
                args.evidence or (),
            )
        )


def cmd_approve(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.disbursement.decide")
        leaf = _desk(node, False).approve(user, args.request)
    return _done(f"已批准 / approved {args.request} (seq {leaf.record.seq})")


def cmd_cancel(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.disbursement.decide")
        leaf = _desk(node, False).cancel(user, args.request, args.reason)
    return _done(f"已取消 / cancelled {args.request} (seq {leaf.record.seq})")


def cmd_acknowledge(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.acknowledge")
        leaf = _desk(node, False).acknowledge(user, args.charity, args.request)
    return _done(f"已确认收到 / acknowledged {args.charity} {args.request} (seq {leaf.record.seq})")


def cmd_refund(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.refund")
        return _done(_desk(node, False).refund(user, args.receipt, parse_yuan(args.amount), args.reason))


def cmd_expenditure(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.expenditure.record")
        return _done(
            _desk(node, False).record_expenditure(
                user, args.project, parse_yuan(args.amount), args.purpose, args.evidence or ()
            )
        )


def cmd_reverse(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.reverse")
        return _done(_desk(node, False).reverse(user, args.target, args.reason))


def cmd_project_start(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.fund.manage")
        leaf = _desk(node, False).start_project(user, args.project, args.start, args.planned_end)
    return _done(f"{args.project} started {args.start} (seq {leaf.record.seq})")


def cmd_project_end(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.fund.manage")
        leaf = _desk(node, False).end_project(user, args.project, args.end)
    return _done(f"{args.project} ended {args.end} (seq {leaf.record.seq})")


def cmd_project_close(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "charity.fund.manage")
        leaf = _desk(node, False).close_project(user, args.project)
    return _done(f"已结项 / closed {args.project} (seq {leaf.record.seq}, report {leaf.record.body['report_sha256']})")


def _quarter(text: str):
    from .periods import Quarter

    try:
        return Quarter.parse(text)
    except ValueError:
        raise CharityError(
            "BAD_QUARTER", f"季度应写成 2026Q4，而不是 {text}", f"a quarter is written like 2026Q4, not {text!r}"
        ) from None


def cmd_disclose(args: argparse.Namespace) -> int:
    from .disclosure import write_reports
    from .schedule import STATUS_WORDS

    quarter = _quarter(args.quarter)
    with open_node(args, write=args.user is not None) as node:
        if args.user:
            user = signed_in(node, args, "charity.disclose")
            for project, sha in _desk(node, False).record_disclosures(user, quarter):
                print(f"已记录公开 / disclosure recorded: {project} {quarter} {sha}")
        written = write_reports(node, quarter, Path(args.out))
    for p in written.projects:
        zh, en = STATUS_WORDS[p.state]
        print(f"{p.project.id}  {p.project.name_zh} / {p.project.name_en}: {zh} / {en}")
    for o in written.outstanding:
        zh, en = STATUS_WORDS[o.status]
        print(f"  {o.status.upper():5} {o.project} {o.period}: {zh} / {en}, 截止 / due {o.due}")
    print(f"{len(written.files)} 个文件 / files in {args.out}", file=sys.stderr)
    return 0


# -- reading ------------------------------------------------------------------
def _print_totals(f, projects) -> None:
    target = f"  目标 / target {yuan_figures(f.target_fen)}" if f.target_fen else ""
    print(f"{f.id}  {f.name_zh} / {f.name_en}{target}")
    ms = money_states
    for zh, en, fen in (
        ("募集", "raised", f.raised_fen),
        (ms.REFUNDED.zh, ms.REFUNDED.en, f.refunded_fen),
        ("已分配到项目", "allocated to projects", f.allocated_fen),
        (ms.UNALLOCATED.zh, ms.UNALLOCATED.en, f.unallocated_fen),
        (ms.PENDING.zh, ms.PENDING.en, f.pending_fen),
        (*ms.PAID_OUT, f.disbursed_fen),
        (f"其中{ms.ACKNOWLEDGED.zh}", f"of which {ms.ACKNOWLEDGED.en.lower()}", f.acknowledged_fen),
        (ms.SPENT.zh, ms.SPENT.en, f.spent_fen),
        ("结余", "unspent", f.unspent_fen),
    ):
        print(f"  {zh} / {en}: {yuan_figures(fen)}")
    print(f"  捐赠笔数 / donations: {f.donations}")
    for p in projects:
        print(
            f"  - {p.id} {p.name_zh} / {p.name_en}: 预算 / budget {yuan_figures(p.budget_fen)}, "
            f"拨入 / allocated {yuan_figures(p.allocated_fen)}, 拨出 / disbursed {yuan_figures(p.disbursed_fen)}, "
            f"待审批 / pending {yuan_figures(p.pending_fen)}, 结余 / unspent {yuan_figures(p.unspent_fen)}"
        )


def cmd_report(args: argparse.Namespace) -> int:
    from .trace_json import fund_json

    with open_node(args, write=False) as node:
        desk = _desk(node, False)
        charity = args.charity or node.config.agency
        funds = [desk.fund_totals(args.fund, charity)] if args.fund else list(desk.funds(charity))
        if (args.pdf or args.csv) and not args.fund:
            raise CharityError("FUND_REQUIRED", "写出报告须指明 --fund", "give --fund to write a report")
        if args.pdf:
            from .report_pdf import fund_report_pdf

            write_atomic(Path(args.pdf), fund_report_pdf(node, args.fund, charity=charity))
            print(f"PDF: {args.pdf}", file=sys.stderr)
        if args.csv:
            from .export_csv import transactions_csv

            with node.lock:
                text = transactions_csv(node.store.conn, charity)
            write_atomic(Path(args.csv), text.encode("utf-8"))
            print(f"CSV: {args.csv}", file=sys.stderr)
        if args.json:
            print(json.dumps([fund_json(f, desk.projects(f.id, charity)) for f in funds], ensure_ascii=False, indent=1))
        else:
            for f in funds:
                _print_totals(f, desk.projects(f.id, charity))
    return 0


def cmd_donations(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        rows = _desk(node).donations(args.charity)
    if args.json:
        print(json.dumps([row.to_json() for row in rows], ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        channel = "/".join(CHANNEL_WORDS[row.channel])
        extra = f"  退还 / refunded {yuan_figures(row.refunded_fen)}" if row.refunded_fen else ""
        extra += f"  已冲正 / reversed by {row.reversed_by}" if row.reversed_by else ""
        print(
            f"{row.receipt}  {row.time}  {row.fund}  {yuan_figures(row.amount_fen):>14}  {channel}  "
            f"{row.donor or '—'}{extra}"
        )
    print(f"共 {len(rows)} 笔 / {len(rows)} donations")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        report = _desk(node, False).trace(args.receipt, args.charity)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    fund = report["fund"]
    print(
        f"收据 / receipt {report['receipt']}  {yuan_figures(report['amount_fen'])}  "
        f"{fund['name_zh']} / {fund['name_en']}  ({report['charity']}, {report['time']})"
    )
    for entry in report["breakdown"]:
        state = money_states.state(entry["state"])
        print(f"  {state.zh} / {state.en}: {yuan_figures(entry['amount_fen'])}")
    print("步骤 / steps:")
    for step in report["steps"]:
        proof = step["proof"]
        witnesses = f", 见证 / co-signed by {', '.join(proof['cosigners']) or '—'}" if "cosigners" in proof else ""
        print(
            f"  {step['log']} #{step['seq']}  {step['step']}  {step['id']}  {yuan_figures(step['amount_fen'])}  "
            f"{PROOF_WORDS[proof['status']]}{witnesses}"
        )
    return 0


def register(sub: argparse._SubParsersAction, plugins) -> None:
    charity = sub.add_parser("charity", help="charity funds, donations, disbursements and traces")
    cmds = charity.add_subparsers(dest="what", required=True)

    def command(name: str, func, text: str, user: bool = True) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=text)
        p.add_argument("--home", required=True, help="the node home")
        if user:
            p.add_argument("--user", required=True, help="sign in as (password: CITYCHAIN_PASSWORD or prompt)")
        p.set_defaults(func=func, plugins=plugins)
        return p

    def names(p: argparse.ArgumentParser) -> None:
        p.add_argument("--id", required=True)
        p.add_argument("--name-zh", required=True)
        p.add_argument("--name-en", required=True)

    p = command("fund-create", cmd_fund_create, "create a fund (supervisor)")
    names(p)
    p.add_argument("--target", help="fund-raising target in yuan, e.g. 500,000")
    p = command("project-create", cmd_project_create, "create a project of a fund (supervisor)")
    names(p)
    p.add_argument("--fund", required=True)
    p.add_argument("--budget", required=True, help="yuan")
    p.add_argument("--milestone", action="append", metavar="NAME|YYYY-MM-DD|YUAN", help="repeat; date, amount optional")
    p = command("donate", cmd_donate, "record a donation (clerk); prints the receipt code")
    p.add_argument("--fund", required=True)
    p.add_argument("--amount", required=True, help="yuan, e.g. 1,234.50")
    p.add_argument("--channel", required=True, choices=CHANNELS)
    p.add_argument("--donor-name", required=True, help="kept on this node only; the ledger gets a commitment")
    p.add_argument("--donor-id", help="the donor's ID number (optional; kept on this node only)")
    p.add_argument("--anonymous", action="store_true", help="show the donor as 匿名 everywhere")
    p.add_argument("--pdf", help="write the sealed donation receipt here")
    p = command("allocate", cmd_allocate, "allocate fund money to a project (supervisor); prints its id")
    p.add_argument("--fund", required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--amount", required=True, help="yuan")
    p = command("request-disbursement", cmd_request, "request a disbursement (clerk); prints its id")
    p.add_argument("--project", required=True)
    p.add_argument("--amount", required=True, help="yuan")
    p.add_argument("--beneficiary-name", required=True, help="kept on this node only")
    p.add_argument("--beneficiary-id", help="ID number (optional; kept on this node only)")
    p.add_argument("--beneficiary-agency", required=True, help="the agency that acknowledges receipt")
    p.add_argument("--purpose", required=True)
    p.add_argument("--evidence", action="append", metavar="FILE", help="a supporting file (its SHA-256 is recorded)")
    p = command("approve", cmd_approve, "approve a pending request (a supervisor other than the requester)")
    p.add_argument("request")
    p = command("cancel", cmd_cancel, "cancel a pending request (supervisor); its money is free again")
    p.add_argument("request")
    p.add_argument("--reason", required=True)
    p = command("acknowledge", cmd_acknowledge, "on the beneficiary agency's node: acknowledge receipt")
    p.add_argument("request")
    p.add_argument("--charity", required=True, help="the charity's agency id")
    p = command("refund", cmd_refund, "refund (part of) a donation's unallocated money (supervisor)")
    p.add_argument("receipt")
    p.add_argument("--amount", required=True, help="yuan")
    p.add_argument("--reason", required=True)
    p = command("expenditure", cmd_expenditure, "record money a project spent itself (supervisor)")
    p.add_argument("--project", required=True)
    p.add_argument("--amount", required=True, help="yuan")
    p.add_argument("--purpose", required=True)
    p.add_argument("--evidence", action="append", metavar="FILE")
    p = command("reverse", cmd_reverse, "reverse a donation, allocation, disbursement or expenditure (supervisor)")
    p.add_argument("target")
    p.add_argument("--reason", required=True)

    p = command("project-start", cmd_project_start, "record a project's start and planned end (supervisor)")
    p.add_argument("--project", required=True)
    p.add_argument("--start", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--planned-end", required=True, metavar="YYYY-MM-DD")
    p = command("project-end", cmd_project_end, "record the day a project ended (supervisor)")
    p.add_argument("--project", required=True)
    p.add_argument("--end", required=True, metavar="YYYY-MM-DD")
    p = command("project-close", cmd_project_close, "close an ended project with its final report (supervisor)")
    p.add_argument("--project", required=True)
    p = command(
        "disclose",
        cmd_disclose,
        "each project's quarterly report (sealed PDF, CSV, JSON) into --out; lists reports due or late",
        user=False,
    )
    p.add_argument("--quarter", required=True, metavar="YYYYQn", help="e.g. 2026Q4")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--user", help="also sign a disclosure record for each report of the (ended) quarter")
    p = command("report", cmd_report, "fund totals; --pdf / --csv write the fund report and export", user=False)
    p.add_argument("--fund")
    p.add_argument("--charity", help="a charity's agency id (default: this node's own)")
    p.add_argument("--pdf", help="write the fund report PDF here (needs --fund)")
    p.add_argument("--csv", help="write every transaction as CSV (IATI-like columns) here")
    p.add_argument("--json", action="store_true")
    p = command("donations", cmd_donations, "every donation with its receipt code, donors masked", user=False)
    p.add_argument("--charity", help="a charity's agency id (default: this node's own)")
    p.add_argument("--json", action="store_true")
    p = command("trace", cmd_trace, "where a donation went, each step with its proof status", user=False)
    p.add_argument("receipt")
    p.add_argument("--charity", help="only if several charities issued the code")
    p.add_argument("--json", action="store_true")

"""Certificate commands of `main.py`, for counters without the GUI: issue,
revoke, suspend, reinstate, supersede, reprint, erase. (`verify` is the one
door's, `citychain.documents.cli`: certificates are a kind registered there.)

Writing commands sign in as `--user` (password from CITYCHAIN_PASSWORD or a
prompt); the node checks the role, exactly as for the GUI and the HTTP API.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from citychain.cli import open_node, signed_in
from citychain.files import write_atomic

from . import kinds
from .causes import CAUSES
from .desk import CertificateDesk
from .fields import FieldErrors
from .types import BY_ID


def _fields(pairs: list[str]) -> dict[str, str]:
    form = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--field 应写成 名称=值 / --field takes name=value, got {pair!r}")
        form[name.strip()] = value
    return form


def _report_field_errors(exc: FieldErrors) -> int:
    print("错误 / error: 表单有误，未写入任何内容 / the form has problems; nothing was written", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem.field}: {problem.message_zh} / {problem.message_en}", file=sys.stderr)
    return 2


def _write_pdf(desk: CertificateDesk, cert_id: str, out: str | None) -> None:
    if out:
        write_atomic(Path(out), desk.pdf(cert_id))
        print(f"PDF: {out}", file=sys.stderr)


def cmd_issue(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "certificate.issue")
        desk = CertificateDesk(node)
        try:
            issued = desk.issue(user, args.type, _fields(args.field), args.valid_from, args.valid_until)
        except FieldErrors as exc:
            return _report_field_errors(exc)
        _write_pdf(desk, issued.cert_id, args.pdf)
    print(issued.cert_id)
    return 0


def _change(kind: str, action: str):
    def command(args: argparse.Namespace) -> int:
        with open_node(args) as node:
            user = signed_in(node, args, action)
            desk = CertificateDesk(node)
            leaf = desk.change(user, kind, args.id, args.reason, getattr(args, "cause", None))
            _write_pdf(desk, args.id, args.pdf)
        print(f"{kind} {args.id} (seq {leaf.record.seq})")
        return 0

    return command


def cmd_supersede(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args, "certificate.supersede")
        desk = CertificateDesk(node)
        _, old_values = desk.private_values(args.id)
        form = {name: str(value) for name, value in old_values.items()} | _fields(args.field)
        try:
            issued = desk.supersede(user, args.id, form, args.reason, args.valid_from, args.valid_until)
        except FieldErrors as exc:
            return _report_field_errors(exc)
        _write_pdf(desk, issued.cert_id, args.pdf)
    print(issued.cert_id)
    return 0


def cmd_reprint(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        signed_in(node, args, "certificate.issue")
        desk = CertificateDesk(node)
        desk.status(args.id)
        _write_pdf(desk, args.id, args.pdf)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        user = signed_in(node, args)
        gone = CertificateDesk(node).erase(user, args.id)
    print("已删除 / erased" if gone else "无可删除的数据 / nothing to erase")
    return 0


def register(sub: argparse._SubParsersAction, plugins) -> None:
    def command(parser: argparse.ArgumentParser, func, writes: bool = True) -> argparse.ArgumentParser:
        parser.add_argument("--home", required=True, help="the agency's node home")
        parser.add_argument("--user", required=True, help="sign in as (password: CITYCHAIN_PASSWORD or prompt)")
        parser.set_defaults(func=func, plugins=plugins)
        return parser

    types = ", ".join(BY_ID)
    p = command(sub.add_parser("issue", help="issue a certificate (clerk); prints its id"), cmd_issue)
    p.add_argument("--type", required=True, choices=sorted(BY_ID), metavar="TYPE", help=types)
    p.add_argument("--field", action="append", metavar="NAME=VALUE", help="a field of the type (repeat)")
    p.add_argument("--valid-from", help="YYYY-MM-DD (default today)")
    p.add_argument("--valid-until", help="YYYY-MM-DD (default: the type's validity)")
    p.add_argument("--pdf", help="write the sealed PDF here")
    for name, kind, action, text in (
        ("revoke", kinds.REVOKED, "certificate.revoke", "revoke for good (supervisor)"),
        ("suspend", kinds.SUSPENDED, "certificate.suspend", "suspend (supervisor)"),
        ("reinstate", kinds.REINSTATED, "certificate.reinstate", "lift a suspension (supervisor)"),
    ):
        p = command(sub.add_parser(name, help=text), _change(kind, action))
        p.add_argument("id")
        p.add_argument("--reason", required=True)
        p.add_argument("--pdf", help="write the PDF as it now prints (marked void)")
        if kind == kinds.REVOKED:
            p.add_argument("--cause", choices=sorted(CAUSES), help="the event that ended it (shown in every verdict)")
    p = command(
        sub.add_parser("supersede", help="renew or correct: a new version replaces ID (supervisor)"), cmd_supersede
    )
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p.add_argument("--field", action="append", metavar="NAME=VALUE", help="fields that change (repeat)")
    p.add_argument("--valid-from")
    p.add_argument("--valid-until")
    p.add_argument("--pdf", help="write the new certificate's sealed PDF here")
    p = command(sub.add_parser("reprint", help="print a certificate again, with the newest proof"), cmd_reprint)
    p.add_argument("id")
    p.add_argument("--pdf", required=True)
    p = command(sub.add_parser("erase", help="a deletion request: erase the personal data (supervisor)"), cmd_erase)
    p.add_argument("id")

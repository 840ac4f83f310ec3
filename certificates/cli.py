"""Certificate commands of `main.py`, for counters without the GUI and for anyone
verifying: issue, revoke, suspend, reinstate, supersede, reprint, erase, verify.

Writing commands sign in as `--user` (password from CITYCHAIN_PASSWORD or a
prompt); the node checks the role, exactly as for the GUI and the HTTP API.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from citychain.cli import open_node, signed_in
from citychain.documents.checks import qr_from_image
from citychain.documents.dispatch import VerifyPlace, claiming_pdf, claiming_qr
from citychain.files import write_atomic

from . import kinds
from .desk import CertificateDesk, display_value
from .fields import FieldErrors
from .qr_text import PREFIX
from .types import BY_ID
from .verify import (
    DEFAULT_MAX_AGE_S,
    HomeStatus,
    NodeStatus,
    Verdict,
    Verifier,
    VerifierConfig,
)


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
            leaf = desk.change(user, kind, args.id, args.reason)
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


def _verifier(args: argparse.Namespace) -> Verifier:
    if args.trust:
        config = VerifierConfig.from_bundle(Path(args.trust))
    elif args.home:
        config = VerifierConfig.from_home(Path(args.home))
    else:
        raise ValueError("需要本机的信任配置：--trust BUNDLE 或 --home DIR / "
                         "give this verifier's own trust configuration: --trust BUNDLE or --home DIR")
    verifier = Verifier(config, max_age_s=args.max_age)
    if args.node:
        verifier.source = NodeStatus(args.node, args.ca)
    elif args.home:
        verifier.source = HomeStatus(Path(args.home), verifier.clock)
    return verifier


def _place(args: argparse.Namespace, verifier: Verifier) -> VerifyPlace:
    home = Path(args.home) if args.home else None
    return VerifyPlace(verifier.config, home, args.node, args.ca, args.max_age, verifier.clock)


def _verify_any(args: argparse.Namespace, verifier: Verifier):
    """A certificate's Verdict, or the outcome of the package whose document
    this is (a donation receipt …: claimed by its QR prefix or proof file name)."""
    documents = tuple(args.documents()) if args.documents else ()
    place = _place(args, verifier)
    if args.qr:
        other = claiming_qr(documents, args.qr)
        return other.verify_qr(args.qr, place) if other else verifier.qr(args.qr)
    if args.image:
        text, problem = qr_from_image(Path(args.image).read_bytes(), (PREFIX, *(d.qr_prefix for d in documents)))
        if text is None:
            return Verdict("MALFORMED", problem[0], problem[1], source="image")
        other = claiming_qr(documents, text)
        return other.verify_qr(text, place, source="image") if other else replace(verifier.qr(text), source="image")
    if args.file:
        data = Path(args.file).read_bytes()
        other = claiming_pdf(documents, data)
        return other.verify_pdf(data, place) if other else verifier.pdf(data)
    raise ValueError("给出 FILE.pdf、--qr TEXT 或 --image FILE / give FILE.pdf, --qr TEXT or --image FILE")


def cmd_verify(args: argparse.Namespace) -> int:
    verdict = _verify_any(args, _verifier(args))
    if not isinstance(verdict, Verdict):
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=1) if args.json else verdict.text())
        return 0 if verdict.ok else 1
    if args.json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=1))
    else:
        print(f"{verdict.code}: {verdict.sentence_zh}\n{' ' * len(verdict.code)}  {verdict.sentence_en}")
        if verdict.detail_en:
            print(f"  {verdict.detail_zh} / {verdict.detail_en}")
        if verdict.cert_id:
            print(f"  {verdict.cert_id}  {verdict.issuer_name_zh or verdict.issuer}  "
                  f"{verdict.valid_from} – {verdict.valid_until or '长期 / no expiry'}")
        licence = BY_ID.get(verdict.type or "")
        for field in licence.fields if licence else ():
            if field.name in verdict.fields:
                shown = display_value(licence, field.name, verdict.fields[field.name])
                print(f"  {field.label_zh} / {field.label_en}: {shown}")
        if verdict.status_checked or verdict.code == "STATUS_UNKNOWN":
            print(f"  状态截至 / status as of: {verdict.status_as_of}  "
                  f"见证 / co-signed by: {', '.join(verdict.cosigners) or '—'}")
    return 0 if verdict.ok else 1


def register(sub: argparse._SubParsersAction, plugins, documents=None) -> None:
    """`documents`: a callable giving the other packages' document verifiers
    (`citychain.documents.dispatch.DocumentVerifier`), asked only when `verify` runs."""
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
    p = command(sub.add_parser("supersede", help="renew or correct: a new version replaces ID (supervisor)"),
                cmd_supersede)
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

    p = sub.add_parser("verify", help="verify a certificate or another CityChain document: exit 0 only when VALID")
    p.add_argument("file", nargs="?", help="a certificate PDF (or a donation receipt PDF …)")
    p.add_argument("--qr", help="the text of a certificate's (or a receipt's) QR code")
    p.add_argument("--image", help="a photo or scan of the page")
    p.add_argument("--trust", help="a trust bundle (trust export) as this verifier's configuration")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--home", help="a node home: its trust log, and its copy of the ledger for status")
    where.add_argument("--node", help="a node URL to ask for status (with --trust)")
    p.add_argument("--ca", help="CA file for an HTTPS --node")
    p.add_argument("--max-age", type=int, default=DEFAULT_MAX_AGE_S, help="seconds a node's copy may lag")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify, plugins=plugins, documents=documents)

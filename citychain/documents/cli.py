"""`main.py verify`: any CityChain document, through the one door.

The trust configuration is this verifier's own (`--trust` or `--home`); the
document kinds come from the plug-ins `main.py` hands over, so a kind a
domain package registers is verified here without this module knowing it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from citychain.clock import SystemClock

from .checks import DEFAULT_MAX_AGE_S, VerifierConfig
from .door import IMAGE, PDF, QR, Document, VerifyPlace, document_kinds, verify_document
from .log_report import HomeReports, NodeReports


def place_of(args: argparse.Namespace) -> VerifyPlace:
    if args.trust:
        config = VerifierConfig.from_bundle(Path(args.trust))
    elif args.home:
        config = VerifierConfig.from_home(Path(args.home))
    else:
        raise ValueError(
            "需要本机的信任配置：--trust BUNDLE 或 --home DIR / "
            "give this verifier's own trust configuration: --trust BUNDLE or --home DIR"
        )
    clock = SystemClock()
    status: HomeReports | NodeReports | None = None
    if args.node:
        status = NodeReports(args.node, args.ca, revoked=config.trust.revoked_now(clock))
    elif args.home:
        status = HomeReports(Path(args.home), clock)
    return VerifyPlace(config, status, args.max_age, clock)


def document_of(args: argparse.Namespace) -> Document:
    if args.qr:
        return Document(QR, args.qr)
    if args.image:
        return Document(IMAGE, Path(args.image).read_bytes())
    if args.file:
        return Document(PDF, Path(args.file).read_bytes())
    raise ValueError("给出 FILE.pdf、--qr TEXT 或 --image FILE / give FILE.pdf, --qr TEXT or --image FILE")


def cmd_verify(args: argparse.Namespace) -> int:
    place = place_of(args)
    outcome = verify_document(document_of(args), place, document_kinds(args.plugins()))
    print(json.dumps(outcome.to_json(), ensure_ascii=False, indent=1) if args.json else outcome.text())
    return 0 if outcome.ok else 1


def register(sub: argparse._SubParsersAction, plugins) -> None:
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
    p.set_defaults(func=cmd_verify, plugins=plugins)

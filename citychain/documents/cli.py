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
from .door import IMAGE, PDF, QR, Document, VerifyPlace, document_kinds, verify_among
from .log_report import HomeReports, NodeReports


def places_of(args: argparse.Namespace) -> list[VerifyPlace]:
    """One place per trusted city: several `--trust` bundles verify offline (or a
    node's status is asked of the one city it belongs to: give one `--trust`)."""
    if args.trust and len(args.trust) > 1:
        if args.node or args.home or args.policy:
            raise ValueError(
                "多个 --trust 时只能离线核验（不能同时给 --node、--home 或 --policy） / "
                "with several --trust bundles the check is offline: no --node, --home or --policy"
            )
        return [VerifyPlace(VerifierConfig.from_bundle(Path(t)), None, args.max_age) for t in args.trust]
    return [place_of(args)]


def place_of(args: argparse.Namespace) -> VerifyPlace:
    if args.trust:
        config = VerifierConfig.from_bundle(Path(args.trust[0]), args.policy)
    elif args.home:
        config = VerifierConfig.from_home(Path(args.home), args.policy)
    else:
        raise ValueError(
            "需要本机的信任配置：--trust BUNDLE 或 --home DIR / "
            "give this verifier's own trust configuration: --trust BUNDLE or --home DIR"
        )
    clock = SystemClock()
    status: HomeReports | NodeReports | None = None
    if args.node:
        status = NodeReports(args.node[0], args.ca, revoked=config.trust.revoked_now(clock))
    elif args.home:
        status = HomeReports(Path(args.home), clock)
    seconds = status.seconds(config.trust, (args.node or [])[1:]) if status is not None else ()
    return VerifyPlace(config, status, args.max_age, clock, seconds)


def document_of(args: argparse.Namespace) -> Document:
    if args.qr:
        return Document(QR, args.qr)
    if args.image:
        return Document(IMAGE, Path(args.image).read_bytes())
    if args.file:
        return Document(PDF, Path(args.file).read_bytes())
    raise ValueError("给出 FILE.pdf、--qr TEXT 或 --image FILE / give FILE.pdf, --qr TEXT or --image FILE")


def cmd_verify(args: argparse.Namespace) -> int:
    outcome = verify_among(document_of(args), places_of(args), document_kinds(args.plugins()))
    print(json.dumps(outcome.to_json(), ensure_ascii=False, indent=1) if args.json else outcome.text())
    return 0 if outcome.ok else 1


def register(sub: argparse._SubParsersAction, plugins) -> None:
    p = sub.add_parser("verify", help="verify a certificate or another CityChain document: exit 0 only when VALID")
    p.add_argument("file", nargs="?", help="a certificate PDF (or a donation receipt PDF …)")
    p.add_argument("--qr", help="the text of a certificate's (or a receipt's) QR code")
    p.add_argument("--image", help="a photo or scan of the page")
    p.add_argument(
        "--trust",
        action="append",
        help="a trust bundle (trust export) as this verifier's configuration; repeat for several cities",
    )
    p.add_argument(
        "--policy",
        help="a C2SP tlog-policy file (trust export writes one beside the bundle): its quorum wins over the bundle's",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--home", help="a node home: its trust log, and its copy of the ledger for status")
    where.add_argument(
        "--node",
        action="append",
        help="a node URL to ask for status (with --trust); a second --node is asked too when the first says valid",
    )
    p.add_argument("--ca", help="CA file for an HTTPS --node")
    p.add_argument("--max-age", type=int, default=DEFAULT_MAX_AGE_S, help="seconds a node's copy may lag")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify, plugins=plugins)

#!/usr/bin/env python3
"""CityChain — trusted-city ledger nodes, licences and charity tracing.

`python main.py` opens the counter app; `python main.py COMMAND …` runs the
administration commands (see README). This file only wires the packages
together: the ledger core knows nothing of the domain plug-ins it is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def plugins() -> Sequence:
    """Domain packages plug their record kinds (and their document kinds) in here."""
    from certificates.kinds import PLUGIN as certificates
    from charity.kinds import PLUGIN as charity

    return (certificates, charity)


def build_parser() -> argparse.ArgumentParser:
    from certificates import cli as certificates_cli
    from charity import cli as charity_cli
    from citychain import cli as ledger_cli
    from citychain.documents import cli as documents_cli
    from democity import cli as demo_cli

    parser = argparse.ArgumentParser(
        prog="main.py", description="CityChain 可信城市: agency ledger nodes and their tools"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo_cli.register(sub, plugins)
    ledger_cli.register(sub, plugins)
    certificates_cli.register(sub, plugins)
    documents_cli.register(sub, plugins)  # `verify`: every kind of document the plug-ins register
    charity_cli.register(sub, plugins)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith(("--home", "--node", "--ca", "--language")):
        from ui.app import run

        return run(argv)
    if argv[0] == "kiosk":
        from ui.kiosk.app import run as run_kiosk

        return run_kiosk(argv[1:])
    from citychain.cli import run_command

    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())

"""`city demo DIR`: build the demo city and say how to sign in."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import spec


def cmd_city_demo(args: argparse.Namespace) -> int:
    from .build import create_demo_city  # the builder loads the whole node stack; other commands need none of it

    cheap = {}
    if args.cheap_keys:  # the demo's passphrase and passwords are printed below: slow hashing guards nothing
        from citychain.accounts.users import Argon2Params
        from citychain.log.keys import KdfCost

        cheap = {"cost": KdfCost.cheap(), "argon2": Argon2Params.fast()}
    from citychain.log.suite import named

    city = create_demo_city(Path(args.dir), args.plugins(), registry_rules=True, suite=named(args.suite), **cheap)
    print(f"演示城市已创建 / demo city created in {city.path}")
    print(f"  {spec.ROOT:<22} {spec.ROOT_AGENCY.name_zh} / {spec.ROOT_AGENCY.name_en}")
    for agency in city.agencies:
        print(f"  {agency.id:<22} {agency.name_zh} / {agency.name_en}")
    print("每个机构的节点目录 / node home of each agency: " + str(city.path / "<agency id>"))
    print("演示用户 / demo users (every home):")
    for role, password in spec.PASSWORDS.items():
        print(f"  {role:<11} password: {password}")
    print(f"节点口令 / node key passphrase (demo only): {spec.PASSPHRASE}")
    return 0


def register(sub: argparse._SubParsersAction, plugins) -> None:
    city = sub.add_parser("city", help="city-wide set-up").add_subparsers(dest="what", required=True)
    p = city.add_parser("demo", help="create a demo city: root authority and five agencies")
    p.add_argument("dir")
    p.add_argument(
        "--cheap-keys",
        action="store_true",
        help="seal keys and hash passwords cheaply (still scrypt and Argon2id): a city for tests and quick trials",
    )
    p.add_argument(
        "--suite",
        choices=["ed25519-sha256", "sm2-sm3"],
        default="ed25519-sha256",
        help="the city's algorithms: ed25519-sha256 (default) or sm2-sm3 (国密 SM2/SM3/SM4)",
    )
    p.set_defaults(func=cmd_city_demo, plugins=plugins)
    from citychain.cli import register_city

    register_city(city, plugins)  # `city enrol`: the real, file-based enrolment

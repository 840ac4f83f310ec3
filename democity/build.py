"""Create the demo city: a root authority and five agencies, each a node home."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from citychain.accounts.users import Argon2Params
from citychain.clock import Clock, SystemClock, format_time
from citychain.log.keys import KdfCost
from citychain.node.bundle import export_bundle, write_bundle
from citychain.node.home import Home, HomeError
from citychain.node.kinds import Plugin
from citychain.node.node import Node
from citychain.node.tls import init_city_ca, issue_node_seal, issue_node_tls
from citychain.node.trust import REGISTERED, key_json

from . import charity_demo, samples, spec
from .mesh import demo_url, mesh

PASSPHRASE_FILE = "demo-passphrase.txt"
BUNDLE_FILE = "trust-bundle.json"  # what a kiosk of the demo city loads


@dataclass(frozen=True)
class DemoCity:
    path: Path
    agencies: tuple[spec.DemoAgency, ...]

    def home(self, agency_id: str) -> Path:
        return self.path / agency_id


def _new_home(path: Path, agency: str, root_keys: tuple[bytes, ...], cost: KdfCost):
    path.mkdir(parents=True, exist_ok=True)
    (path / PASSPHRASE_FILE).write_text(spec.PASSPHRASE + "\n", encoding="utf-8")
    os.chmod(path / PASSPHRASE_FILE, 0o600)
    return Node.create(
        path, spec.CITY, agency, spec.ROOT, root_keys, spec.PASSPHRASE, cost, passphrase_file=PASSPHRASE_FILE
    )


def _trust_log_peers(home: Path, use: bool) -> None:
    """Whether the home syncs with the agencies' URLs in its trust log. Off
    while the city is built: nothing serves at the demo addresses yet, and
    another city's node may."""
    config = Home(home).config()
    extra = {name: value for name, value in config.extra.items() if name != "sync"}
    Home(home).write_config(replace(config, extra=extra if use else {**extra, "sync": {"trust_log_peers": False}}))


def _add_demo_users(node: Node) -> None:
    """One user per role, named after the role (the first admin bootstraps)."""
    node.users.add_user(None, "admin", "admin", spec.PASSWORDS["admin"], display_name=spec.DISPLAY_NAMES["admin"])
    admin = node.users.authenticate("admin", spec.PASSWORDS["admin"])
    for role, password in spec.PASSWORDS.items():
        if role != "admin":
            node.users.add_user(admin, role, role, password, display_name=spec.DISPLAY_NAMES[role])


def _registration(agency: spec.DemoAgency, identity, now: str, url: str) -> dict:
    """An agency's entry in the trust log, with its demo node's fixed address:
    the homes find each other there."""
    return {
        "agency": agency.id,
        "name_zh": agency.name_zh,
        "name_en": agency.name_en,
        "keys": [key_json(identity.kid, identity.public_key, now)],
        "permissions": list(agency.permissions),
        "attributes": {"uscc": agency.uscc},
        "url": url,
    }


def _demo_tls(homes: list[Path], cost: KdfCost, clock: Clock | None) -> None:
    """The city root CA in the root's home, and for every node a loopback TLS
    certificate and a document-signing certificate for its PDF seal."""
    now = (clock or SystemClock()).now()
    root = Home(homes[0])
    init_city_ca(root, spec.ROOT_AGENCY.name_zh[:30], "Demo City Root CA", now, cost)
    names = {a.id: a for a in (spec.ROOT_AGENCY, *spec.AGENCIES)}
    for home in homes:
        issue_node_tls(Home(home), root, ["127.0.0.1", "localhost"], now, cost)
        agency = names[Home(home).config().agency]
        issue_node_seal(Home(home), root, agency.name_zh, agency.name_en, now, cost)


def create_demo_city(
    target: Path,
    plugins: Sequence[Plugin] = (),
    cost: KdfCost = KdfCost(),
    argon2: Argon2Params | None = None,
    clock: Clock | None = None,
    trust_log_peers: bool = True,
) -> DemoCity:
    """`trust_log_peers=False`: homes that sync only with peers added by hand
    (tests, whose nodes listen on ports of their own)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise HomeError(f"{target} is not empty; the demo city needs a new folder")
    root_identity = _new_home(target / spec.ROOT, spec.ROOT, (), cost)
    pins = (root_identity.public_key,)
    identities = {a.id: _new_home(target / a.id, a.id, pins, cost) for a in spec.AGENCIES}
    homes = [target / spec.ROOT] + [target / a.id for a in spec.AGENCIES]
    for home in homes:
        _trust_log_peers(home, False)

    with Node.open(target / spec.ROOT, plugins, clock=clock, argon2=argon2) as root:
        _add_demo_users(root)
        root.bootstrap_trust_log(spec.ROOT_AGENCY.name_zh, spec.ROOT_AGENCY.name_en, demo_url(0))
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        now = format_time(root.clock.now())
        registrations = [
            (REGISTERED, _registration(a, identities[a.id], now, demo_url(i))) for i, a in enumerate(spec.AGENCIES, 1)
        ]
        root.append(admin, registrations)
        bundle = export_bundle(root.store, spec.CITY, spec.ROOT, pins)
    for agency in spec.AGENCIES:
        with Node.open(target / agency.id, plugins, clock=clock, argon2=argon2) as node:
            _add_demo_users(node)
            node.import_trust_bundle(bundle)
    _demo_tls(homes, cost, clock)
    with_certificates = any(p.name == "certificates" for p in plugins)
    plan = samples.issue_samples(target, plugins, clock, argon2, cost) if with_certificates else []
    with_charity = any(p.name == "charity" for p in plugins)
    charity_plan = charity_demo.populate(target, plugins, clock, argon2, cost) if with_charity else None
    mesh(homes, plugins, clock)
    for home in homes:
        _trust_log_peers(home, trust_log_peers)
    if plan:
        samples.print_samples(target, plan, plugins, clock, argon2)
    if charity_plan:
        charity_demo.print_receipts(target, charity_plan, plugins, clock, argon2)
    write_bundle(
        target / BUNDLE_FILE,
        replace(
            bundle,
            city_ca_pem=Home(homes[0]).city_ca_path.read_text("ascii"),
            witness_quorum=2,
        ),
    )
    return DemoCity(target, spec.AGENCIES)

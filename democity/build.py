"""Create the demo city: a root authority and five agencies, each a node home.

Built the way a real city is (`city init`, then for each agency `node
enrol-request`, `city enrol`, `node enrol-accept`), only in one process and
with the fingerprint read from the file instead of over the telephone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from certificates.registry import RULES as REGISTRY_RULES
from citychain.accounts.users import Argon2Params
from citychain.clock import Clock, SystemClock
from citychain.log.keys import KdfCost
from citychain.log.suite import DEFAULT, Suite
from citychain.node.bundle import export_bundle, trust_from_bundle, write_bundle
from citychain.node.enrol import accept, enrol, fingerprint, make_request, read_request
from citychain.node.founding import Founding, found_city
from citychain.node.home import Home, HomeError
from citychain.node.kinds import Plugin
from citychain.node.node import Node
from citychain.node.policies import write_city_policy
from citychain.node.trust import RULES_ACTIVATED

from . import charity_demo, samples, spec
from .mesh import demo_url, mesh

PASSPHRASE_FILE = "demo-passphrase.txt"
LOOPBACK = ("127.0.0.1", "localhost")  # every demo node's TLS names: a city on one machine
BUNDLE_FILE = "trust-bundle.json"  # what a kiosk of the demo city loads


@dataclass(frozen=True)
class DemoCity:
    path: Path
    agencies: tuple[spec.DemoAgency, ...]

    def home(self, agency_id: str) -> Path:
        return self.path / agency_id


def _passphrase_file(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / PASSPHRASE_FILE).write_text(spec.PASSPHRASE + "\n", encoding="utf-8")
    os.chmod(path / PASSPHRASE_FILE, 0o600)


def _trust_log_peers(home: Path, use: bool) -> None:
    """Whether the home syncs with the agencies' URLs in its trust log. Off
    while the city is built: nothing serves at the demo addresses yet, and
    another city's node may."""
    config = Home(home).config()
    extra = {name: value for name, value in config.extra.items() if name != "sync"}
    Home(home).write_config(replace(config, extra=extra if use else {**extra, "sync": {"trust_log_peers": False}}))


def _add_demo_users(node: Node, with_admin: bool = True) -> None:
    """One user per role, named after the role (the first admin bootstraps)."""
    if with_admin:
        node.users.add_user(None, "admin", "admin", spec.PASSWORDS["admin"], display_name=spec.DISPLAY_NAMES["admin"])
    admin = node.users.authenticate("admin", spec.PASSWORDS["admin"])
    for role, password in spec.PASSWORDS.items():
        if role != "admin":
            node.users.add_user(admin, role, role, password, display_name=spec.DISPLAY_NAMES[role])


def _found(target: Path, plugins, cost: KdfCost, clock: Clock | None, argon2, suite: Suite = DEFAULT) -> bytes:
    """`city init` for the demo root; returns its public key."""
    _passphrase_file(target / spec.ROOT)
    plan = Founding(
        spec.CITY,
        spec.ROOT_AGENCY.name_zh,
        spec.ROOT_AGENCY.name_en,
        demo_url(0),
        LOOPBACK,
        admin_display_name=spec.DISPLAY_NAMES["admin"],
        suite=suite,
    )
    now = (clock or SystemClock()).now()
    founded = found_city(
        target / spec.ROOT, plan, spec.PASSPHRASE, spec.PASSWORDS["admin"], now, plugins, cost, clock, argon2,
        passphrase_file=PASSPHRASE_FILE,
    )  # fmt: skip
    with Node.open(target / spec.ROOT, plugins, clock=clock, argon2=argon2) as root:
        _add_demo_users(root, with_admin=False)
    return founded.identity.public_key


def _enrol_agency(root: Node, admin, home: Path, agency: spec.DemoAgency, url: str, pins, plugins, cost, argon2):
    """`node init`, `node enrol-request`, `city enrol`, `node enrol-accept`."""
    _passphrase_file(home)
    Node.create(home, spec.CITY, agency.id, spec.ROOT, pins, spec.PASSPHRASE, cost, passphrase_file=PASSPHRASE_FILE)
    request = make_request(Home(home), url, list(LOOPBACK), agency.name_zh, agency.name_en, agency.uscc, cost)
    now = root.clock.now()
    response = enrol(root, admin, read_request(request, fingerprint(request)), list(agency.permissions), {}, now)
    with Node.open(home, plugins, clock=root.clock, argon2=argon2) as node:
        _add_demo_users(node)
        accept(node, response, now)


def create_demo_city(
    target: Path,
    plugins: Sequence[Plugin] = (),
    cost: KdfCost = KdfCost(),
    argon2: Argon2Params | None = None,
    clock: Clock | None = None,
    trust_log_peers: bool = True,
    registry_rules: bool = False,
    suite: Suite = DEFAULT,
) -> DemoCity:
    """`trust_log_peers=False`: homes that sync only with peers added by hand
    (tests, whose nodes listen on ports of their own). `registry_rules`: the
    root puts the certificates' registry rules in force before the first sample
    (`city demo` does; test cities that issue the samples again do not).
    `suite`: the city's algorithms (`city demo --suite sm2-sm3` for a 国密 city)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise HomeError(f"{target} is not empty; the demo city needs a new folder")
    with_certificates = any(p.name == "certificates" for p in plugins)
    registry_rules = registry_rules and with_certificates
    pins = (_found(target, plugins, cost, clock, argon2, suite),)
    homes = [target / spec.ROOT] + [target / a.id for a in spec.AGENCIES]
    with Node.open(target / spec.ROOT, plugins, clock=clock, argon2=argon2) as root:
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        for i, agency in enumerate(spec.AGENCIES, 1):
            _enrol_agency(root, admin, homes[i], agency, demo_url(i), pins, plugins, cost, argon2)
        if registry_rules:  # in force before the first sample: every sample obeys them
            root.append(admin, [(RULES_ACTIVATED, {"rules": REGISTRY_RULES})])
        ca_pem = Home(homes[0]).city_ca_path.read_text("ascii")
        bundle = export_bundle(root.store, spec.CITY, spec.ROOT, pins, ca_pem, root.config.witness_quorum)
    for home in homes:
        _trust_log_peers(home, False)
    for home in homes[1:]:  # what each learns from the root's log on its first sync
        with Node.open(home, plugins, clock=clock, argon2=argon2) as node:
            node.import_trust_bundle(bundle)
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
    write_bundle(target / BUNDLE_FILE, bundle)
    write_city_policy(target / BUNDLE_FILE, trust_from_bundle(bundle), spec.CITY, bundle.witness_quorum)  # §14
    return DemoCity(target, spec.AGENCIES)

"""The root authority's home: founding a city in one step, and keeping a copy
of the city CA that can be trusted to open.

The root holds three things no agency sees: its Ed25519 key (trust log), the
city CA key (certificates) and its own node's TLS and seal keys. `found_city`
makes all of them where they will be used; the CA may go to removable media
(`ca_dir`), needed only to enrol or renew agencies.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from citychain.accounts.users import Argon2Params
from citychain.clock import Clock
from citychain.log.keys import KdfCost
from citychain.log.suite import DEFAULT, Suite
from citychain.node.enrol import certificate_records, check_fields
from citychain.node.home import Home, HomeError
from citychain.node.kinds import Plugin
from citychain.node.node import Identity, Node
from citychain.node.tls import Issuing, ca_passphrase, ca_passphrase_for, init_city_ca, issue_node_seal, issue_node_tls
from citychain.pki.ca import CA_CERT_FILE, CA_KEY_FILE, cert_fingerprint, load_ca_cert, load_cert, open_ca
from citychain.pki.ca import ROOT_AGENCY as DEFAULT_ROOT


@dataclass(frozen=True)
class Founded:
    identity: Identity  # the root key agencies pin
    ca_cert: Path
    ca_fingerprint: str
    tls_cert: Path
    seal_cert: Path


@dataclass(frozen=True)
class Founding:
    """What `city init` is told; names go into the trust log and certificates."""

    city: str
    name_zh: str
    name_en: str
    url: str
    hosts: tuple[str, ...]
    admin: str = "admin"
    admin_display_name: str | None = None
    agency: str = DEFAULT_ROOT
    ca_dir: Path | None = None  # default HOME/ca
    suite: Suite = DEFAULT  # the city's algorithms, fixed for good at founding


def found_city(
    path: Path,
    plan: Founding,
    passphrase: str,
    admin_password: str,
    now: datetime,
    plugins: Sequence[Plugin] = (),
    cost: KdfCost = KdfCost(),
    clock: Clock | None = None,
    argon2: Argon2Params | None = None,
    passphrase_file: str | None = None,
) -> Founded:
    """The root authority's home: key, first admin, trust log naming its own
    URL, the city CA, and its node's TLS and seal certificates. A failure on
    the way leaves no half-made home or CA behind, so the command can be run again."""
    check_fields(plan.url, list(plan.hosts), plan.name_zh, plan.name_en, None)
    path = Path(path)
    ca_dir = Path(plan.ca_dir).absolute() if plan.ca_dir else None
    if ca_dir is not None and any((ca_dir / name).exists() for name in (CA_CERT_FILE, CA_KEY_FILE)):
        raise HomeError(f"{ca_dir} already holds a city CA; give an empty folder")
    before = set(path.iterdir()) if path.is_dir() else set()
    identity = Node.create(
        path,
        plan.city,
        plan.agency,
        plan.agency,
        (),
        passphrase,
        cost,
        passphrase_file=passphrase_file,
        suite=plan.suite,
    )
    home = Home(path)
    try:
        if ca_dir is not None:
            config = home.config()
            home.write_config(replace(config, extra={**config.extra, "ca": {"dir": str(ca_dir)}}))
        by = Issuing(home, ca_passphrase_for(passphrase), passphrase, now, cost)
        ca_cert = init_city_ca(home, plan.name_zh, plan.name_en, now, by.ca_passphrase, cost)
        tls_cert = issue_node_tls(home, plan.hosts, by)
        seal_cert = issue_node_seal(home, plan.name_zh, plan.name_en, by)
        ca = load_ca_cert(home.ca_dir)
        with Node.open(home.path, plugins, passphrase=passphrase, clock=clock, argon2=argon2) as node:
            display_name = plan.admin_display_name or plan.admin
            node.users.add_user(None, plan.admin, "admin", admin_password, display_name=display_name)
            node.bootstrap_trust_log(plan.name_zh, plan.name_en, plan.url)
            admin = node.users.authenticate(plan.admin, admin_password)
            facts = certificate_records(node.trust, plan.agency, load_cert(tls_cert), load_cert(seal_cert), ca)
            node.append(admin, facts, target=plan.agency)  # the CA and the root's own certificates, revocable
    except BaseException:
        _unmake(path, before, ca_dir)
        raise
    return Founded(identity, ca_cert, cert_fingerprint(ca), tls_cert, seal_cert)


def _unmake(path: Path, before: set[Path], ca_dir: Path | None) -> None:
    """Remove what a failed `found_city` made, and only that, so it can run again."""
    for item in set(path.iterdir()) - before:
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    if ca_dir is not None:
        for name in (CA_CERT_FILE, CA_KEY_FILE):
            (ca_dir / name).unlink(missing_ok=True)


def backup_ca(home: Home, out: Path, now: datetime) -> str:
    """Copy the city CA (certificate and sealed key) to `out`, then prove the
    copy opens with the CA passphrase and belongs to the certificate; returns
    the CA certificate's fingerprint."""
    source, passphrase = home.ca_dir, ca_passphrase(home)
    cert, _ = open_ca(source, passphrase, now)  # a wrong passphrase is found before anything is copied
    out = Path(out)
    if any((out / name).exists() for name in (CA_CERT_FILE, CA_KEY_FILE)):
        raise HomeError(f"{out} already holds a city CA; give an empty folder")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in (CA_CERT_FILE, CA_KEY_FILE):
        shutil.copy2(source / name, out / name)
    open_ca(out, passphrase, now)  # the copy opens, its key is the certificate's, the CA is in date
    return cert_fingerprint(cert)

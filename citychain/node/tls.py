"""HTTPS for nodes: the city root CA lives in the root authority's home; each
node gets a TLS key (sealed with its own passphrase) and a certificate from it,
and keeps the CA certificate as its trust anchor for peers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from citychain.log.keys import KdfCost
from citychain.node.home import Home, HomeError
from citychain.node.node import resolve_passphrase
from citychain.pki.ca import (
    create_root_ca,
    issue_signing_cert,
    issue_tls_cert,
    load_ca_cert,
    new_ec_key,
    save_cert,
    save_sealed_key,
)

CA_PASSPHRASE_ENV = "CITYCHAIN_CA_PASSPHRASE"


def node_passphrase(home: Home) -> str:
    """The home's own passphrase (its passphrase file, else CITYCHAIN_PASSPHRASE or a prompt)."""
    return resolve_passphrase(home, home.config(), None)


def ca_passphrase_for(node_passphrase: str) -> str:
    """CITYCHAIN_CA_PASSPHRASE, else the root's node passphrase: everywhere the CA key is sealed or opened."""
    return os.environ.get(CA_PASSPHRASE_ENV) or node_passphrase


def ca_passphrase(root: Home) -> str:
    """`ca_passphrase_for` the root home, asking for its node passphrase only when needed."""
    return os.environ.get(CA_PASSPHRASE_ENV) or node_passphrase(root)


def init_city_ca(
    root: Home, name_zh: str, name_en: str, now: datetime, ca_passphrase: str, cost: KdfCost = KdfCost()
) -> Path:
    """Create the city root CA in the root authority's home; returns its certificate path."""
    config = root.config()
    if config.agency != config.root_agency:
        raise HomeError(f"{root.path} is not the root authority's home; the city CA lives there")
    root.ca_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = create_root_ca(
        root.ca_dir, config.city, name_zh, name_en, ca_passphrase, cost, now, cipher=config.suite.cipher
    )
    return info.cert_path


@dataclass(frozen=True)
class Issuing:
    """The CA that certifies a node's new key, and the passphrases that open
    the CA and seal the key: a home never learns another's passphrase."""

    root: Home
    ca_passphrase: str
    node_passphrase: str
    now: datetime
    cost: KdfCost = KdfCost()


def issue_node_tls(node: Home, hosts: Sequence[str], by: Issuing) -> Path:
    """A new TLS key for `node`, certified by the city CA for `hosts`."""
    key = new_ec_key()
    agency = node.config().agency
    cert = issue_tls_cert(by.root.ca_dir, by.ca_passphrase, agency, list(hosts), key.public_key(), by.now)
    _install(node, node.tls_key_path, node.tls_cert_path, key, cert, by)
    return node.tls_cert_path


def issue_node_seal(node: Home, name_zh: str, name_en: str, by: Issuing) -> Path:
    """A new document-signing key for `node`'s PDF seal, certified by the city CA."""
    key = new_ec_key()
    agency = node.config().agency
    cert = issue_signing_cert(by.root.ca_dir, by.ca_passphrase, agency, name_zh, name_en, key.public_key(), by.now)
    _install(node, node.seal_key_path, node.seal_cert_path, key, cert, by)
    return node.seal_cert_path


def _install(node: Home, key_path: Path, cert_path: Path, key, cert, by: Issuing) -> None:
    cert_path.parent.mkdir(mode=0o700, exist_ok=True)
    save_sealed_key(key_path, key, by.node_passphrase, by.cost, node.config().suite.cipher)
    save_cert(cert_path, cert)
    shutil.copyfile(load_ca_path(by.root), node.city_ca_path)


def load_ca_path(root: Home) -> Path:
    load_ca_cert(root.ca_dir)  # refuses a missing or damaged CA certificate
    return next(root.ca_dir.glob("ca.crt"))

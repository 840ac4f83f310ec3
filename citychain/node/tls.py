"""HTTPS for nodes: the city root CA lives in the root authority's home; each
node gets a TLS key (sealed with its own passphrase) and a certificate from it,
and keeps the CA certificate as its trust anchor for peers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
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


def _passphrase(home: Home, env: str | None = None) -> str:
    if env and os.environ.get(env):
        return os.environ[env]
    return resolve_passphrase(home, home.config(), None)


def ca_passphrase(root: Home) -> str:
    """CITYCHAIN_CA_PASSPHRASE, else the root's node passphrase: everywhere the CA key is sealed or opened."""
    return _passphrase(root, CA_PASSPHRASE_ENV)


def init_city_ca(root: Home, name_zh: str, name_en: str, now: datetime, cost: KdfCost = KdfCost()) -> Path:
    """Create the city root CA in the root authority's home; returns its certificate path."""
    config = root.config()
    if config.agency != config.root_agency:
        raise HomeError(f"{root.path} is not the root authority's home; the city CA lives there")
    root.ca_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = create_root_ca(root.ca_dir, config.city, name_zh, name_en, ca_passphrase(root), cost, now)
    return info.cert_path


def issue_node_tls(node: Home, root: Home, hosts: Sequence[str], now: datetime, cost: KdfCost = KdfCost()) -> Path:
    """A new TLS key for `node`, certified by the city CA for `hosts`."""
    key = new_ec_key()
    cert = issue_tls_cert(root.ca_dir, ca_passphrase(root), node.config().agency, list(hosts), key.public_key(), now)
    node.tls_cert_path.parent.mkdir(mode=0o700, exist_ok=True)
    save_sealed_key(node.tls_key_path, key, _passphrase(node), cost)
    save_cert(node.tls_cert_path, cert)
    shutil.copyfile(load_ca_path(root), node.city_ca_path)
    return node.tls_cert_path


def issue_node_seal(
    node: Home, root: Home, name_zh: str, name_en: str, now: datetime, cost: KdfCost = KdfCost()
) -> Path:
    """A new document-signing key for `node`'s PDF seal, certified by the city CA."""
    key = new_ec_key()
    cert = issue_signing_cert(
        root.ca_dir, ca_passphrase(root), node.config().agency, name_zh, name_en, key.public_key(), now
    )
    node.seal_cert_path.parent.mkdir(mode=0o700, exist_ok=True)
    save_sealed_key(node.seal_key_path, key, _passphrase(node), cost)
    save_cert(node.seal_cert_path, cert)
    shutil.copyfile(load_ca_path(root), node.city_ca_path)
    return node.seal_cert_path


def load_ca_path(root: Home) -> Path:
    load_ca_cert(root.ca_dir)  # refuses a missing or damaged CA certificate
    return next(root.ca_dir.glob("ca.crt"))

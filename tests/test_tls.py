"""Nodes over HTTPS with certificates from the city root CA; a peer whose
certificate another CA issued is refused; no TLS beyond loopback."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from ledger_kit import note
from nodes import NodeProcess, free_port, wait_for

from citychain.log.keys import KdfCost
from citychain.pki.ca import create_root_ca

A, B = "market-regulation", "civil-affairs"
TLS = {"CITYCHAIN_TEST_TLS": "1"}
ROOT = Path(__file__).resolve().parent.parent


def peer_error(node: NodeProcess, url: str) -> str:
    return next((p["error_code"] for p in node.get("/v1/status").json()["peers"] if p["url"] == url), "")


def test_nodes_sync_over_https_with_the_city_ca(demo_city):
    a = NodeProcess(demo_city.home(A), free_port(), env=TLS).start()
    b = NodeProcess(demo_city.home(B), free_port(), [a.url], env=TLS).start()
    try:
        assert a.url.startswith("https://")
        a.append(a.login("clerk"), [note(0), note(1)])
        wait_for(lambda: b.size_of(A) == 2)
    finally:
        a.stop(), b.stop()


def test_a_peer_certified_by_another_ca_is_refused(demo_city, tmp_path):
    other = create_root_ca(
        tmp_path / "other-ca", "elsewhere", "别处", "Elsewhere", "pw-other", KdfCost.cheap(), datetime.now(UTC)
    )
    a = NodeProcess(demo_city.home(A), free_port(), env=TLS).start()
    b = NodeProcess(demo_city.home(B), free_port(), [a.url], env={**TLS, "CITYCHAIN_TEST_CA": str(other.cert_path)})
    b.start()
    try:
        a.append(a.login("clerk"), [note(0)])
        wait_for(lambda: peer_error(b, a.url) == "TLS")
        assert b.size_of(A) == 0
    finally:
        a.stop(), b.stop()


def test_listening_beyond_loopback_without_tls_is_refused(demo_city):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "node",
            "serve",
            "--home",
            str(demo_city.home(A)),
            "--listen",
            "0.0.0.0:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--tls" in done.stderr

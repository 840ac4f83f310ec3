"""Enrolment by files: request on the agency, enrol at the root, accept on the
agency; no shared folder, no private key in either file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nodes import NodeProcess, free_port
from test_cli import cli

from citychain.log.canonical import canonical

ROOT_PASS, WATER_PASS, PARKS_PASS = "pp-root-2026", "pp-water-2026", "pp-parks-2026"


def _init(home: Path, agency: str, passphrase: str, root_key: str | None = None) -> str:
    args = ["node", "init", "--home", str(home), "--city", "hz", "--agency", agency]
    args += ["--root", "--name-zh", "杭州市信任根", "--name-en", "Hangzhou root"] if root_key is None else []
    args += ["--root-key", root_key] if root_key else []
    done = cli(*args, password="admin-pass", passphrase=passphrase)
    assert done.returncode == 0, done.stderr
    return re.search(r"public key \(base64\): (\S+)", done.stdout).group(1)


def _request(home: Path, out: Path, port: int, passphrase: str, zh: str, en: str):
    return cli(
        "node", "enrol-request", "--home", str(home), "--url", f"https://127.0.0.1:{port}",
        "--host", "127.0.0.1", "--host", "localhost", "--name-zh", zh, "--name-en", en,
        "--uscc", "11330100MB0000001R", "--out", str(out), passphrase=passphrase,
    )  # fmt: skip


def _enrol(root: Path, request: Path, fp: str, out: Path):
    return cli(
        "city", "enrol", "--home", str(root), "--user", "admin", str(request), "--fingerprint", fp,
        "--permission", "certificate:water-permit", "--attribute", "district=xihu", "--out", str(out),
        password="admin-pass", passphrase=ROOT_PASS,
    )  # fmt: skip


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A root with a CA, the water authority with a request, the parks bureau
    with another; nothing enrolled yet."""
    base = tmp_path_factory.mktemp("enrol")
    root, water, parks = base / "root", base / "water", base / "parks"
    root_key = _init(root, "city-root", ROOT_PASS)
    done = cli(
        "node", "ca-init", "--home", str(root), "--name-zh", "杭州", "--name-en", "Hangzhou", passphrase=ROOT_PASS
    )
    assert done.returncode == 0, done.stderr
    _init(water, "water-authority", WATER_PASS, root_key)
    _init(parks, "parks-bureau", PARKS_PASS, root_key)
    port = free_port()
    done = _request(water, base / "water-request.json", port, WATER_PASS, "水务局", "Water Authority")
    assert done.returncode == 0, done.stderr
    fp = done.stdout.strip().splitlines()[-1].removeprefix("fingerprint: ")
    done = _request(parks, base / "parks-request.json", free_port(), PARKS_PASS, "园林局", "Parks Bureau")
    assert done.returncode == 0, done.stderr
    return {"base": base, "root": root, "water": water, "parks": parks, "port": port, "fp": fp}


def _trust_size(root: Path) -> str:
    return cli("trust", "show", "--home", str(root)).stdout.splitlines()[0]


def test_a_wrong_fingerprint_is_refused(city):
    before = _trust_size(city["root"])
    out = city["base"] / "nothing.json"
    done = _enrol(city["root"], city["base"] / "water-request.json", "00" * 32, out)
    assert done.returncode == 2 and "fingerprint" in done.stderr and "指纹" in done.stderr
    assert not out.exists() and _trust_size(city["root"]) == before


def test_a_tampered_request_is_refused(city, tmp_path):
    value = json.loads((city["base"] / "water-request.json").read_bytes())
    value["url"] = "https://127.0.0.1:1"
    forged = tmp_path / "forged.json"
    forged.write_bytes(canonical(value))
    from citychain.node.enrol import fingerprint

    out = tmp_path / "response.json"
    done = _enrol(city["root"], forged, fingerprint(forged.read_bytes()), out)
    assert done.returncode == 2 and "signature" in done.stderr, done.stderr
    assert not out.exists()


def test_the_round_trip_then_a_tls_node_serves(city):
    base, water = city["base"], city["water"]
    response = base / "water-response.json"
    done = _enrol(city["root"], base / "water-request.json", city["fp"], response)
    assert done.returncode == 0, done.stderr
    shown = cli("trust", "show", "--home", str(city["root"])).stdout
    assert f"url: https://127.0.0.1:{city['port']}" in shown and "certificate:water-permit" in shown

    # the agency's private keys are in neither file
    held = [(water / "tls" / name).read_text() for name in ("node.key", "seal.key")]
    for path in (base / "water-request.json", response):
        text = path.read_text()
        assert "PRIVATE" not in text and all(json.loads(h)["cipher"]["ciphertext"] not in text for h in held)

    # the same request cannot register twice
    again = _enrol(city["root"], base / "water-request.json", city["fp"], base / "again.json")
    assert again.returncode == 2 and "already registered" in again.stderr

    # a response for the water authority is refused by the parks bureau's home
    done = cli("node", "enrol-accept", "--home", str(city["parks"]), str(response), passphrase=PARKS_PASS)
    assert done.returncode == 2 and "another" in done.stderr, done.stderr

    # a tampered response (here: its peer list) is refused, nothing installed
    value = json.loads(response.read_bytes())
    tampered = base / "tampered.json"
    tampered.write_bytes(canonical({**value, "peers": ["https://evil.example:443"]}))
    done = cli("node", "enrol-accept", "--home", str(water), str(tampered), passphrase=WATER_PASS)
    assert done.returncode == 2 and "not signed" in done.stderr, done.stderr
    assert not (water / "tls" / "node.crt").exists()

    done = cli("node", "enrol-accept", "--home", str(water), str(response), passphrase=WATER_PASS)
    assert done.returncode == 0, done.stderr
    assert "trust log: 2 records" in done.stdout
    assert "water-authority  水务局 / Water Authority" in cli("trust", "show", "--home", str(water)).stdout
    installed = (water / "tls" / "node.key").read_bytes()
    again = _request(water, base / "again-request.json", city["port"], WATER_PASS, "水务局", "Water Authority")
    assert again.returncode == 2 and "already holds its certificates" in again.stderr, again.stderr
    assert (water / "tls" / "node.key").read_bytes() == installed  # the serving key is left alone

    node = NodeProcess(water, city["port"], env={"CITYCHAIN_TEST_TLS": "1", "CITYCHAIN_PASSPHRASE": WATER_PASS})
    node.start()
    try:
        assert node.url == f"https://127.0.0.1:{city['port']}"
        assert node.get("/v1/status").status_code == 200  # verified against the installed city CA
    finally:
        node.stop()


def test_a_csr_for_a_key_the_agency_does_not_hold_is_refused(city):
    """Re-signed with a fresh Ed25519 key, so only the CSR's own signature
    (proof of possession) can catch the swapped public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_csr

    from citychain.log.encoding import b64encode
    from citychain.log.keys import Signer
    from citychain.node.enrol import EnrolError, _signed, fingerprint, read_request

    value = json.loads((city["base"] / "water-request.json").read_bytes())
    der = load_pem_x509_csr(value["tls_csr"].encode()).public_bytes(serialization.Encoding.DER)
    broken = bytearray(der)
    broken[-5] ^= 1  # inside the CSR's signature
    pem = load_pem_x509_csr(
        b"-----BEGIN CERTIFICATE REQUEST-----\n"
        + b64encode(bytes(broken)).encode()
        + b"\n-----END CERTIFICATE REQUEST-----\n"
    ).public_bytes(serialization.Encoding.PEM)
    signer = Signer.generate()
    body = {k: v for k, v in value.items() if k != "signature"}
    data = _signed({**body, "public_key": b64encode(signer.public_raw), "tls_csr": pem.decode()}, signer)
    with pytest.raises(EnrolError, match="TLS CSR's signature"):
        read_request(data, fingerprint(data))
    with pytest.raises(EnrolError, match="not canonical"):
        read_request(data + b" ", fingerprint(data + b" "))


def test_the_ca_key_is_sealed_with_the_ca_passphrase(tmp_path):
    """CITYCHAIN_CA_PASSPHRASE seals the CA key as it opens it: a root may keep
    the CA's passphrase apart from the node's."""
    import os
    import subprocess
    import sys

    root = tmp_path / "root"
    _init(root, "city-root", ROOT_PASS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    env |= {"CITYCHAIN_PASSPHRASE": ROOT_PASS, "CITYCHAIN_CA_PASSPHRASE": "ca-only-passphrase-2026"}
    main = str(Path(__file__).resolve().parent.parent / "main.py")

    def run(*args: str, environment: dict) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, main, *args], env=environment, capture_output=True, text=True, timeout=120
        )

    made = run("node", "ca-init", "--home", str(root), "--name-zh", "杭州", "--name-en", "Hangzhou", environment=env)
    assert made.returncode == 0, made.stderr
    tls = ("node", "tls", "--home", str(root), "--ca-home", str(root), "--host", "127.0.0.1")
    done = run(*tls, environment=env)
    assert done.returncode == 0, done.stderr
    without = run(*tls, environment={k: v for k, v in env.items() if k != "CITYCHAIN_CA_PASSPHRASE"})
    assert without.returncode == 2 and "passphrase" in without.stderr, without.stderr

"""Enrolment by files: request on the agency, enrol at the root, accept on the
agency; no shared folder, no private key in either file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import test_cli
from nodes import NodeProcess, free_port

from citychain.log.canonical import canonical

ROOT_PASS, WATER_PASS, PARKS_PASS = "pp-root-2026", "pp-water-2026", "pp-parks-2026"


def cli(*args: str, **options):
    """The real commands, their keys sealed at test cost (each opening of a home would cost a second)."""
    return test_cli.cli(*args, cheap_keys=True, **options)


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
    """A root made by `city init` with its CA on "removable media", the water
    authority with a request, the parks bureau with another; nothing enrolled yet."""
    base = tmp_path_factory.mktemp("enrol")
    root, water, parks = base / "root", base / "water", base / "parks"
    done = cli(
        "city", "init", "--home", str(root), "--city", "hz", "--name-zh", "杭州市信任根", "--name-en", "Hangzhou root",
        "--url", f"https://127.0.0.1:{free_port()}", "--host", "127.0.0.1", "--ca-dir", str(base / "usb"),
        password="admin-pass", passphrase=ROOT_PASS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    root_key = re.search(r"public key \(base64\): (\S+)", done.stdout).group(1)
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
    held = [(water / "tls" / "pending" / name).read_text() for name in ("node.key", "seal.key")]
    for path in (base / "water-request.json", response):
        text = path.read_text()
        assert "PRIVATE" not in text and all(json.loads(h)["cipher"]["ciphertext"] not in text for h in held)

    # the same request sent again (a lost response) gets the same response: nothing is issued twice
    again = _enrol(city["root"], base / "water-request.json", city["fp"], base / "again.json")
    assert again.returncode == 0 and "answered before" in again.stdout, again.stderr
    assert (base / "again.json").read_bytes() == response.read_bytes()
    assert cli("trust", "show", "--home", str(city["root"])).stdout == shown

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
    assert "trust log: 7 records" in done.stdout  # root, its CA and two certificates; water and its two
    assert "water-authority  水务局 / Water Authority" in cli("trust", "show", "--home", str(water)).stdout
    assert not (water / "tls" / "pending").exists()  # a response is taken once

    # renewal: the same request and response; the installed pair serves until the new one is accepted
    installed = {name: (water / "tls" / name).read_bytes() for name in ("node.key", "node.crt", "seal.crt")}
    renew = _request(water, base / "renew-request.json", city["port"], WATER_PASS, "水务局", "Water Authority")
    assert renew.returncode == 0, renew.stderr
    assert all((water / "tls" / name).read_bytes() == data for name, data in installed.items())
    renew_fp = renew.stdout.strip().splitlines()[-1].removeprefix("fingerprint: ")
    renewed = base / "renew-response.json"
    done = cli(
        "city", "enrol", "--home", str(city["root"]), "--user", "admin", str(base / "renew-request.json"),
        "--fingerprint", renew_fp, "--out", str(renewed), password="admin-pass", passphrase=ROOT_PASS,
    )  # fmt: skip
    assert done.returncode == 0 and "renewed" in done.stdout, done.stderr
    shown = cli("trust", "show", "--home", str(city["root"])).stdout
    assert shown.count("water-authority  水务局") == 1  # no second registration
    again = cli(
        "city", "enrol", "--home", str(city["root"]), "--user", "admin", str(base / "renew-request.json"),
        "--fingerprint", renew_fp, "--out", str(base / "again.json"), password="admin-pass", passphrase=ROOT_PASS,
    )  # fmt: skip
    assert again.returncode == 0 and (base / "again.json").read_bytes() == renewed.read_bytes(), again.stderr
    assert cli("trust", "show", "--home", str(city["root"])).stdout == shown  # renewed once, not twice
    done = cli("node", "enrol-accept", "--home", str(water), str(renewed), passphrase=WATER_PASS)
    assert done.returncode == 0, done.stderr
    assert all((water / "tls" / name).read_bytes() != data for name, data in installed.items())

    node = NodeProcess(water, city["port"], env={"CITYCHAIN_TEST_TLS": "1", "CITYCHAIN_PASSPHRASE": WATER_PASS})
    node.start()
    try:
        assert node.url == f"https://127.0.0.1:{city['port']}"
        assert node.get("/v1/status").status_code == 200  # the renewed certificate, against the city CA
    finally:
        node.stop()


def test_a_renewal_must_come_from_the_agency_s_own_key(city, tmp_path):
    """A home with another key asking for a registered agency's certificates
    (anyone can write a request naming `water-authority`) is refused."""
    impostor = tmp_path / "impostor"
    pin = re.search(r'"(.+)"', (city["water"] / "config.toml").read_text().split("root_keys")[1]).group(1)
    _init(impostor, "water-authority", WATER_PASS, pin)
    done = _request(impostor, tmp_path / "req.json", free_port(), WATER_PASS, "水务局", "Water Authority")
    assert done.returncode == 0, done.stderr
    fp = done.stdout.strip().splitlines()[-1].removeprefix("fingerprint: ")
    done = _enrol(city["root"], tmp_path / "req.json", fp, tmp_path / "resp.json")
    assert done.returncode == 2 and "current key" in done.stderr and "现行密钥" in done.stderr, done.stderr
    assert not (tmp_path / "resp.json").exists()


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


def test_city_init_makes_a_root_that_serves_tls_and_keeps_its_ca_apart(city):
    root, usb = city["root"], city["base"] / "usb"
    assert sorted(p.name for p in usb.iterdir()) == ["ca.crt", "ca.key"] and not (root / "ca").exists()
    assert (root / "tls" / "city-ca.crt").read_bytes() == (usb / "ca.crt").read_bytes()
    shown = cli("trust", "show", "--home", str(root)).stdout
    assert "city-root  杭州市信任根 / Hangzhou root" in shown and "url: https://127.0.0.1:" in shown
    port = int(re.search(r"url: https://127.0.0.1:(\d+)", shown).group(1))
    node = NodeProcess(root, port, env={"CITYCHAIN_TEST_TLS": "1", "CITYCHAIN_PASSPHRASE": ROOT_PASS})
    node.start()
    try:
        assert node.get("/v1/status").status_code == 200  # its own certificate, checked against the city CA
    finally:
        node.stop()


def test_backup_ca_copies_and_opens_the_ca_or_copies_nothing(city, tmp_path):
    done = cli("city", "backup-ca", "--home", str(city["root"]), "--out", str(tmp_path / "wrong"), passphrase="nope")
    assert done.returncode == 2 and "passphrase" in done.stderr and "口令" in done.stderr, done.stderr
    assert not (tmp_path / "wrong").exists()
    done = cli("city", "backup-ca", "--home", str(city["root"]), "--out", str(tmp_path / "copy"), passphrase=ROOT_PASS)
    assert done.returncode == 0, done.stderr
    for name in ("ca.crt", "ca.key"):
        assert (tmp_path / "copy" / name).read_bytes() == (city["base"] / "usb" / name).read_bytes()
    assert oct((tmp_path / "copy" / "ca.key").stat().st_mode & 0o777) == "0o600"
    again = cli("city", "backup-ca", "--home", str(city["root"]), "--out", str(tmp_path / "copy"), passphrase=ROOT_PASS)
    assert again.returncode == 2 and "already holds" in again.stderr


def test_a_city_init_that_fails_half_way_leaves_nothing_and_can_run_again(tmp_path):
    from datetime import UTC, datetime

    from cheap import CHEAP_KDF, FAST_ARGON2

    from citychain.node.founding import Founding, found_city

    root, media = tmp_path / "root", tmp_path / "usb"
    media.write_text("not a folder: the CA cannot be written here")
    plan = Founding("hz", "杭州市信任根", "Hangzhou root", "https://127.0.0.1:8443", ("127.0.0.1",), ca_dir=media)
    with pytest.raises(OSError):  # after the home's key and config were made
        found_city(root, plan, ROOT_PASS, "admin-pass", datetime.now(UTC), cost=CHEAP_KDF, argon2=FAST_ARGON2)
    assert not root.exists() or not any(root.iterdir())
    assert media.read_text().startswith("not a folder")
    media.unlink()
    done = found_city(root, plan, ROOT_PASS, "admin-pass", datetime.now(UTC), cost=CHEAP_KDF, argon2=FAST_ARGON2)
    assert done.ca_cert == media / "ca.crt" and done.tls_cert.exists() and (root / "ledger.sqlite").exists()

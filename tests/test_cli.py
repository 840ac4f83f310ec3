"""The admin CLI as an operator uses it: real processes, real homes."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from democity import spec
from main import plugins

ROOT = Path(__file__).resolve().parent.parent


def cli(
    *args: str,
    password: str | None = None,
    passphrase: str | None = None,
    new_password: str | None = None,
    cheap_keys: bool = False,
):
    """`main.py ARGS` in a process of its own; `cheap_keys`: new keys sealed at
    test cost (`citylab.cheap_cli`), the same commands otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    for name, value in (
        ("CITYCHAIN_PASSWORD", password),
        ("CITYCHAIN_PASSPHRASE", passphrase),
        ("CITYCHAIN_NEW_PASSWORD", new_password),
    ):
        if value is not None:
            env[name] = value
    program = ["-m", "citylab.cheap_cli", "--"] if cheap_keys else [str(ROOT / "main.py")]
    return subprocess.run(
        [sys.executable, *program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "city"
    done = cli("city", "demo", "--cheap-keys", str(path))  # full cost: ~90 scrypt unsealings, most of a minute
    assert done.returncode == 0, done.stderr
    for agency in (
        "city-root",
        "market-regulation",
        "public-security",
        "civil-affairs",
        "disabled-federation",
        "charity-federation",
    ):
        assert agency in done.stdout
    for password in spec.PASSWORDS.values():
        assert password in done.stdout
    return path


def test_log_check_passes_on_every_demo_home(city):
    """The command on the root's home; what it runs on every other (a process
    each cost the suite half a minute of a busy machine)."""
    from citychain.node.check import check_home

    homes = sorted(p for p in city.iterdir() if (p / "config.toml").exists())
    done = cli("log", "check", "--home", str(city / "city-root"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all logs verify" in done.stdout
    assert len(homes) > 5
    for home in homes:
        report = check_home(home, plugins())
        assert report.ok, (home.name, report.lines())


def test_log_check_fails_on_a_tampered_leaf(city, tmp_path):
    import shutil

    home = tmp_path / "copy"
    shutil.copytree(city / "public-security", home)
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        where = "WHERE seq=0 AND log=(SELECT id FROM logs WHERE agency='city-root')"  # the root's registration
        leaf = conn.execute(f"SELECT leaf FROM entries {where}").fetchone()[0]
        conn.execute(f"UPDATE entries SET leaf=? {where}", (leaf.replace("示范市".encode(), "示範市".encode()),))
    done = cli("log", "check", "--home", str(home))
    assert done.returncode == 1
    assert "FAIL city-root" in done.stdout and "entry 0" in done.stdout


def test_a_clerk_is_refused_at_the_cli_and_nothing_changes(city):
    root = str(city / "city-root")
    before = cli("trust", "show", "--home", root).stdout
    done = cli(
        "trust",
        "suspend-agency",
        "--home",
        root,
        "--user",
        "clerk",
        "--agency",
        "market-regulation",
        "--reason",
        "test",
        password=spec.PASSWORDS["clerk"],
    )
    assert done.returncode == 2 and "permission denied" in done.stderr and "权限不足" in done.stderr
    done = cli(
        "user",
        "add",
        "--home",
        root,
        "--user",
        "clerk",
        "--name",
        "mallory",
        "--role",
        "admin",
        password=spec.PASSWORDS["clerk"],
        new_password="mallory-password-1",
    )
    assert done.returncode == 2 and "permission denied" in done.stderr
    done = cli(
        "node",
        "backup",
        "--home",
        root,
        "--user",
        "clerk",
        "--out",
        str(city / "x.tar"),
        password=spec.PASSWORDS["clerk"],
    )
    assert done.returncode == 2 and not (city / "x.tar").exists()
    assert cli("trust", "show", "--home", root).stdout == before


def test_wrong_password_and_missing_password_are_clear(city):
    root = str(city / "city-root")
    done = cli("user", "list", "--home", root, "--user", "admin", password="not-the-password")
    assert done.returncode == 2 and "wrong user name or password" in done.stderr
    done = cli("user", "list", "--home", root, "--user", "admin")
    assert done.returncode == 2 and "CITYCHAIN_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_real_city_without_the_demo(tmp_path):
    """Root and agency set up by hand: init, register, export, import, rotate, suspend."""
    root, agency = tmp_path / "root", tmp_path / "water"
    done = cli(
        "node",
        "init",
        "--home",
        str(root),
        "--city",
        "hz",
        "--agency",
        "city-root",
        "--root",
        "--name-zh",
        "杭州市信任根",
        "--name-en",
        "Hangzhou trust root",
        password="root-admin-pass",
        cheap_keys=True,  # every later command opens these homes at test cost
        passphrase="pp-root-2026",
    )
    assert done.returncode == 0, done.stderr
    root_key = re.search(r"public key \(base64\): (\S+)", done.stdout).group(1)
    done = cli(
        "node",
        "init",
        "--home",
        str(agency),
        "--city",
        "hz",
        "--agency",
        "water-authority",
        "--root-key",
        root_key,
        password="water-admin-pass",
        cheap_keys=True,  # every later command opens these homes at test cost
        passphrase="pp-water-2026",
    )
    assert done.returncode == 0, done.stderr
    water_key = re.search(r"public key \(base64\): (\S+)", done.stdout).group(1)
    done = cli(
        "trust",
        "add-agency",
        "--home",
        str(root),
        "--user",
        "admin",
        "--agency",
        "water-authority",
        "--name-zh",
        "水务局",
        "--name-en",
        "Water Authority",
        "--public-key",
        water_key,
        "--permission",
        "certificate:water-permit",
        password="root-admin-pass",
        passphrase="pp-root-2026",
    )
    assert done.returncode == 0, done.stderr
    bundle = tmp_path / "trust.json"
    assert cli("trust", "export", "--home", str(root), str(bundle)).returncode == 0
    done = cli("trust", "import", "--home", str(agency), str(bundle), passphrase="pp-water-2026")
    assert done.returncode == 0 and "0 → 2 records" in done.stdout, done.stderr
    shown = cli("trust", "show", "--home", str(agency)).stdout
    assert "water-authority  水务局 / Water Authority  [active" in shown and "certificate:water-permit" in shown

    new_key = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOxBIU1n1hWE="  # any 32-byte key
    old_kid = re.search(r"key (\w{16}):", shown.split("water-authority")[1]).group(1)
    done = cli(
        "trust",
        "rotate-key",
        "--home",
        str(root),
        "--user",
        "admin",
        "--agency",
        "water-authority",
        "--public-key",
        new_key,
        "--retire-kid",
        old_kid,
        password="root-admin-pass",
        passphrase="pp-root-2026",
    )
    assert done.returncode == 0, done.stderr
    done = cli(
        "trust",
        "suspend-agency",
        "--home",
        str(root),
        "--user",
        "admin",
        "--agency",
        "water-authority",
        "--reason",
        "年检 / annual review",
        password="root-admin-pass",
        passphrase="pp-root-2026",
    )
    assert done.returncode == 0, done.stderr
    shown = cli("trust", "show", "--home", str(root)).stdout
    assert "[suspended since" in shown and f"key {old_kid}: " in shown and ".. open" in shown

    # a bundle from another city's root is refused by the agency's own pins
    other = tmp_path / "other-root"
    assert (
        cli(
            "node",
            "init",
            "--home",
            str(other),
            "--city",
            "hz",
            "--agency",
            "city-root",
            "--root",
            password="other-admin-pass",
            passphrase="pp-other",
        ).returncode
        == 0
    )
    assert cli("trust", "export", "--home", str(other), str(tmp_path / "evil.json")).returncode == 0
    fresh = tmp_path / "gas"
    assert (
        cli(
            "node",
            "init",
            "--home",
            str(fresh),
            "--city",
            "hz",
            "--agency",
            "gas-authority",
            "--root-key",
            root_key,
            password="gas-admin-pass1",
            passphrase="pp-gas",
        ).returncode
        == 0
    )
    done = cli("trust", "import", "--home", str(fresh), str(tmp_path / "evil.json"), passphrase="pp-gas")
    assert done.returncode == 2 and "checkpoint does not verify" in done.stderr
    assert "0 records" in cli("trust", "show", "--home", str(fresh)).stdout


def test_backup_and_restore(city, tmp_path):
    home = city / "civil-affairs"
    out = tmp_path / "civil.tar"
    done = cli(
        "node", "backup", "--home", str(home), "--user", "admin", "--out", str(out), password=spec.PASSWORDS["admin"]
    )
    assert done.returncode == 0, done.stderr
    target = tmp_path / "restored"
    done = cli(
        "node",
        "restore",
        "--home",
        str(target),
        "--user",
        "clerk",
        "--from",
        str(out),
        password=spec.PASSWORDS["clerk"],
    )
    assert done.returncode == 2 and not target.exists()
    done = cli(
        "node",
        "restore",
        "--home",
        str(target),
        "--user",
        "admin",
        "--from",
        str(out),
        password=spec.PASSWORDS["admin"],
    )
    assert done.returncode == 0, done.stderr
    assert cli("log", "check", "--home", str(target)).returncode == 0
    assert cli("trust", "show", "--home", str(target)).stdout == cli("trust", "show", "--home", str(home)).stdout
    damaged = tmp_path / "damaged.tar"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    done = cli(
        "node",
        "restore",
        "--home",
        str(tmp_path / "r2"),
        "--user",
        "admin",
        "--from",
        str(damaged),
        password=spec.PASSWORDS["admin"],
    )
    assert done.returncode == 2 and ("damaged" in done.stderr or "cannot be read" in done.stderr)
    assert not (tmp_path / "r2").exists()


def test_people_change_their_own_password_but_not_others(city, tmp_path):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(city / "charity-federation", home)
    done = cli(
        "user",
        "passwd",
        "--home",
        str(home),
        "--user",
        "clerk",
        password=spec.PASSWORDS["clerk"],
        new_password="a-new-clerk-password",
    )
    assert done.returncode == 0, done.stderr
    assert cli("user", "list", "--home", str(home), "--user", "clerk", password=spec.PASSWORDS["clerk"]).returncode == 2
    done = cli(
        "user",
        "passwd",
        "--home",
        str(home),
        "--user",
        "clerk",
        "--name",
        "supervisor",
        password="a-new-clerk-password",
        new_password="taken-over-123",
    )
    assert done.returncode == 2 and "permission denied" in done.stderr
    done = cli(
        "user", "disable", "--home", str(home), "--user", "admin", "--name", "clerk", password=spec.PASSWORDS["admin"]
    )
    assert done.returncode == 0, done.stderr
    done = cli(
        "user",
        "passwd",
        "--home",
        str(home),
        "--user",
        "clerk",
        password="a-new-clerk-password",
        new_password="another-password-1",
    )
    assert done.returncode == 2 and "disabled" in done.stderr


def test_key_rotation_end_to_end(city, tmp_path):
    """The agency makes a key, the root rotates it in, the agency switches by itself
    (on a copy of the module's demo city: building another costs the suite most of a minute)."""
    import shutil

    from ledger_kit import TEST_PLUGIN, note

    from citychain.node.bundle import read_bundle
    from citychain.node.check import check_home
    from citychain.node.home import origin
    from citychain.node.node import Node

    city = shutil.copytree(city, tmp_path / "city")
    agency = city / "market-regulation"
    made = cli("node", "new-key", "--home", str(agency))
    assert made.returncode == 0, made.stderr
    new_key = re.search(r"public key \(base64\): (\S+)", made.stdout).group(1)
    new_kid = re.search(r"kid (\w{16})", made.stdout).group(1)
    with Node.open(agency, (TEST_PLUGIN, *plugins())) as node:
        old_kid = node.signer.kid
    done = cli(
        "trust",
        "rotate-key",
        "--home",
        str(city / "city-root"),
        "--user",
        "admin",
        "--agency",
        "market-regulation",
        "--public-key",
        new_key,
        "--retire-kid",
        old_kid,
        password=spec.PASSWORDS["admin"],
    )
    assert done.returncode == 0, done.stderr
    assert cli("trust", "export", "--home", str(city / "city-root"), str(tmp_path / "t.json")).returncode == 0
    with Node.open(agency, (TEST_PLUGIN, *plugins())) as node:
        node.import_trust_bundle(read_bundle(tmp_path / "t.json"))
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        appended = node.append(clerk, [note(0)])
    assert appended.leaves[0].kid == new_kid
    assert (agency / "keys" / f"retired-{old_kid}.key").exists() and not (agency / "keys" / "next.key").exists()
    from citychain.log.checkpoint import open_checkpoint
    from citychain.log.encoding import b64decode
    from citychain.log.keys import public_key_from_bytes

    # the batch's checkpoint is signed with the new key, and the old key may no longer sign
    open_checkpoint(
        appended.checkpoint, origin("demo", "market-regulation"), [public_key_from_bytes(b64decode(new_key))]
    )
    assert check_home(agency, (TEST_PLUGIN, *plugins())).ok

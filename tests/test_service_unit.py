"""deploy/citychain-node.service: systemd accepts it, and the command it runs
starts a TLS node that takes its key passphrase only from the credential file
systemd hands over, and stops cleanly on SIGTERM (exit 0, log still valid)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import quiet_demo_city
from nodes import free_port, wait_for

from citychain.node.check import check_home
from democity import spec

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "citychain-node.service"
INSTALLED = "/opt/citychain"  # where the unit expects the checkout


def service_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    section = None
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def here(text: str) -> str:
    """The unit's paths, pointed at this checkout."""
    return text.replace(f"{INSTALLED}/.venv/bin/python", sys.executable).replace(INSTALLED, str(ROOT))


def test_systemd_accepts_the_unit(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    unit = tmp_path / UNIT.name
    unit.write_text(here(UNIT.read_text(encoding="utf-8")), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_unit_s_command_serves_tls_with_the_credential_and_stops_cleanly(tmp_path):
    settings = service_settings()
    assert settings["User"] != ["root"] and settings["Restart"] == ["on-failure"]
    assert settings["KillSignal"] == ["SIGTERM"] and settings["LoadCredential"] == [
        "passphrase:/etc/citychain/passphrase"
    ]
    city = quiet_demo_city(tmp_path / "city")
    home = city.home("market-regulation")
    config = home / "config.toml"  # a deployed home keeps no passphrase of its own
    config.write_text(
        "".join(line for line in config.read_text().splitlines(keepends=True) if "passphrase_file" not in line)
    )
    credentials = tmp_path / "credentials"  # what systemd's %d names
    credentials.mkdir(mode=0o700)
    (credentials / "passphrase").write_text(spec.PASSPHRASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    for assignment in settings["Environment"]:
        name, value = assignment.split("=", 1)
        env[name] = value.replace("%d", str(credentials))
    port = free_port()
    command = shlex.split(here(settings["ExecStart"][0]).replace("/var/lib/citychain/node", str(home)))
    without = subprocess.run(
        [*command, "--listen", f"127.0.0.1:{port}"],
        env={k: v for k, v in env.items() if k != "CITYCHAIN_PASSPHRASE_FILE"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert without.returncode != 0 and "CITYCHAIN_PASSPHRASE" in without.stdout + without.stderr  # no other source
    proc = subprocess.Popen(
        [*command, "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        ca = str(home / "tls" / "city-ca.crt")

        def up() -> bool:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            try:
                return requests.get(f"https://127.0.0.1:{port}/v1/status", verify=ca, timeout=2).ok
            except requests.RequestException:
                return False

        wait_for(up, timeout=30)
        with pytest.raises(requests.RequestException):  # TLS only
            requests.get(f"http://127.0.0.1:{port}/v1/status", timeout=2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert check_home(home, ()).ok

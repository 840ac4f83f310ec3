"""deploy/citychain-kiosk.service and the session script it runs in Cage:
systemd accepts the unit; a crashed kiosk starts again, staff leaving with
the PIN (exit 0) ends the session."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SESSION = ROOT / "deploy" / "citychain-kiosk-session"
UNIT = ROOT / "deploy" / "citychain-kiosk.service"


def test_a_crash_starts_the_kiosk_again_and_the_pin_ends_the_session(tmp_path):
    """A stand-in for the kiosk that crashes twice (a Python error, then a
    signal), then leaves as staff do; the session runs it three times with the
    same arguments and ends."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    calls = tmp_path / "calls"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        f"n=$(wc -l < {calls})\n"
        '[ "$n" -eq 1 ] && exit 1\n'
        '[ "$n" -eq 2 ] && kill -SEGV $$\n'
        "exit 0\n"
    )
    python.chmod(0o755)
    env = dict(os.environ, CITYCHAIN_ROOT=str(tmp_path), CITYCHAIN_RESTART_S="0")
    env.pop("DISPLAY", None)
    done = subprocess.run([str(SESSION), "--trust", "b.json"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert calls.read_text().splitlines() == [f"{tmp_path}/main.py kiosk --trust b.json"] * 3
    assert done.stderr.count("starting it again") == 2


def test_systemd_accepts_the_kiosk_unit():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    problems = [  # a checkout that is not installed in /opt/citychain lacks the session script there
        line
        for line in done.stderr.splitlines()
        if "citychain-kiosk.service" in line
        and not any(absent in line for absent in ("is not executable", "No such file", "Failed to resolve"))
    ]
    assert not problems, done.stderr

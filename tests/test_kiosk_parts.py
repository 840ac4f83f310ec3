"""Kiosk parts that need no city: its settings and PIN, the file rules, the
flow model's own check, and the scanner's rule for what is a scan."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from charity.flow import donation_flow
from ui.kiosk import files
from ui.kiosk.config import DEMO_PIN, ConfigError, check_pin, hash_pin, load, pin_matches
from ui.kiosk.scanner import ScannerFilter

REPORT = {
    "charity": "charity-federation",
    "receipt": "D-00000001-2",
    "amount_fen": 10_000,
    "fund": {"id": "F", "name_zh": "基金", "name_en": "Fund"},
    "breakdown": [{"state": "acknowledged", "amount_fen": 6_000}, {"state": "unallocated", "amount_fen": 4_000}],
    "allocations": [
        {
            "project": "P",
            "amount_fen": 6_000,
            "held_fen": 0,
            "expenditures": [],
            "disbursements": [{"amount_fen": 6_000, "state": "acknowledged", "status": "approved"}],
        }
    ],
    "refunds": [],
    "reversal": None,
    "unallocated_fen": 4_000,
}


def test_a_pin_is_hashed_with_argon2_and_an_old_scrypt_hash_is_upgraded_on_use(tmp_path):
    import hashlib

    assert hash_pin("97531864").startswith("$argon2id$") and load(tmp_path / "absent.toml").pin_hash.startswith(
        "$argon2id$"
    )
    salt = bytes(range(16))  # a hash as the kiosk wrote it before: scrypt, N=16384, r=8, p=1
    digest = hashlib.scrypt(b"97531864", salt=salt, n=16384, r=8, p=1, dklen=32)
    old = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    path = tmp_path / "kiosk.toml"
    path.write_text(f'# the hall kiosk\npin_hash = "{old}"\nidle_timeout_s = 30\n')
    settings = load(path)
    assert pin_matches("97531864", old) and not pin_matches("13572468", old)
    assert check_pin("13572468", settings) is None and load(path).pin_hash == old  # a wrong PIN changes nothing
    upgraded = check_pin("97531864", settings)
    assert upgraded is not None and upgraded.pin_hash.startswith("$argon2id$") and upgraded.idle_timeout_s == 30
    again = load(path)  # the file now holds the Argon2 hash, and nothing else changed
    assert again.pin_hash == upgraded.pin_hash and again.idle_timeout_s == 30
    assert path.read_text().startswith("# the hall kiosk\n") and "scrypt" not in path.read_text()
    assert check_pin("97531864", again) == again and check_pin("13572468", again) is None
    assert check_pin(DEMO_PIN, load(tmp_path / "absent.toml")).demo_pin  # no file: nothing to rewrite


def test_python_m_ui_kiosk_config_prints_an_argon2_pin_hash_line():
    import subprocess
    import sys
    from pathlib import Path

    run = subprocess.run(
        [sys.executable, "-m", "ui.kiosk.config"],
        input="13572468\n13572468\n",
        text=True,
        capture_output=True,
        timeout=60,
        start_new_session=True,  # no tty: getpass reads stdin
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert run.returncode == 0, run.stderr
    line = run.stdout.strip().splitlines()[-1]
    assert line.startswith('pin_hash = "$argon2id$') and line.endswith('"')
    assert pin_matches("13572468", line.split('"')[1]) and not pin_matches(DEMO_PIN, line.split('"')[1])
    short = subprocess.run(
        [sys.executable, "-m", "ui.kiosk.config"],
        input="123\n",
        text=True,
        capture_output=True,
        timeout=60,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert short.returncode != 0 and "at least 6 digits" in short.stderr


def test_settings_come_from_kiosk_toml_and_bad_ones_are_explained(tmp_path):
    assert pin_matches(DEMO_PIN, load(tmp_path / "absent.toml").pin_hash)
    path = tmp_path / "kiosk.toml"
    path.write_text(f'pin_hash = "{hash_pin("97531864")}"\nidle_timeout_s = 30\nmedia_folders = ["/media"]\n')
    settings = load(path)
    assert settings.idle_timeout_s == 30 and settings.media_folders == ("/media",) and not settings.demo_pin
    assert pin_matches("97531864", settings.pin_hash) and not pin_matches(DEMO_PIN, settings.pin_hash)
    for text, words in (
        ("idle_timeout_s = -1", "positive integer"),
        ("colour = 'red'", "unknown settings"),
        ("language = 'fr'", "zh_CN or en"),
        ("media_folders = '/media'", "list of folders"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load(path)
        assert words in caught.value.message_en and caught.value.message_zh


def test_only_files_inside_the_media_folders_are_offered_or_read(tmp_path):
    stick = tmp_path / "media" / "STICK"
    stick.mkdir(parents=True)
    (stick / "ok.pdf").write_bytes(b"%PDF-1.7\n")
    (stick / ".hidden.pdf").write_bytes(b"%PDF-1.7\n")
    (stick / "notes.txt").write_text("x")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.7\nsecret")
    os.symlink(secret, stick / "link.pdf")
    roots = (tmp_path / "media",)
    assert [c.name for c in files.list_documents(roots)] == ["ok.pdf"]
    with pytest.raises(files.FileRefused) as caught:
        files.read_document(stick / "link.pdf", roots, 1024)
    assert caught.value.code == "NOT_ALLOWED"
    (stick / "fake.png").write_bytes(b"%PDF-1.7\n")  # the name says image, the bytes say PDF
    assert files.read_document(stick / "fake.png", roots, 1024)[0] == "pdf"
    (stick / "text.pdf").write_text("hello")
    with pytest.raises(files.FileRefused, match="only PDF, PNG or JPEG"):
        files.read_document(stick / "text.pdf", roots, 1024)


def test_the_flow_sums_to_the_donation_and_flags_a_node_whose_figures_disagree():
    flow = donation_flow(REPORT)
    assert flow.consistent and dict(flow.terminals) == {"acknowledged": 6_000, "unallocated": 4_000}
    assert flow.terminal_total == 10_000 and flow.unspent_fen == 4_000
    assert {(k.source, k.target, k.amount_fen) for k in flow.edges} >= {
        ("source", "project:P", 6_000),
        ("project:P", "acknowledged", 6_000),
    }
    lying = dict(REPORT, breakdown=[{"state": "acknowledged", "amount_fen": 10_000}])
    assert not donation_flow(lying).consistent


def test_a_short_fast_burst_is_typing_not_a_scan(qtbot):
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    scanner = ScannerFilter(gap_ms=60, min_chars=8).install()
    scans = []
    scanner.scanned.connect(scans.append)
    try:
        qtbot.keyClicks(field, "D-12")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert scans == [] and field.text() == "D-12"  # handed on, in order, before the Enter
        field.clear()
        qtbot.keyClicks(field, "D-00000001-2")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert scans == ["D-00000001-2"] and field.text() == ""
    finally:
        scanner.uninstall()

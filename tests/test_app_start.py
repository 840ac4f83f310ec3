"""The app starts: on first run it seeds the demo city, and shows its node."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QLabel

from ui.app import StartWindow, node_summary

ROOT = Path(__file__).resolve().parent.parent


def test_start_window_shows_the_node_in_chinese_and_english(qtbot, demo_city):
    window = StartWindow(node_summary(demo_city.home("market-regulation")))
    qtbot.addWidget(window)
    window.show()
    text = window.findChild(QLabel, "summary").text()
    assert "机构 / agency: market-regulation" in text
    assert "citychain/demo/city-root: 6" in text


def test_first_start_seeds_the_demo_city_and_keeps_running(tmp_path):
    env = {**os.environ, "CITYCHAIN_DATA": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (tmp_path / "demo-city" / "market-regulation" / "ledger.sqlite").exists():
            time.sleep(0.2)
        time.sleep(2)
        assert proc.poll() is None, proc.stdout.read()
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "demo-city" / "city-root" / "config.toml").exists()
    assert "first start" in proc.stdout.read()

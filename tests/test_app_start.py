"""The app starts: the first start seeds the demo city (and says so) and asks
which agency the counter is; later starts go straight to sign-in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from counter_support import build_city, style_app
from PySide6.QtCore import Qt

from ui.counter.first_start import FirstStartWindow
from ui.counter.settings import CounterSettings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A data folder holding a (cheaply made) demo city, as a first start leaves it."""
    folder = tmp_path_factory.mktemp("counter-data")
    build_city(folder / "demo-city")
    return folder


def test_first_start_seeds_the_demo_city_and_keeps_running(tmp_path):
    env = {**os.environ, "CITYCHAIN_DATA": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
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


def test_the_first_start_window_asks_for_the_agency(qtbot, qapp, data):
    style_app(qapp)
    window = FirstStartWindow(data / "demo-city")
    qtbot.addWidget(window)
    window.show()
    window.start()  # the city exists: straight to the question
    assert window.stack.currentWidget() is window.choosing
    assert "示范市民政局" in window.agencies.item(2).text() and "结婚证" in window.agencies.item(2).text()
    assert "捐赠" in window.agencies.item(4).text()
    window.agencies.setCurrentRow(2)
    with qtbot.waitSignal(window.chosen) as chosen:
        qtbot.mouseClick(window.use, Qt.MouseButton.LeftButton)
    assert chosen.args == ["civil-affairs"]


def test_settings_remember_the_agency_and_language(tmp_path):
    assert CounterSettings.load(tmp_path) == CounterSettings()
    CounterSettings(agency="civil-affairs", language="en").save(tmp_path)
    assert CounterSettings.load(tmp_path) == CounterSettings("civil-affairs", "en")
    (tmp_path / "counter.json").write_text("{not json", "utf-8")
    assert CounterSettings.load(tmp_path) == CounterSettings()  # a damaged file is a first start, not a crash


def _probe(env_extra: dict, args: list[str]) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CITYCHAIN_STARTUP_PROBE": "1", **env_extra}
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_later_starts_open_straight_to_sign_in(data):
    CounterSettings(agency="charity-federation").save(data)
    out = _probe({"CITYCHAIN_DATA": str(data)}, [])
    assert "signin-shown" in out and "node-ready" in out and "first start" not in out


def test_home_option_opens_that_node(data, tmp_path):
    out = _probe({"CITYCHAIN_DATA": str(tmp_path)}, ["--home", str(data / "demo-city" / "public-security")])
    assert "node-ready" in out
    assert not (tmp_path / "demo-city").exists()  # no demo city made when a home is given

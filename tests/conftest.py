"""Shared test set-up: Qt runs offscreen; the project root is importable."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402
from cheap import CHEAP_KDF, FAST_ARGON2  # noqa: E402, F401 - tests import them from here

from citychain.clock import FakeClock  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))


_CITY_TEMPLATES: dict[tuple, tuple[Path, datetime]] = {}  # per test process; see quiet_demo_city


def quiet_demo_city(path: Path, plugins=(), clock=None, fresh: bool = False):
    """A demo city (cheap key and password hashing; real files) whose homes
    store no peers and ignore the agencies' URLs in the trust log (`[sync]
    trust_log_peers = false`): tests choose their own peers, and the demo's
    fixed loopback ports may belong to another test's nodes.

    Building one takes seconds (a dozen with both plug-ins), so with a fake
    clock each variant is built once per test process and copied (homes hold
    no absolute paths); the copies share their keys and the clock moves to
    where the build left it. `fresh=True` builds a city with keys of its own,
    for a test that needs two cities that do not trust each other."""
    from democity import spec  # here, not at the top: helper processes import this file and start in a hurry
    from democity.build import DemoCity

    # Only fake-clock cities are shared: full runs with system-clock copies saw a
    # charity ledger read back as "malformed" (twice in three runs, never alone).
    fake = isinstance(clock, FakeClock) and not fresh
    key = (tuple(p.name for p in plugins), clock.now()) if fake else None
    if key is not None and key in _CITY_TEMPLATES:
        template, after = _CITY_TEMPLATES[key]
        shutil.copytree(template, path)
        clock.current = after
        return DemoCity(Path(path), spec.AGENCIES)
    city = _build_quiet_city(path, plugins, clock)
    if key is not None:
        template = Path(tempfile.mkdtemp(prefix="citychain-city-template-"))
        atexit.register(shutil.rmtree, template, True)
        shutil.copytree(city.path, template / "city")
        _CITY_TEMPLATES[key] = (template / "city", clock.now())
    return city


def built_once(key, path: Path, build) -> Path:
    """`build(path)` the first time a test process asks for `key`, a copy of
    that build after: for a city a test module sets up its own way (the
    system clock; nothing in a home names its folder)."""
    if key in _BUILT:
        shutil.copytree(_BUILT[key], path)
        return path
    build(path)
    template = Path(tempfile.mkdtemp(prefix="citychain-built-"))
    atexit.register(shutil.rmtree, template, True)
    shutil.copytree(path, template / "copy")
    _BUILT[key] = template / "copy"
    return path


_BUILT: dict[object, Path] = {}  # per test process; see built_once


def _build_quiet_city(path: Path, plugins, clock):
    import sqlite3

    from democity.build import create_demo_city

    city = create_demo_city(path, plugins, cost=CHEAP_KDF, argon2=FAST_ARGON2, clock=clock, trust_log_peers=False)
    for home in city.path.iterdir():
        if (home / "ledger.sqlite").exists():
            conn = sqlite3.connect(home / "ledger.sqlite")
            try:
                conn.execute("DELETE FROM peers")
                conn.commit()
            finally:
                conn.close()
    return city


@pytest.fixture
def demo_city(tmp_path, clock):
    """A fresh demo city with no plug-ins."""
    return quiet_demo_city(tmp_path / "city", clock=clock)

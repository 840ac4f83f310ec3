"""Shared test set-up: Qt runs offscreen; the project root is importable."""

import atexit
import os
import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402
from cheap import CHEAP_KDF, FAST_ARGON2  # noqa: E402, F401 - tests import them from here

from citychain.clock import FakeClock  # noqa: E402


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than cores. Many tests wait on node processes,
    disk syncs and sockets; a third worker on two cores keeps both busy."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))


_CITY_TEMPLATES: dict[tuple, tuple[Path, datetime | None]] = {}  # per test process; see quiet_demo_city


def quiet_demo_city(path: Path, plugins=(), clock=None, fresh: bool = False):
    """A demo city (cheap key and password hashing; real files) whose homes
    store no peers and ignore the agencies' URLs in the trust log (`[sync]
    trust_log_peers = false`): tests choose their own peers, and the demo's
    fixed loopback ports may belong to another test's nodes.

    Building one takes seconds (a dozen with both plug-ins), so each variant
    (plug-ins, and the fake clock's time or the system clock) is built once
    per test process and copied (homes hold no absolute paths, `copy_city`);
    the copies share their keys, and a fake clock moves to where the build
    left it. `fresh=True` builds a city with keys of its own, for a test that
    needs two cities that do not trust each other."""
    from democity import spec  # here, not at the top: helper processes import this file and start in a hurry
    from democity.build import DemoCity

    shared = not fresh and (clock is None or isinstance(clock, FakeClock))
    key = (tuple(p.name for p in plugins), clock.now() if clock is not None else "system clock") if shared else None
    if key is not None and key in _CITY_TEMPLATES:
        template, after = _CITY_TEMPLATES[key]
        copy_city(template, path)
        if clock is not None:
            clock.current = after
        return DemoCity(Path(path), spec.AGENCIES)
    city = _build_quiet_city(path, plugins, clock)
    if key is not None:
        template = Path(tempfile.mkdtemp(prefix="citychain-city-template-"))
        atexit.register(shutil.rmtree, template, True)
        copy_city(city.path, template / "city")
        _CITY_TEMPLATES[key] = (template / "city", clock.now() if clock is not None else None)
    return city


def copy_city(source: Path, target: Path) -> Path:
    """A copy of a city (or of one home) whose SQLite files are each one
    consistent snapshot, taken with SQLite's backup API. A plain file copy of
    a WAL database and its `-wal` file is two reads: a connection still open
    somewhere (a server thread winding down) may checkpoint between them, and
    the copy then reads back as "database disk image is malformed"."""

    def copy(src: str, dst: str) -> None:
        if src.endswith((".sqlite-wal", ".sqlite-shm", ".sqlite-journal")):
            return  # the snapshot below holds their pages
        if src.endswith(".sqlite"):
            with closing(sqlite3.connect(src)) as origin, closing(sqlite3.connect(dst)) as copied:
                origin.backup(copied)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=copy)
    return Path(target)


def built_once(key, path: Path, build) -> Path:
    """`build(path)` the first time a test process asks for `key`, a copy of
    that build after: for a city a test module sets up its own way (the
    system clock; nothing in a home names its folder)."""
    if key in _BUILT:
        return copy_city(_BUILT[key], path)
    build(path)
    template = Path(tempfile.mkdtemp(prefix="citychain-built-"))
    atexit.register(shutil.rmtree, template, True)
    copy_city(path, template / "copy")
    _BUILT[key] = template / "copy"
    return path


_BUILT: dict[object, Path] = {}  # per test process; see built_once


def _build_quiet_city(path: Path, plugins, clock):
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


@pytest.fixture(autouse=True, scope="module")
def _english_interface_afterwards():
    """A test file that switches the interface language leaves it in English: a
    worker runs many files, and the next one's screens would otherwise open in
    Chinese (within a file, a module fixture may choose the language for all)."""
    yield
    i18n = sys.modules.get("ui.i18n")
    if i18n is not None and i18n.current_language() != "en":
        from PySide6.QtCore import QCoreApplication

        if QCoreApplication.instance() is not None:
            i18n.set_language("en")

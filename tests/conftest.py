"""Shared test set-up: Qt runs offscreen; the project root is importable."""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from datetime import datetime, timezone  # noqa: E402

import pytest  # noqa: E402

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.clock import FakeClock  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402

CHEAP_KDF = KdfCost.cheap()
FAST_ARGON2 = Argon2Params.fast()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=timezone.utc))


def quiet_demo_city(path: Path, plugins=(), clock=None):
    """A demo city (cheap key and password hashing; real files) whose homes
    store no peers: tests choose their own, and the demo's fixed loopback
    ports may belong to another test's nodes."""
    import sqlite3

    from democity.build import create_demo_city

    city = create_demo_city(path, plugins, cost=CHEAP_KDF, argon2=FAST_ARGON2, clock=clock)
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

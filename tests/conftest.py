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

from citychain.clock import FakeClock  # noqa: E402
from citychain.keys import KdfCost  # noqa: E402
from citychain.users import Argon2Params  # noqa: E402

CHEAP_KDF = KdfCost.cheap()
FAST_ARGON2 = Argon2Params.fast()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=timezone.utc))


@pytest.fixture
def demo_city(tmp_path, clock):
    """A fresh demo city (cheap key and password hashing; real files)."""
    import sqlite3

    from democity.build import create_demo_city

    city = create_demo_city(tmp_path / "city", (), cost=CHEAP_KDF, argon2=FAST_ARGON2, clock=clock)
    # Tests choose their own peers; the demo's fixed loopback ports may belong
    # to another test's nodes.
    for home in tmp_path.joinpath("city").iterdir():
        if not (home / "ledger.sqlite").exists():
            continue
        with sqlite3.connect(home / "ledger.sqlite") as conn:
            conn.execute("DELETE FROM peers")
    return city

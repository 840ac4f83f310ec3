"""Runs a real node process with the test, certificate and charity record kinds: `node_runner.py HOME HOST:PORT [PEER…]`."""

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_kit import TEST_PLUGIN  # noqa: E402

from certificates.kinds import PLUGIN as CERTIFICATES  # noqa: E402
from charity.kinds import PLUGIN as CHARITY  # noqa: E402
from citychain.net.client import Limits  # noqa: E402
from citychain.net.service import serve  # noqa: E402


class SkewedClock:
    def __init__(self, seconds: float) -> None:
        self.offset = timedelta(seconds=seconds)

    def now(self):
        from citychain.clock import SystemClock

        return SystemClock().now() + self.offset


if __name__ == "__main__":
    home, listen, *peers = sys.argv[1:]
    # A node whose clock is off by CITYCHAIN_CLOCK_SKEW seconds (time is one of
    # the two things tests may fake).
    skew = float(os.environ.get("CITYCHAIN_CLOCK_SKEW", "0"))
    # Short peer deadlines so the slow-peer test does not take minutes.
    sys.exit(
        serve(
            Path(home),
            listen,
            peers,
            (TEST_PLUGIN, CERTIFICATES, CHARITY),
            interval=1.0,
            limits=Limits(read_timeout=2, deadline=3),
            clock=SkewedClock(skew) if skew else None,
            tls=os.environ.get("CITYCHAIN_TEST_TLS") == "1",
            ca_file=os.environ.get("CITYCHAIN_TEST_CA"),
        )
    )

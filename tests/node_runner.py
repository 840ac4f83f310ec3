"""Runs a real node process with the test record kinds: `node_runner.py HOME HOST:PORT [PEER…]`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from citychain.client import Limits  # noqa: E402
from citychain.service import serve  # noqa: E402
from ledger_kit import TEST_PLUGIN  # noqa: E402

if __name__ == "__main__":
    home, listen, *peers = sys.argv[1:]
    # Short peer deadlines so the slow-peer test does not take minutes.
    sys.exit(serve(Path(home), listen, peers, (TEST_PLUGIN,), interval=1.0, limits=Limits(read_timeout=2, deadline=3)))

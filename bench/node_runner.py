"""A real node process with the benchmark record kind: `node_runner.py HOME HOST:PORT [PEER…]`."""

import sys
from pathlib import Path

from common import PLUGIN  # sets sys.path

from citychain.net.service import serve  # noqa: E402

if __name__ == "__main__":
    home, listen, *peers = sys.argv[1:]
    sys.exit(serve(Path(home), listen, peers, (PLUGIN,), interval=2.0))

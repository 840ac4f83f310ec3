"""A real node process with the benchmark record kind: `node_runner.py HOME HOST:PORT [PEER…]`.

CITYCHAIN_BENCH_TLS=1 serves HTTPS with the home's certificate; CITYCHAIN_BENCH_PROFILE=FILE
writes a cProfile of the whole process there when it stops (SIGTERM)."""

import cProfile
import os
import sys
from pathlib import Path

from common import PLUGIN  # sets sys.path

from citychain.net.service import serve  # noqa: E402

if __name__ == "__main__":
    home, listen, *peers = sys.argv[1:]
    tls = os.environ.get("CITYCHAIN_BENCH_TLS") == "1"
    profile = os.environ.get("CITYCHAIN_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    try:
        code = serve(Path(home), listen, peers, (PLUGIN,), interval=2.0, tls=tls)
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    sys.exit(code)

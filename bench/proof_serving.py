"""Proof serving under load: random inclusion and consistency proofs from a
large log, requested by wrk (a separate load generator) over loopback.

    .venv/bin/python bench/proof_serving.py [--records 1000000] [--seconds 30] [--connections 16]

Needs `wrk` (Debian package). Prints wrk's requests/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import PLUGIN, fill_home, machine  # sets sys.path

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

AGENCY = "market-regulation"
LUA = """
math.randomseed(42)
request = function()
  local size = math.random(1, %(size)d)
  if math.random() < 0.5 then
    return wrk.format("GET", "/v1/logs/%(agency)s/proof/inclusion?index=" .. math.random(0, size - 1) .. "&size=" .. size)
  end
  return wrk.format("GET", "/v1/logs/%(agency)s/proof/consistency?from=" .. math.random(0, size) .. "&to=" .. size)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s %%.0f p50 %%.2f ms p99 %%.2f ms errors %%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "city", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
        home = city.home(AGENCY)
        started = time.perf_counter()
        fill_home(home, args.records)
        print(f"built a {args.records:,}-record log in {time.perf_counter() - started:.0f} s")
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("node_runner.py")), str(home), "127.0.0.1:8951"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    requests.get("http://127.0.0.1:8951/v1/status", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            script = Path(tmp) / "proofs.lua"
            script.write_text(LUA % {"size": args.records, "agency": AGENCY})
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "-s",
                    str(script),
                    "http://127.0.0.1:8951",
                ],
                capture_output=True,
                text=True,
            ).stdout
        finally:
            server.terminate()
            server.wait()
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    print(f"proof serving on a {args.records:,}-record log, {args.connections} connections: {line[7:]}")


if __name__ == "__main__":
    main()

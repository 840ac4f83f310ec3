"""Peer sync: catch-up throughput and propagation latency over loopback.

    .venv/bin/python bench/sync_bench.py [--records 100000] [--propagation 100]

Catch-up: node A (a real `node serve` process) holds N records; node B pulls
them in one sync round, verifying every leaf, chain link, signature, trust
rule, page consistency proof and the final checkpoint.
Propagation: A, B and C run as processes; a record appended on A (via its
API) is timed until both B and C serve it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import (  # sets sys.path
    KIND,
    PLUGIN,
    fill_home,
    licence_body,
    machine,
    percentile,
)

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from citychain.net.sync import Syncer  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

RUNNER = Path(__file__).with_name("node_runner.py")
A, B, C = "market-regulation", "civil-affairs", "public-security"


def start(home: Path, port: int, peers: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER), str(home), f"127.0.0.1:{port}", *peers],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/v1/status", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("node did not start")


def size_of(port: int, agency: str) -> int:
    logs = requests.get(f"http://127.0.0.1:{port}/v1/logs", timeout=5).json()["logs"]
    return next((l["size"] for l in logs if l["agency"] == agency), 0)


def catch_up(city, records: int) -> float:
    fill_home(city.home(A), records)
    a = start(city.home(A), 8911, [])
    try:
        with Node.open(city.home(B), (PLUGIN,), argon2=Argon2Params.fast()) as node:
            syncer = Syncer(node, peers=["http://127.0.0.1:8911"])
            started = time.perf_counter()
            syncer.run_round()
            elapsed = time.perf_counter() - started
            assert node.store.head(A).size == records, syncer.peers
    finally:
        a.terminate()
        a.wait()
    return records / elapsed


def propagation(city, count: int) -> list[float]:
    ports = {A: 8921, B: 8922, C: 8923}
    url = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
    procs = [
        start(city.home(A), ports[A], [url[B], url[C]]),
        start(city.home(B), ports[B], [url[A]]),
        start(city.home(C), ports[C], [url[A]]),
    ]
    try:
        token = requests.post(url[A] + "/v1/login", json={"user": "clerk", "password": spec.PASSWORDS["clerk"]}).json()[
            "token"
        ]
        latencies = []
        for i in range(count):
            started = time.perf_counter()
            reply = requests.post(
                url[A] + "/v1/records",
                json={"records": [{"kind": KIND, "body": licence_body(i)}]},
                headers={"Authorization": f"Bearer {token}"},
            )
            size = reply.json()["size"]
            while size_of(ports[B], A) < size or size_of(ports[C], A) < size:
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
        return latencies
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--propagation", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "c1", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
        rate = catch_up(city, args.records)
        print(f"catch-up of {args.records:,} records from one peer, all verified: {rate:,.0f} records/s")
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "c2", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
        lat = propagation(city, args.propagation)
        print(
            f"propagation A → B and C verified: p50 {percentile(lat, 50) * 1000:.0f} ms, "
            f"p95 {percentile(lat, 95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms (n={len(lat)})"
        )


if __name__ == "__main__":
    main()

"""Peer sync: catch-up throughput and propagation latency over loopback.

    .venv/bin/python bench/sync_bench.py [--records 100000] [--propagation 100] [--http] [--profile DIR]

Catch-up: node A (a real `node serve --tls` process, its certificate from the
city CA) holds N records; node B pulls them over HTTPS in one sync round,
verifying the server against the city CA and every leaf, chain link,
signature, trust and kind rule, page consistency proof and the final
checkpoint. In the same run a verify-only loop goes over the same leaves:
strict leaf parse (canonical JSON, leaf hash), Ed25519 signature, Merkle tree
and its root against the checkpoint — the least any verifier must do — and the
ratio of the two rates is the figure that binds (issue 13: ≥ 0.7).
`--http` runs the catch-up on plain HTTP instead; `--profile DIR` writes
cProfile files of both sides (client: the round; server: the whole process).
Propagation: A, B and C run as processes; a record appended on A (via its
API) is timed until both B and C serve it.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests
from common import (  # sets sys.path
    KIND,
    PLUGIN,
    fill_home,
    licence_body,
    machine,
    percentile,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log import merkle  # noqa: E402
from citychain.log.keys import KdfCost, public_key_from_bytes  # noqa: E402
from citychain.log.records import parse_leaf, verify_leaf_signature  # noqa: E402
from citychain.net.sync import Syncer  # noqa: E402
from citychain.node.home import Home  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

RUNNER = Path(__file__).with_name("node_runner.py")
A, B, C = "market-regulation", "civil-affairs", "public-security"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(home: Path, port: int, peers: list[str], tls: bool = False, profile: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "CITYCHAIN_BENCH_TLS": "1" if tls else "0"}
    if profile is not None:
        env["CITYCHAIN_BENCH_PROFILE"] = str(profile)
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER), str(home), f"127.0.0.1:{port}", *peers],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    scheme, verify = ("https", str(Home(home).city_ca_path)) if tls else ("http", True)
    for _ in range(300):
        try:
            requests.get(f"{scheme}://127.0.0.1:{port}/v1/status", timeout=1, verify=verify)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("node did not start")


def size_of(port: int, agency: str) -> int:
    logs = requests.get(f"http://127.0.0.1:{port}/v1/logs", timeout=5).json()["logs"]
    return next((l["size"] for l in logs if l["agency"] == agency), 0)


@dataclass(frozen=True)
class CatchUp:
    records: int
    seconds: float
    verify_before: float  # the verify-only loop just before the catch-up …
    verify_after: float  # … and just after: others' load drifts, the mean is fairer to both
    cpu_client: float  # CPU seconds of the catch-up (all threads), of the serving process, and of
    cpu_server: float  # the verify-only loop: what the work costs, whatever else runs on the machine
    cpu_verify: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def verify_rate(self) -> float:
        return self.records / ((self.verify_before + self.verify_after) / 2)


def verify_only(leaves: list[bytes], keys: dict[str, Ed25519PublicKey], root: bytes) -> tuple[float, float]:
    """The reference: strict parse with leaf hash, signature, tree and root; seconds and CPU seconds taken."""
    cpu, started = time.process_time(), time.perf_counter()
    hashes = []
    for data in leaves:
        leaf = parse_leaf(data)
        if not verify_leaf_signature(leaf, keys[leaf.kid]):
            raise AssertionError(f"leaf {leaf.record.seq}: bad signature")
        hashes.append(leaf.hash)
    frontier, _ = merkle.Frontier().extend(hashes)
    if frontier.root() != root:
        raise AssertionError("the leaves do not give the checkpoint's root")
    return time.perf_counter() - started, time.process_time() - cpu


def _profile_threads() -> list[cProfile.Profile]:
    """A profiler in every thread started from now on (the sync round runs in
    pool threads, the page downloads in another); merged after the round."""
    profilers: list[cProfile.Profile] = []

    def begin(*_) -> None:
        profiler = cProfile.Profile()
        profilers.append(profiler)
        sys.setprofile(None)
        profiler.enable()

    threading.setprofile(begin)
    return profilers


def catch_up(city, records: int, tls: bool = True, profile: Path | None = None) -> CatchUp:
    fill_home(city.home(A), records)
    with Node.open(city.home(A), (PLUGIN,), argon2=Argon2Params.fast()) as node:
        head = node.store.head(A)
        leaves, root = node.store.leaves(head.id, 0, records), head.root
        keys = {k.kid: public_key_from_bytes(k.public_key) for k in node.trust.agencies[A].keys}
    verify_before, cpu_verify = verify_only(leaves, keys, root)
    server_profile = profile / "server.prof" if profile else None
    port = free_port()
    a = start(city.home(A), port, [], tls, server_profile)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        with Node.open(city.home(B), (PLUGIN,), argon2=Argon2Params.fast()) as node:
            ca_file = str(node.home.city_ca_path) if tls else None
            syncer = Syncer(node, ca_file=ca_file, peers=[url])
            profilers = _profile_threads() if profile else None
            server = psutil.Process(a.pid).cpu_times()
            cpu, started = time.process_time(), time.perf_counter()
            report = syncer.run_round()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            server_cpu = sum(psutil.Process(a.pid).cpu_times()[:2]) - sum(server[:2])
            if profilers:
                threading.setprofile(None)
                pstats.Stats(*profilers).dump_stats(str(profile / "client.prof"))
            head = node.store.head(A)
            assert head.size == records and head.root == root, (report, syncer.peers)
            assert node.store.leaves(head.id, 0, records) == leaves
    finally:
        a.terminate()
        a.wait()
    verify_after, _ = verify_only(leaves, keys, root)
    return CatchUp(records, elapsed, verify_before, verify_after, cpu, server_cpu, cpu_verify)


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
    parser.add_argument("--records", type=int, default=100_000, help="catch-up size (100,000 is the binding one)")
    parser.add_argument("--propagation", type=int, default=100, help="records timed for propagation (0: skip)")
    parser.add_argument("--http", action="store_true", help="catch up over plain HTTP instead of TLS")
    parser.add_argument("--profile", type=Path, help="write client.prof and server.prof (cProfile) here")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "c1", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
        result = catch_up(city, args.records, not args.http, args.profile)
        how = "plain HTTP" if args.http else "TLS (server certificate checked against the city CA)"
        print(
            f"catch-up of {args.records:,} records from one peer over {how}, all verified: {result.rate:,.0f} records/s"
        )
        print(
            "verify-only loop over the same records (parse, leaf hash, signature, tree), mean of one run before "
            f"and one after: {result.verify_rate:,.0f} records/s "
            f"(before {args.records / result.verify_before:,.0f}/s, after {args.records / result.verify_after:,.0f}/s)"
        )
        print(f"ratio catch-up / verify-only: {result.rate / result.verify_rate:.2f} (target ≥ 0.7)")
        print(
            f"CPU seconds: catch-up {result.cpu_client:.1f} (client, all threads) + {result.cpu_server:.1f} (server); "
            f"verify-only {result.cpu_verify:.1f}"
        )
    if args.propagation:
        with tempfile.TemporaryDirectory() as tmp:
            city = create_demo_city(Path(tmp) / "c2", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
            lat = propagation(city, args.propagation)
            print(
                f"propagation A → B and C verified: p50 {percentile(lat, 50) * 1000:.0f} ms, "
                f"p95 {percentile(lat, 95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms (n={len(lat)})"
            )


if __name__ == "__main__":
    main()

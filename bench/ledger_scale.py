"""The ledger core at a million records: append rate, proofs, size, memory, check.

    .venv/bin/python bench/ledger_scale.py [--records 1000000] [--batch 10000]

Prints the append rate on the empty log and at the end, proof generation
latency for random (index, size) pairs, database size against the leaf bytes,
the process's peak RSS, and `log check` throughput over the whole home.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from common import PLUGIN, clerk, demo_home, fill, machine, percentile  # sets sys.path

from citychain import merkle  # noqa: E402
from citychain.node.check import check_home  # noqa: E402

PROBE = 50_000  # records timed at the start and at the end


def append_rate(node, user, first: int, count: int, batch: int) -> float:
    start = time.perf_counter()
    fill(node, user, first, count, batch)
    return count / (time.perf_counter() - start)


def proof_latencies(node, size: int, samples: int) -> tuple[list[float], list[float]]:
    rng = random.Random(7)
    reader = node.store.reader(node.own.head.id)
    inclusion, consistency = [], []
    for _ in range(samples):
        n = rng.randint(1, size)
        index = rng.randrange(n)
        start = time.perf_counter()
        merkle.inclusion_proof(reader, index, n)
        inclusion.append((time.perf_counter() - start) * 1000)
        m = rng.randint(1, n)
        start = time.perf_counter()
        merkle.consistency_proof(reader, m, n)
        consistency.append((time.perf_counter() - start) * 1000)
    return inclusion, consistency


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        home, node = demo_home(Path(tmp))
        with node:
            user = clerk(node)
            empty_rate = append_rate(node, user, 0, PROBE, args.batch)
            built = time.perf_counter()
            append_rate(node, user, PROBE, args.records - 2 * PROBE, args.batch)
            print(f"built to {args.records - PROBE:,} records in {time.perf_counter() - built:.0f} s")
            full_rate = append_rate(node, user, args.records - PROBE, PROBE, args.batch)
            size = node.own.tip.size
            inclusion, consistency = proof_latencies(node, size, args.samples)
            node.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            leaf_bytes = node.store.conn.execute("SELECT SUM(LENGTH(leaf)) FROM entries").fetchone()[0]
            db_bytes = Path(home / "ledger.sqlite").stat().st_size
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        report = check_home(home, (PLUGIN,))
        check_seconds = time.perf_counter() - start
    print(
        f"append rate: empty log {empty_rate:,.0f}/s; at {size:,} records {full_rate:,.0f}/s "
        f"({100 * (full_rate / empty_rate - 1):+.1f}%)"
    )
    print(
        f"inclusion proof: p50 {percentile(inclusion, 50):.3f} ms, p95 {percentile(inclusion, 95):.3f} ms; "
        f"consistency proof: p50 {percentile(consistency, 50):.3f} ms, p95 {percentile(consistency, 95):.3f} ms"
    )
    print(f"database {db_bytes / 1e6:,.0f} MB for {leaf_bytes / 1e6:,.0f} MB of leaves ({db_bytes / leaf_bytes:.2f}x)")
    print(f"peak RSS of the appending process: {rss:,.0f} MB")
    print(
        f"log check: {size:,} records in {check_seconds:.0f} s = {size / check_seconds:,.0f} records/s "
        f"({'all verify' if report.ok else 'PROBLEMS'})"
    )


if __name__ == "__main__":
    main()

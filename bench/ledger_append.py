"""Append throughput and latency of the ledger core, beside a reference loop.

    .venv/bin/python bench/ledger_append.py [--records 50000] [--batch 1000] [--single 300]

The reference loop does the same essential steps inline with no checks —
canonicalise, sign, leaf hash, extend the tree, SQLite insert, one signed
checkpoint per batch — in the same process, so the ratio shows what the real
sequencer's validation, trust checks, guard file and audit row cost.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from common import KIND, clerk, demo_home, licence_body, machine, percentile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def reference_loop(bodies: list[dict], batch: int, path: Path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE entries (log INTEGER, seq INTEGER, leaf BLOB, PRIMARY KEY (log, seq))")
    conn.execute(
        "CREATE TABLE nodes (log INTEGER, level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (log, level, idx)) WITHOUT ROWID"
    )
    key = Ed25519PrivateKey.generate()
    kid = b"0123456789abcdef"
    frontier: list[bytes] = []
    prev, seq = "0" * 64, 0
    start = time.perf_counter()
    for first in range(0, len(bodies), batch):
        leaves, nodes = [], []
        for body in bodies[first : first + batch]:
            record = {
                "v": 1,
                "log": "market-regulation",
                "seq": seq,
                "prev": prev,
                "time": "2026-03-01T08:00:00.000Z",
                "kind": KIND,
                "body": body,
            }
            rec = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            sig = key.sign(b"citychain/record/v1\n" + rec)
            leaf = b'{"kid":"' + kid + b'","record":' + rec + b',"sig":"' + base64.b64encode(sig) + b'"}'
            h = hashlib.sha256(b"\x00" + leaf).digest()
            nodes.append((1, 0, seq, h))
            level, index = 0, seq
            while index & 1:
                h = hashlib.sha256(b"\x01" + frontier.pop() + h).digest()
                level, index = level + 1, index >> 1
                nodes.append((1, level, index, h))
            frontier.append(h)
            leaves.append((1, seq, leaf))
            prev = hashlib.sha256(b"\x00" + leaf).hexdigest()
            seq += 1
        root = frontier[-1]
        for left in reversed(frontier[:-1]):
            root = hashlib.sha256(b"\x01" + left + root).digest()
        key.sign(f"origin\n{seq}\n{base64.b64encode(root).decode()}\n".encode())
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO entries VALUES (?, ?, ?)", leaves)
        conn.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?)", nodes)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(bodies) / elapsed


def node_loop(node, user, bodies: list[dict], batch: int) -> float:
    start = time.perf_counter()
    for first in range(0, len(bodies), batch):
        node.append(user, [(KIND, body) for body in bodies[first : first + batch]])
    return len(bodies) / (time.perf_counter() - start)


def single_latency(node, user, count: int) -> list[float]:
    times = []
    for i in range(count):
        body = licence_body(10_000_000 + i)
        start = time.perf_counter()
        node.append(user, [(KIND, body)])
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--single", type=int, default=300)
    args = parser.parse_args()
    bodies = [licence_body(i) for i in range(args.records)]
    size = len(json.dumps(bodies[0], ensure_ascii=False, separators=(",", ":")).encode())
    print(f"machine: {machine()}")
    print(f"records: {args.records} of ~{size} B body, batches of {args.batch}")
    with tempfile.TemporaryDirectory() as tmp:
        ref = reference_loop(bodies, args.batch, Path(tmp) / "ref.sqlite")
        home, node = demo_home(Path(tmp))
        with node:
            user = clerk(node)
            ours = node_loop(node, user, bodies, args.batch)
            latencies = single_latency(node, user, args.single)
    print(f"batched append: {ours:,.0f} records/s (reference loop {ref:,.0f}/s, ratio {ours / ref:.2f})")
    print(
        f"single durable append with checkpoint: p50 {percentile(latencies, 50):.2f} ms, "
        f"p95 {percentile(latencies, 95):.2f} ms, max {max(latencies):.2f} ms (n={len(latencies)})"
    )


if __name__ == "__main__":
    main()

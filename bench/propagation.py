"""Propagation across the city lab: from a write acknowledged at one node until
every other node serves a checkpoint that includes it — each node in its own
network namespace, every hop over TLS (issue 13: p95 ≤ 1 s).

    .venv/bin/python bench/propagation.py [--samples 100] [--interval 5]

Writes go round the three agencies, one at a time, from the lab's probe host;
the probe times each write from its acknowledgement and polls the three other
nodes' checkpoints of the writer's log every 10 ms. `--interval` is the nodes'
sync interval (`node serve --interval`, 5 s by default): a write reaches the
others by the writer's `/v1/notify`, not by waiting for a round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citylab.lab import AGENCIES, CLERK_PASSWORD, Lab  # noqa: E402
from citylab.lab import ROOT as CITY_ROOT  # noqa: E402
from democity.samples import SAMPLES  # noqa: E402

TYPES = {
    "market-regulation": "business-licence",
    "public-security": "residence-permit",
    "civil-affairs": "marriage-certificate",
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--interval", type=float, default=5.0, help="the nodes' sync interval, seconds")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between samples")
    args = parser.parse_args()
    yesterday = (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    every = [CITY_ROOT.id, *(a.id for a in AGENCIES)]
    with tempfile.TemporaryDirectory(prefix="citylab-bench-") as folder, Lab(Path(folder), args.interval) as lab:
        lab.build()
        probe = lab.probe()
        tokens = {a.id: probe.login(lab.url(a.id), "clerk", CLERK_PASSWORD) for a in AGENCIES}
        time.sleep(2 * args.interval)  # let the start-up rounds settle
        worst, per_node, missed = [], [], 0
        for i in range(args.samples):
            writer = AGENCIES[i % len(AGENCIES)].id
            body = {"type": TYPES[writer], "form": SAMPLES[TYPES[writer]], "valid_from": yesterday}
            others = [lab.url(a) for a in every if a != writer]
            reply = probe.call(
                "write_and_watch", 60, url=lab.url(writer), path="/v1/certificates", json=body,
                token=tokens[writer], agency=writer, watch=others, within=max(10.0, 3 * args.interval),
            )  # fmt: skip
            if "error" in reply:
                raise SystemExit(f"sample {i}: {reply['error']}")
            seconds = list(reply["seconds"].values())
            if None in seconds:
                missed += 1
                continue
            worst.append(max(seconds))
            per_node.extend(seconds)
            time.sleep(args.pause)
        ms = [s * 1000 for s in worst]
        print(f"lab: {lab.mode}, {len(every)} nodes, TLS, sync interval {args.interval:g} s")
        print(
            f"propagation to every other node: p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
            f"max {max(ms):.0f} ms (n = {len(ms)}, {missed} not seen within the deadline)"
        )
        each = [s * 1000 for s in per_node]
        print(f"per node: p50 {statistics.median(each):.0f} ms, p95 {percentile(each, 95):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Charity figures (issue 5): tracing one donation in a charity log of
1,000,000 records (100,000 donations), and recording a donation with its
sealed receipt PDF.

    .venv/bin/python bench/charity.py [--records 1000000] [--samples 2000] [--rounds 50] [--rebuild]

The big log is a real signed log of the demo charity node, written through
`Node.append` (rules checked, signed, one transaction per batch of 10,000)
and kept in /tmp/citychain-bench-charity between runs. Every 100 records
hold 10 donations, 20 allocations, 30 disbursement requests (by the clerk),
25 approvals and 5 cancellations (by the supervisor), 8 expenditures, a
refund and a reversal, over 10 funds and 100 projects. The trace is timed
twice: the bare trace (`trace_donation`), and the full report the CLI and
`GET /v1/charity/trace/…` return (with each step's inclusion proof checked
against the log's checkpoint).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, percentile  # noqa: E402
from charity import bodies as b  # noqa: E402
from charity.desk import CharityDesk  # noqa: E402
from charity.kinds import PLUGIN  # noqa: E402
from charity.receipts import make_receipt  # noqa: E402
from charity.trace import trace_donation  # noqa: E402
from charity.trace_json import ProofView, trace_report  # noqa: E402
from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

CACHE = Path("/tmp/citychain-bench-charity")
CHARITY = "charity-federation"
CIVIL = "civil-affairs"
FUNDS, PROJECTS_PER_FUND, ROUND = 10, 10, 100
CHUNK_ROUNDS = 100  # 10,000 records a chunk


def open_charity(city: Path) -> Node:
    return Node.open(city / CHARITY, (PLUGIN,), argon2=Argon2Params.fast())


def commitment(i: int) -> str:
    return hashlib.sha256(f"bench donor {i}".encode()).hexdigest()


def round_items(r: int) -> tuple[list, list, list]:
    """(supervisor's money-in and allocations, clerk's requests, supervisor's decisions) of round r: 100 records."""
    f = r % FUNDS
    fund = f"F{f}"
    project = [f"P{f}-{k}" for k in range(PROJECTS_PER_FUND)]
    first = [
        b.donation(
            make_receipt(r * 10 + i + 1), fund, 100_000, ("cash", "bank", "online")[i % 3], commitment(r * 10 + i)
        )
        for i in range(10)
    ]
    first.append(
        b.refund(f"RF{r}", make_receipt(r * 10 + 10), 1_000, "捐赠人要求 / donor asked")
    )  # before it is allocated
    first += [b.allocation(f"A{r}-{i}", fund, project[i % 10], 40_000) for i in range(20)]
    requests = [
        b.request(f"R{r}-{i}", project[i % 10], 20_000, commitment(-r * 30 - i), CIVIL, "助学金 / grant", "clerk")
        for i in range(30)
    ]
    decisions = [b.approval(f"R{r}-{i}", "supervisor") for i in range(25)]
    decisions += [b.cancellation(f"R{r}-{i}", "supervisor", "重复 / duplicate") for i in range(25, 30)]
    decisions += [b.expenditure(f"E{r}-{i}", project[i], 2_000, "文具 / stationery", "supervisor") for i in range(8)]
    decisions.append(b.reversal(f"V{r}", f"E{r}-0", "发票作废 / invoice voided"))
    return first, requests, decisions


def build(city: Path, records: int) -> None:
    create_demo_city(city, (), KdfCost.cheap(), Argon2Params.fast())  # no demo charity data: the log is ours
    with open_charity(city) as node:
        boss = node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        node.append(
            boss,
            [b.fund(f"F{f}", f"基金 {f}", f"Fund {f}") for f in range(FUNDS)]
            + [
                b.project(f"P{f}-{k}", f"F{f}", f"项目 {f}-{k}", f"Project {f}-{k}", 10**12)
                for f in range(FUNDS)
                for k in range(PROJECTS_PER_FUND)
            ],
        )
        rounds = records // ROUND
        start = time.perf_counter()
        for chunk in range(0, rounds, CHUNK_ROUNDS):
            parts = [round_items(r) for r in range(chunk, min(chunk + CHUNK_ROUNDS, rounds))]
            node.append(boss, [item for part in parts for item in part[0]])
            node.append(clerk, [item for part in parts for item in part[1]])
            node.append(boss, [item for part in parts for item in part[2]])
            done = (chunk + CHUNK_ROUNDS) * ROUND
            rate = done / (time.perf_counter() - start)
            print(f"\r  built {done:,} records ({rate:,.0f}/s)", end="", flush=True)
        print()


def big_city(records: int, rebuild: bool) -> Path:
    city = CACHE / f"city-{records}"
    if rebuild and city.exists():
        shutil.rmtree(city)
    if not (city / CHARITY / "ledger.sqlite").exists() or not (city / "built").exists():
        shutil.rmtree(city, ignore_errors=True)
        city.parent.mkdir(parents=True, exist_ok=True)
        print(f"building a charity log of {records:,} records in {city} (once; kept for later runs)")
        start = time.perf_counter()
        build(city, records)
        (city / "built").write_text(f"{time.perf_counter() - start:.0f} s\n")
    return city


def timed(func, args_list) -> list[float]:
    out = []
    for args in args_list:
        start = time.perf_counter()
        func(*args)
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, times: list[float], target: float | None) -> None:
    p95 = percentile(times, 95)
    verdict = f"target ≤ {target:.0f} ms  {'ok' if p95 <= target else 'MISSED'}" if target else ""
    print(
        f"{name:<58} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms   max {max(times):7.1f} ms  "
        f"{verdict}"
    )


def bench_trace(records: int, samples: int, rebuild: bool) -> None:
    city = big_city(records, rebuild)
    with open_charity(city) as node:
        head = node.store.head(CHARITY)
        donations = node.store.conn.execute("SELECT COUNT(*) FROM charity_donations").fetchone()[0]
        print(
            f"charity log: {head.size:,} records, {donations:,} donations; built in {(city / 'built').read_text().strip()}"
        )
        rng = random.Random(5)
        picks = [(make_receipt(rng.randint(1, donations)),) for _ in range(samples)]
        conn = node.store.conn
        view = ProofView(conn, node.trust, node.config.city, node.config.witness_quorum, int(time.time()))
        for (receipt,) in picks[:50]:  # warm the page cache
            trace_report(view, receipt)
        bare = timed(lambda r: trace_donation(conn, r), picks)
        full = timed(lambda r: trace_report(view, r), picks)
        steps = []
        for (receipt,) in picks:
            one = trace_report(view, receipt)
            assert sum(x["amount_fen"] for x in one["breakdown"]) == one["amount_fen"]
            steps.append(len(one["steps"]))
    report("trace one donation (trace_donation)", bare, 50)
    report("trace report with every step's inclusion proof checked", full, 50)
    print(
        f"  records per traced donation: median {statistics.median(steps):.0f}, max {max(steps)} "
        f"({sum(1 for n in steps if n == 1) * 100 // len(steps)} % still wholly unallocated)"
    )


def bench_receipt(rounds: int, tmp: Path) -> None:
    try:
        from charity.receipt_pdf import receipt_pdf
    except ImportError:
        print("recording a donation with its sealed receipt PDF: charity.receipt_pdf is not there yet")
        return
    city = create_demo_city(tmp / "city", (PLUGIN,), KdfCost.cheap(), Argon2Params.fast())
    with open_charity(city.path) as node:
        desk = CharityDesk(node, node.private())
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])

        def donate() -> None:
            receipt = desk.record_donation(clerk, "EDU-2026", 20_000, "online", "欧阳明华", "110101199003074578")
            receipt_pdf(node, receipt, desk.private_store)

        donate()  # warm up: fonts, seal key
        report("record a donation with its sealed receipt PDF", timed(donate, [()] * rounds), 400)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(machine())
    bench_trace(args.records, args.samples, args.rebuild)
    tmp = CACHE / "receipt-run"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        bench_receipt(args.rounds, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

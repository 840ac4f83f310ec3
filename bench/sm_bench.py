"""国密 against Ed25519/SHA-256, in one run (issue 17).

    .venv/bin/python bench/sm_bench.py [--records 5000] [--batch 1000] [--rounds 2] [--seconds 0.5] [--profile N]

Primitives through our own code path: `Signer.generate(suite).sign` and
`keys.verify(public_key_from_bytes(...), ...)` over a ~1 KB record body, SM2
beside Ed25519; `sm.sm3_hash` beside `hashlib.sha256` on 1 MiB and on 64-byte
inputs (a tree node hashes 65 bytes). Rates are per CPU second: other work
shares the machine, and each of these runs on the calling thread alone.

Then a demo city of each suite (cheap keys): batched append of licence-like
records to market-regulation's own log (`bench/common.py`'s kind, the same
`Node.append` path as `ledger_append.py`), the two cities taking turns for
`--rounds` rounds so that load from other work falls on both alike; and a
catch-up: civil affairs imports that log in chunks of 10,000 with consistency
proofs through `Node.import_log` (what a sync round calls per chunk, without
the network), beside `sync_bench.py`'s verify-only loop over the same leaves.
Each figure is printed with its ratio SM / Ed25519 (goal: append ≥ 0.5×).
`--profile N` prints the N costliest functions of the SM city's append.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import KIND, PLUGIN, clerk, licence_body, machine  # sets sys.path

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log import merkle, sm  # noqa: E402
from citychain.log.keys import KdfCost, Signer, public_key_from_bytes, verify  # noqa: E402
from citychain.log.records import parse_leaf, verify_leaf_signature  # noqa: E402
from citychain.log.suite import ED25519_SHA256, SM2_SM3, Suite  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

A, B = "market-regulation", "civil-affairs"
SUITES = (ED25519_SHA256, SM2_SM3)
CHUNK = 10_000  # records a sync round stores per transaction


@dataclass(frozen=True)
class Timed:
    count: int
    wall: float
    cpu: float

    def __add__(self, other: Timed) -> Timed:
        return Timed(self.count + other.count, self.wall + other.wall, self.cpu + other.cpu)

    @property
    def rate(self) -> float:
        return self.count / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.count / self.cpu


def timed(count: int, fn: Callable[[], object]) -> Timed:
    cpu, began = time.process_time(), time.perf_counter()
    fn()
    return Timed(count, time.perf_counter() - began, time.process_time() - cpu)


def per_cpu_second(fn: Callable[[], object], seconds: float) -> float:
    """Calls of fn per CPU second, over about `seconds` of CPU."""
    fn()
    count, began = 0, time.process_time()
    while (elapsed := time.process_time() - began) < seconds or count < 3:
        fn()
        count += 1
    return count / elapsed


def signatures(suite: Suite, seconds: float) -> tuple[float, float]:
    """Sign and verify per CPU second of a ~1 KB record body, through our key classes."""
    message = b"citychain/record/v1\n" + json.dumps(licence_body(0), ensure_ascii=False).encode()
    signer = Signer.generate(suite)
    key = public_key_from_bytes(signer.public_raw)
    sig = signer.sign(message)
    if not verify(key, sig, message) or verify(key, sig, message + b"x"):
        raise RuntimeError(f"{suite.name}: the signature does not check out")
    return per_cpu_second(lambda: signer.sign(message), seconds), per_cpu_second(
        lambda: verify(key, sig, message), seconds
    )


def hashing(hasher: Callable, size: int, seconds: float) -> float:
    """MB/s (10^6 bytes per CPU second) hashing `size`-byte inputs one call each."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    return per_cpu_second(lambda: hasher(data).digest(), seconds) * size / 1e6


def make_city(base: Path, suite: Suite):
    """trust_log_peers=False: no demo URLs to ask (nothing listens there in a bench)."""
    return create_demo_city(
        base / suite.name,
        (PLUGIN,),
        cost=KdfCost.cheap(),
        argon2=Argon2Params.fast(),
        trust_log_peers=False,
        suite=suite,
    )


def open_node(city, agency: str) -> Node:
    return Node.open(city.home(agency), (PLUGIN,), argon2=Argon2Params.fast())


def append(node: Node, user, first: int, count: int, batch: int, profiler: cProfile.Profile | None = None) -> Timed:
    """The bodies are made before the clock starts (and the profiler): only the append is timed."""
    batches = [
        [(KIND, licence_body(i)) for i in range(offset, min(offset + batch, first + count))]
        for offset in range(first, first + count, batch)
    ]

    def run() -> None:
        if profiler:
            profiler.enable()
        for items in batches:
            node.append(user, items)
        if profiler:
            profiler.disable()

    return timed(count, run)


def appends(cities: dict, records: int, batch: int, rounds: int, profile: int) -> dict[str, Timed]:
    """Each city appends records/rounds per round, taking turns; totals per suite."""
    nodes = {name: open_node(city, A) for name, city in cities.items()}
    users = {name: clerk(node) for name, node in nodes.items()}
    totals = {name: Timed(0, 0.0, 0.0) for name in cities}
    profiler = cProfile.Profile() if profile else None
    try:
        per_round = records // rounds
        for r in range(rounds):
            for name, node in nodes.items():
                watch = profiler if name == SM2_SM3.name else None
                totals[name] += append(node, users[name], r * per_round, per_round, batch, watch)
    finally:
        for node in nodes.values():
            node.close()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile)
        print(f"\nprofile of the SM city's append, costliest {profile} functions by own time:")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    return totals


def verify_only(leaves: list[bytes], keys: dict, root: bytes, hasher) -> Timed:
    """sync_bench.py's reference: strict parse with leaf hash, signature, tree and root."""

    def run() -> None:
        hashes = []
        for data in leaves:
            leaf = parse_leaf(data, hasher)
            if not verify_leaf_signature(leaf, keys[leaf.kid]):
                raise RuntimeError(f"leaf {leaf.record.seq}: bad signature")
            hashes.append(leaf.hash)
        frontier, _ = merkle.Frontier(hasher=hasher).extend(hashes)
        if frontier.root() != root:
            raise RuntimeError("the leaves do not give the checkpoint's root")

    return timed(len(leaves), run)


def catch_up(city) -> tuple[Timed, Timed]:
    """Civil affairs imports market-regulation's log from where its mirror stands, in
    chunks of CHUNK with consistency proofs; and the verify-only loop over the same leaves."""
    with open_node(city, A) as source:
        head = source.store.head(A)
        leaves = source.store.leaves(head.id, 0, head.size)
        reader = source.store.reader(head.id)
        keys = {k.kid: public_key_from_bytes(k.public_key) for k in source.trust.agencies[A].keys}
        hasher = source.store.hasher
        with open_node(city, B) as mirror:
            mine = mirror.store.head(A)
            start = mine.size if mine else 0
            chunks = []
            for first in range(start, head.size, CHUNK):
                end = min(first + CHUNK, head.size)
                proof = merkle.consistency_proof(reader, end, head.size) if end < head.size else None
                chunks.append((first, leaves[first:end], proof))
            reference = verify_only(leaves[start:], keys, head.root, hasher)

            def run() -> None:
                for first, part, proof in chunks:
                    mirror.import_log(A, head.origin, first, part, head.checkpoint, proof)

            imported = timed(head.size - start, run)
            if mirror.store.head(A).root != head.root:
                raise RuntimeError("the mirror did not end at the source's root")
    return imported, reference


def ratio_line(what: str, unit: str, ed: float, sm_: float, note: str = "", names: tuple = ("Ed25519", "SM")) -> None:
    print(
        f"{what:46} {names[0]:7} {ed:9,.1f} {unit:9}  {names[1]:3} {sm_:9,.1f} {unit:9}  SM/Ed25519 {sm_ / ed:5.2f}{note}"
    )


def _version(dist: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(dist)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5_000, help="records appended per city (then caught up)")
    parser.add_argument("--batch", type=int, default=1000, help="records per append")
    parser.add_argument("--rounds", type=int, default=2, help="turns the two cities take appending")
    parser.add_argument("--seconds", type=float, default=0.5, help="CPU seconds per primitive figure")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions of the SM append")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"libraries: gmalglib {_version('gmalglib')}, cryptography {_version('cryptography')}")
    print(f"SM3 from {'cryptography' if isinstance(sm.sm3_hash, type) else 'hashlib (OpenSSL)'}")
    (ed_sign, ed_verify), (sm_sign, sm_verify) = (signatures(s, args.seconds) for s in SUITES)
    ratio_line("sign, ~1 KB record (per CPU second)", "/s", ed_sign, sm_sign)
    ratio_line("verify, ~1 KB record (per CPU second)", "/s", ed_verify, sm_verify)
    for size, label in ((1 << 20, "1 MiB"), (64, "64 B")):
        sha, sm3 = hashing(hashlib.sha256, size, args.seconds), hashing(sm.sm3_hash, size, args.seconds)
        ratio_line(f"hash, {label} inputs (per CPU second)", "MB/s", sha, sm3, names=("SHA-256", "SM3"))
    with tempfile.TemporaryDirectory(prefix="citychain-sm-bench-") as tmp:
        began = time.perf_counter()
        cities = {s.name: make_city(Path(tmp), s) for s in SUITES}
        print(f"two demo cities made in {time.perf_counter() - began:.1f} s")
        totals = appends(cities, args.records, args.batch, args.rounds, args.profile)
        ed, sm_ = totals[ED25519_SHA256.name], totals[SM2_SM3.name]
        what = f"append, {ed.count:,} records, batches of {args.batch:,}"
        ratio_line(what + " (wall)", "records/s", ed.rate, sm_.rate, "  (goal ≥ 0.5)")
        ratio_line(what + " (CPU)", "records/s", ed.cpu_rate, sm_.cpu_rate)
        caught = {name: catch_up(city) for name, city in cities.items()}
        (ed_in, ed_ref), (sm_in, sm_ref) = caught[ED25519_SHA256.name], caught[SM2_SM3.name]
        ratio_line(f"catch-up import, {ed_in.count:,} records (wall)", "records/s", ed_in.rate, sm_in.rate)
        ratio_line(f"catch-up import, {ed_in.count:,} records (CPU)", "records/s", ed_in.cpu_rate, sm_in.cpu_rate)
        ratio_line("verify-only loop, same leaves (CPU)", "records/s", ed_ref.cpu_rate, sm_ref.cpu_rate)


if __name__ == "__main__":
    main()

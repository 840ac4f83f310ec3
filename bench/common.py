"""Shared set-up for the benchmarks: a demo city with a test record kind whose
records look like a real licence (~1 KB: ids, dates, salted commitments)."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from citychain.node.kinds import KindSpec, Plugin  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

KIND = "bench.licence"
PLUGIN = Plugin(
    "bench",
    kinds=(KindSpec(KIND, "bench.write", lambda r: "certificate:business-licence"),),
    actions=(("bench.write", frozenset({"clerk"}), "基准测试", "benchmark"),),
)
FIELDS = ("holder_name", "holder_id", "company_name", "uscc", "address", "legal_rep", "scope", "capital")


def licence_body(i: int) -> dict:
    """About 1 KB canonical, shaped like a certificate.issued body."""

    def commit(name: str) -> str:
        return hashlib.sha256(f"{name}:{i}".encode()).hexdigest()

    return {
        "id": f"1.2.156.3005.2.11100000000000001X.11330100MB0000001R.{i:08d}.001.K",
        "type": "business-licence",
        "type_name": "营业执照 / Business licence",
        "issuer": "market-regulation",
        "valid_from": "2026-03-01",
        "valid_until": "2046-02-28",
        "commitments": {name: commit(name) for name in FIELDS},
        "public": {"company_type": "有限责任公司（自然人投资或控股）", "district": "示范市西湖区"},
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


def demo_home(base: Path | None = None) -> tuple[Path, Node]:
    """A fresh market-regulation home, opened for writing."""
    base = Path(base or tempfile.mkdtemp(prefix="citychain-bench-"))
    city = create_demo_city(base / "city", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
    home = city.home("market-regulation")
    return home, Node.open(home, (PLUGIN,), argon2=Argon2Params.fast())


def clerk(node: Node):
    return node.users.authenticate("clerk", spec.PASSWORDS["clerk"])


def fill(node: Node, user, first: int, count: int, batch: int = 10_000) -> None:
    """Append licence-like records first..first+count in batches."""
    for offset in range(first, first + count, batch):
        node.append(user, [(KIND, licence_body(i)) for i in range(offset, min(offset + batch, first + count))])


def fill_home(home: Path, records: int) -> None:
    """A log of `records` licence-like records in the given home."""
    with Node.open(home, (PLUGIN,), argon2=Argon2Params.fast()) as node:
        fill(node, clerk(node), 0, records)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

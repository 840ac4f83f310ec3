"""Counter app figures (issue 6): cold start to the sign-in window, "sign" to
the PDF preview, and records search with 100,000 certificates.

    .venv/bin/python bench/counter.py [--rounds 30] [--certificates 100000]

The start-up figure runs `main.py` in a subprocess (offscreen) against a demo
city made beforehand, so first-run demo creation is excluded; it reports when
the sign-in window is on screen and when the node behind it is ready.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def holder(n: int) -> str:
    return NAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20]


def bulk_issue(node, user, count: int, batch: int = 2000, index=None, progress=None) -> list[str]:
    """`count` business licences in batches: the desk's own validation and
    commitments, one signed append and one private-store transaction per
    batch (the desk itself issues one at a time, each with its own fsyncs)."""
    from certificates.desk import CertificateDesk
    from certificates.identifiers import CertificateId
    from certificates.types import licence_type
    from democity.samples import SAMPLES, company_code

    desk = CertificateDesk(node)
    licence = licence_type("business-licence")
    uscc = node.trust.agency(node.config.agency).attribute("uscc")
    head = node.store.head(node.config.agency)
    (start,) = node.store.conn.execute(
        "SELECT COUNT(*) FROM certificates WHERE log = ? AND type = ?", (head.id, licence.id)
    ).fetchone()
    private = node.private()
    ids = []
    for first in range(0, count, batch):
        items, sealed, indexed = [], [], []
        for n in range(first, min(count, first + batch)):
            form = dict(
                SAMPLES["business-licence"],
                company_name=f"示范市第{n}号贸易有限公司",
                uscc=company_code(f"91330106MA{n:07d}"),
                legal_rep=holder(n),
            )
            cert_id = CertificateId(licence.code, uscc, f"{start + n + 1:06d}")
            item, seed, values = desk._issued_item(licence, cert_id, form, None, None)
            items.append(item)
            sealed.append((str(cert_id), seed, values))
            indexed.append((str(cert_id), licence, values))
        private._conn.execute("BEGIN")  # one transaction for the batch: a bench shortcut, not an API
        for cert_id, seed, values in sealed:
            desk._store_private(cert_id, seed, values)
        private._conn.execute("COMMIT")
        node.append(user, items, target="bench")
        if index is not None:
            index.add_many(indexed)
        ids.extend(cert_id for cert_id, _, _ in sealed)
        if progress:
            progress(len(ids), count)
    return ids


def make_city(path: Path, cheap: bool = True):
    """The demo city; `cheap=False` gives it the real key and password costs a first start gives."""
    from citychain.accounts.users import Argon2Params
    from citychain.log.keys import KdfCost
    from democity.build import create_demo_city
    from ui.local_backend import default_plugins

    if not cheap:
        return create_demo_city(path, default_plugins())
    return create_demo_city(path, default_plugins(), cost=KdfCost.cheap(), argon2=Argon2Params.fast())


def bench_start(data: Path, rounds: int) -> dict:
    """Against a demo city made as a first start makes it (full key-derivation costs)."""
    from ui.counter.settings import CounterSettings

    make_city(data / "demo-city", cheap=False)
    CounterSettings(agency="market-regulation").save(data)
    env = {**os.environ, "CITYCHAIN_DATA": str(data), "CITYCHAIN_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen"}
    shown, ready = [], []
    for _ in range(rounds):
        began = time.time()
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=60
        )
        out = done.stdout
        if "node-ready" not in out:
            raise RuntimeError(f"the app did not report its start-up:\n{out}\n{done.stderr}")
        marks = dict(line.split() for line in out.splitlines() if line.startswith(("signin-shown", "node-ready")))
        shown.append(float(marks["signin-shown"]) - began)
        ready.append(float(marks["node-ready"]) - began)
    return {
        "spawn_to_signin_window_s_p50": round(statistics.median(shown), 3),
        "spawn_to_signin_window_s_max": round(max(shown), 3),
        "spawn_to_node_ready_s_p50": round(statistics.median(ready), 3),
        "spawn_to_node_ready_s_max": round(max(ready), 3),
    }


def bench_sign(city, rounds: int) -> dict:
    from democity import spec
    from democity.samples import SAMPLES
    from ui.counter.issue_page import sign_and_print
    from ui.local_backend import LocalBackend

    backend = LocalBackend(city.home("market-regulation"), sync=False)
    try:
        session = backend.sign_in("clerk", spec.PASSWORDS["clerk"])
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            sign_and_print(backend, session, "business-licence", SAMPLES["business-licence"], "2026-01-01", None)
            times.append((time.perf_counter() - began) * 1000)
    finally:
        backend.close()
    return {"sign_to_preview_ms_p50": statistics.median(times), "sign_to_preview_ms_p95": p95(times)}


def bench_search(city, count: int, rounds: int) -> dict:
    from democity import spec
    from democity.samples import company_code
    from ui.backend import RecordQuery
    from ui.local_backend import LocalBackend

    backend = LocalBackend(city.home("market-regulation"), sync=False)
    try:
        session = backend.sign_in("clerk", spec.PASSWORDS["clerk"])
        user = backend.node.users.sessions.signed_in(session.token)
        began = time.perf_counter()
        ids = bulk_issue(backend.node, user, count, index=backend.queries.index)
        made = time.perf_counter() - began
        backend.find_certificates(session, RecordQuery())  # warm the connection and the index catch-up
        queries = {
            "all, newest first": RecordQuery(),
            "holder's full name": RecordQuery(text=holder(count // 2)),
            "company's credit code": RecordQuery(text=company_code(f"91330106MA{count // 3:07d}")),
            "part of a licence number": RecordQuery(text=ids[-7].split(".")[-3]),
            "type + status": RecordQuery(type="business-licence", status="valid"),
            "date range, sorted by number": RecordQuery(
                date_from="2026-01-01", date_to="2026-12-31", sort="id", descending=False
            ),
            "all, sorted by first day of validity": RecordQuery(sort="valid_from"),
            "no match": RecordQuery(text="没有这个人"),
        }
        results = {}
        for name, query in queries.items():
            times = []
            for _ in range(rounds):
                began = time.perf_counter()
                page = backend.find_certificates(session, query, 0, 200)
                times.append((time.perf_counter() - began) * 1000)
            results[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95(times), 1),
                "matches": page.total,
            }
    finally:
        backend.close()
    return {"certificates": count, "bulk_issue_s": round(made, 1), "searches": results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["start", "sign", "search"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        report = {}
        if "start" not in args.skip:
            report["start"] = bench_start(data / "start", min(args.rounds, 10))
        city = make_city(data / "city")
        if "sign" not in args.skip:
            report["sign"] = bench_sign(city, args.rounds)
        if "search" not in args.skip:
            report["search"] = bench_search(city, args.certificates, args.rounds)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

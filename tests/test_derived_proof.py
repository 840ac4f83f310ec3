"""Derived tables are caches of the log, never a source of truth (issue 14, item 1).

One demo city with both plug-ins is built for the module; each tamper works
on a copy of one node's database (SQLite's backup), so every case starts
from the same honest node."""

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import quiet_demo_city
from nodes import NodeProcess, free_port

import main
from citychain.clock import FakeClock, SystemClock
from citychain.documents.checks import DEFAULT_MAX_AGE_S, VerifierConfig
from citychain.documents.door import VerifyPlace, document_kinds, verify_document
from citychain.documents.log_report import HomeReports
from citychain.node import derived
from citychain.node.check import check_home
from citychain.node.home import Home
from citychain.node.node import replay_trust
from citychain.node.store import Store

PLUGINS = main.plugins()
HOME = "civil-affairs"  # issues certificates, mirrors every other log, acknowledges disbursements
# The samples whose issuing node says they are no longer valid, by the home that issued them.
ENDED = {
    "marriage-certificate-REVOKED": ("civil-affairs", "REVOKED"),
    "residence-permit-SUSPENDED": ("public-security", "SUSPENDED"),
    "disability-certificate-SUPERSEDED": ("disabled-federation", "SUPERSEDED"),
}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """On the `clock` fixture's fake time, so a worker that built this city for another module copies it."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    return quiet_demo_city(tmp_path_factory.mktemp("derived") / "city", PLUGINS, clock)


def copy_home(city, agency: str, into: Path) -> Path:
    """The agency's home with a fresh copy of its database (the original stays honest)."""
    target = into / agency
    shutil.copytree(city.home(agency), target, ignore=shutil.ignore_patterns("ledger.sqlite*", "node.lock"))
    source, copy = sqlite3.connect(city.home(agency) / "ledger.sqlite"), sqlite3.connect(target / "ledger.sqlite")
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target


def changed(value):
    if isinstance(value, bool) or value is None:
        return "forged"
    if isinstance(value, int):
        return value + 1_000_003
    if isinstance(value, bytes):
        return value + b"\x00"
    if isinstance(value, float):
        return value + 1.5
    return f"{value}~"


def rederive(home: Path) -> derived.Rederived:
    config = Home(home).config()
    store = Store(home / "ledger.sqlite")
    try:
        trust = replay_trust(store, config)
    finally:
        store.close()
    return derived.rederive(home / "ledger.sqlite", PLUGINS, trust)


def tamper_row(conn: sqlite3.Connection, table: str, column_index: int) -> tuple[str, str | None, object, object]:
    """Change one column of the table's first row: (key text, column, old, new);
    a table the demo leaves empty gets a forged row instead (column None)."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    columns = [r[1] for r in info]
    keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or columns
    row = conn.execute(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY {", ".join(keys)} LIMIT 1').fetchone()
    if row is None:
        row = tuple(7 if "INT" in r[2].upper() else "forged" for r in info)
        conn.execute(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(row))})', row)
        return ", ".join(f"{k}={row[columns.index(k)]!r}" for k in keys), None, None, None
    column = columns[column_index % len(columns)]
    old = row[columns.index(column)]
    where = " AND ".join(f'"{k}" IS ?' for k in keys)
    conn.execute(
        f'UPDATE "{table}" SET "{column}" = ? WHERE {where}', (changed(old), *(row[columns.index(k)] for k in keys))
    )
    return ", ".join(f"{k}={row[columns.index(k)]!r}" for k in keys), column, old, changed(old)


def test_every_tampered_column_of_every_derived_table_is_named(city, tmp_path):
    """One column of one row of every derived table changed at once (the
    replay never reads the node's tables, so one cannot hide another), for
    each column in turn: every change is named by table, key, stored value
    and replayed value."""
    honest = rederive(city.home(HOME))
    assert honest.differences == () and honest.broken == ()
    tables = honest.tables
    assert {"certificates", "charity_pots", "charity_requests", "charity_acks"} <= set(tables)
    with sqlite3.connect(city.home(HOME) / "ledger.sqlite") as conn:
        widths = {t: len(conn.execute(f'PRAGMA table_info("{t}")').fetchall()) for t in tables}
    for round_ in range(max(widths.values())):
        home = copy_home(city, HOME, tmp_path / f"round-{round_}")
        with sqlite3.connect(home / "ledger.sqlite") as conn:
            tampered = {t: tamper_row(conn, t, round_) for t in tables}
        found = rederive(home).differences
        for table, (key, column, old, new) in tampered.items():
            named = [d for d in found if d.table == table]
            assert named, f"{table}.{column} changed at {key} and nobody noticed"
            if column is None:  # a forged row in a table the log leaves empty
                assert any(d.key == key and d.replayed == "no row" for d in named), named
            elif any(d.key == key and f"{column}={new!r}" in d.stored for d in named):
                assert any(d.key == key and f"{column}={old!r}" in d.replayed for d in named)
            else:  # a key column changed: the honest row is missing and a stranger is present
                assert any(d.key == key and d.stored == "no row" for d in named), named
        assert len(found) >= len(tables)


def test_log_check_reports_metadata_and_rows(city, tmp_path):
    """`log check` (the whole of it) names a tampered status row, a mirrored
    log's changed origin and a wrong `own` flag; an honest home passes."""
    assert check_home(city.home(HOME), PLUGINS).ok
    home = copy_home(city, HOME, tmp_path)
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        conn.execute("UPDATE certificates SET status = 'valid' WHERE status = 'revoked'")
        conn.execute("UPDATE logs SET origin = origin || 'x' WHERE agency = 'market-regulation'")
        conn.execute("UPDATE logs SET own = 1 WHERE agency = 'public-security'")
    report = check_home(home, PLUGINS)
    problems = {log.agency: " | ".join(log.problems) for log in report.logs}
    assert not report.ok
    assert (
        "logs agency='market-regulation': stored origin='citychain/demo/market-regulationx'"
        in problems["market-regulation"]
    )
    assert "logs agency='public-security': stored own=1, the log gives own=0" in problems["public-security"]
    rows = next(text for agency, text in problems.items() if agency.startswith("derived tables"))
    assert "certificates id=" in rows and "stored status='valid', the log gives status='revoked'" in rows


def verdict(home: Path, qr: str) -> str:
    config = VerifierConfig.from_home(home)
    place = VerifyPlace(config, HomeReports(home, SystemClock()), DEFAULT_MAX_AGE_S, SystemClock())
    return verify_document(qr, place, document_kinds(PLUGINS)).code


@pytest.mark.parametrize("sample", sorted(ENDED))
def test_an_edited_status_row_never_makes_an_ended_certificate_valid(city, tmp_path, sample):
    """Each column of the certificate's index row changed, one at a time, and
    the row made to say valid outright: the verdict stays the log's."""
    agency, expected = ENDED[sample]
    qr = (city.path / "samples" / f"{sample}.qr.txt").read_text().strip()
    assert verdict(city.home(agency), qr) == expected
    with sqlite3.connect(city.home(agency) / "ledger.sqlite") as conn:
        cert_id = conn.execute("SELECT id FROM certificates WHERE status = ?", (expected.lower(),)).fetchone()[0]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(certificates)")]
        honest = conn.execute("SELECT * FROM certificates WHERE id = ?", (cert_id,)).fetchone()
    edits = [(f'"{c}" = ?', (changed(v),)) for c, v in zip(columns, honest)]
    edits.append(("status = 'valid', status_seq = seq, superseded_by = NULL", ()))
    for i, (edit, args) in enumerate(edits):
        home = copy_home(city, agency, tmp_path / str(i))
        with sqlite3.connect(home / "ledger.sqlite") as conn:
            assert conn.execute(f"UPDATE certificates SET {edit} WHERE id = ?", (*args, cert_id)).rowcount == 1
        assert verdict(home, qr) == expected, edit


def test_a_node_that_finds_a_difference_says_so_and_refuses(city, tmp_path):
    """A node started on a home whose charity pot was edited reports the row in
    /v1/status and /metrics, is not ready, refuses the charity reads, and
    still answers a certificate's status (folded from the log) truthfully."""
    home = copy_home(city, HOME, tmp_path)
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        conn.execute("UPDATE charity_pots SET free = free + 1")
        cert_id, seq = conn.execute("SELECT id, seq FROM certificates WHERE status = 'revoked'").fetchone()
        conn.execute("UPDATE certificates SET status = 'valid' WHERE id = ?", (cert_id,))
    node = NodeProcess(home, free_port()).start()
    try:
        for _ in range(200):  # the check runs in a thread of its own: poll its state
            derived_state = node.get("/v1/status").json()["derived"]
            if derived_state["state"] != "checking":
                break
        assert derived_state["state"] == "differs"
        assert {d["table"] for d in derived_state["shown"]} == {"charity_pots", "certificates"}
        assert derived_state["differences"] == len(derived_state["shown"])
        health = node.get("/v1/health")
        assert health.status_code == 503 and "DERIVED_MISMATCH" in {r["code"] for r in health.json()["why"]}
        assert f"citychain_derived_differences {float(derived_state['differences'])}" in node.get("/metrics").text
        refused = node.get("/v1/charity/funds")
        assert refused.status_code == 503 and refused.json()["error"] == "DERIVED_MISMATCH"
        assert refused.json()["message_zh"] and refused.json()["message_en"]
        status = node.get("/v1/certificates/status", agency=HOME, id=cert_id, seq=seq)
        assert status.status_code == 200 and status.json()["certificate"]["status"] == "revoked"
    finally:
        node.stop()

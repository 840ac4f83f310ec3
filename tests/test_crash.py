"""SIGKILL a real appending process at random moments: nothing acknowledged is
lost, no partial batch is visible, and `log check` passes every time."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import FAST_ARGON2, quiet_demo_city
from ledger_kit import TEST_PLUGIN, open_node
from nodes import NodeProcess, free_port, wait_for

import main
from charity.desk import CharityDesk
from citychain.node.bundle import export_bundle
from citychain.node.check import check_home
from citychain.node.node import Node
from citychain.node.trust import PERMISSIONS_SET
from democity import samples, spec

PLUGINS = main.plugins()

BATCH = 7
KILLS = 20


@pytest.fixture(scope="module")
def appender():
    """crash_appender.py's fork server: each kill below ends a real process, forked from a warm one."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_appender.py")), "--fork"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield server
    server.stdin.close()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_and_kill(appender: subprocess.Popen, home: Path, delay: float) -> list[int]:
    fifo = home.parent / "appender.fifo"
    os.mkfifo(fifo)
    appender.stdin.write(f"{home}\t{BATCH}\t{fifo}\n")
    appender.stdin.flush()
    words = appender.stdout.readline().split()
    assert words[:1] == ["pid"], words
    pid = int(words[1])
    acks: list[int] = []
    ready = threading.Event()

    def read() -> None:
        with open(fifo) as lines:
            for line in lines:
                words = line.split()
                if words[:1] == ["ready"]:
                    ready.set()
                if len(words) == 2 and words[0] == "ack" and words[1].isdigit():  # a kill may cut a line short
                    acks.append(int(words[1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(60)  # the kill falls while it appends, however slowly a loaded machine runs it
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):  # it failed by itself: the sizes below will say so
        os.kill(pid, signal.SIGKILL)
    assert appender.stdout.readline().split() == ["exit", str(pid)]  # reaped: its lock and files are closed
    reader.join(5)
    fifo.unlink()
    return acks


def test_sigkill_while_appending_loses_nothing_acknowledged(demo_city, appender):
    home = demo_city.home("market-regulation")
    rng = random.Random(20261125)
    acknowledged = 0
    for _ in range(KILLS):
        acks = run_and_kill(appender, home, rng.uniform(0.05, 0.3))  # after it is ready: a kill mid-append
        acknowledged = max([acknowledged, *acks])
        with open_node(demo_city, write=True) as node:  # opening replays a signed, unstored batch
            assert node.own.refusal is None
            size = node.store.head("market-regulation").size
        assert size >= acknowledged, f"acknowledged {acknowledged} but only {size} survived"
        assert size % BATCH == 0, f"a partial batch is visible: size {size}"
        report = check_home(home, (TEST_PLUGIN,))
        assert report.ok, report.lines()
    assert acknowledged > 0


# -- the same over HTTP, with the record kinds that derive tables ----------------------------------------------

# The city lab kills a serving node twenty times while certificates are written
# (tests/test_city_lab.py); here fewer kills, with receipts written beside them.
DRILL_CYCLES = 8


def _writer(node: NodeProcess, path: str, body: dict, key: str, acks: list[str], stop: threading.Event) -> None:
    """Write until the node dies; an answer that arrived is an acknowledged write."""
    try:
        token = node.login("clerk")
        while not stop.is_set():
            reply = requests.post(node.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if reply.status_code in (200, 201):
                acks.append(reply.json()[key])
    except (requests.RequestException, ValueError):
        return  # the node was killed mid-request: that write was never acknowledged


def _own_bodies(home: Path, agency: str, kind: str) -> list[dict]:
    conn = sqlite3.connect(f"file:{home / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT e.leaf FROM entries e JOIN logs l ON l.id = e.log WHERE l.agency = ?", (agency,))
        records = (json.loads(leaf)["record"] for (leaf,) in rows)
        return [r["body"] for r in records if r["kind"] == kind]
    finally:
        conn.close()


def _one_agency_for_both(city) -> str:
    """Let the charity federation issue disability certificates too, so one
    killed node per cycle exercises both kinds of derived table."""
    with Node.open(city.home(spec.ROOT), PLUGINS, argon2=FAST_ARGON2) as root:
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        root.append(
            admin,
            [
                (
                    PERMISSIONS_SET,
                    {
                        "agency": "charity-federation",
                        "permissions": ["charity:organisation", "certificate:disability-certificate"],
                    },
                )
            ],
        )
        bundle = export_bundle(root.store, root.config.city, root.config.root_agency, root.config.root_keys)
    with Node.open(city.home("charity-federation"), PLUGINS, argon2=FAST_ARGON2) as node:
        node.import_trust_bundle(bundle)
        return CharityDesk(node).funds()[0].id


@pytest.mark.slow
def test_sigkill_of_a_serving_node_never_signs_an_id_or_receipt_twice(tmp_path):
    """The crash drill: SIGKILL a serving node at random moments while HTTP
    clients issue certificates and record donations; every acknowledged write
    survives exactly once, ids and receipt codes stay unique, `log check`
    passes and a peer mirrors the log as ok."""
    city = quiet_demo_city(tmp_path / "city", PLUGINS)
    agency, home = "charity-federation", city.home("charity-federation")
    fund = _one_agency_for_both(city)
    licence = {"type": "disability-certificate", "form": samples.SAMPLES["disability-certificate"]}
    donation = {"fund_id": fund, "amount_fen": 100, "channel": "bank", "donor_name": "张三丰"}
    writes = (("/v1/certificates", licence, "cert_id", []), ("/v1/charity/desk/donations", donation, "id", []))
    rng = random.Random(20261205)
    for _ in range(DRILL_CYCLES):
        node = NodeProcess(home, free_port()).start()
        stop = threading.Event()
        threads = [
            threading.Thread(target=_writer, args=(node, path, body, key, acks, stop))
            for path, body, key, acks in writes
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.2, 0.8))
        node.kill()
        stop.set()
        for thread in threads:
            thread.join(15)
    ids = [b["id"] for b in _own_bodies(home, agency, "certificate.issued")]
    receipts = [b["receipt"] for b in _own_bodies(home, agency, "charity.donation.received")]
    (*_, cert_acks), (*_, receipt_acks) = writes
    assert len(cert_acks) > DRILL_CYCLES and len(receipt_acks) > DRILL_CYCLES
    assert len(set(ids)) == len(ids) and len(set(receipts)) == len(receipts)
    assert all(ids.count(a) == 1 for a in cert_acks) and all(receipts.count(a) == 1 for a in receipt_acks)
    with Node.open(home, PLUGINS, argon2=FAST_ARGON2):  # replays a batch the last kill left signed but unstored
        pass
    report = check_home(home, PLUGINS)
    assert report.ok, report.lines()
    source = NodeProcess(home, free_port()).start()
    peer = NodeProcess(city.home("civil-affairs"), free_port(), [source.url]).start()
    try:

        def mirrored() -> bool:
            logs = {entry["agency"]: entry for entry in peer.get("/v1/logs").json()["logs"]}
            return logs.get(agency, {}).get("size") == source.size_of(agency) and logs[agency]["status"] == "ok"

        wait_for(mirrored, timeout=60)
    finally:
        peer.stop()
        source.stop()

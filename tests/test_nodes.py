"""Three real node processes on 127.0.0.1: sync, relay, witnessing, restarts.

The fault drills (a partition, skewed clocks, a home restored from an old
backup) run across network namespaces in the city lab (tests/test_city_lab.py)."""

from __future__ import annotations

import time

import pytest
from ledger_kit import TEST_PLUGIN, note, open_node
from nodes import NodeProcess, free_port, wait_for

from citychain.log.checkpoint import open_checkpoint
from citychain.log.keys import public_key_from_bytes
from citychain.node.check import check_home
from citychain.node.home import origin
from citychain.node.witnesses import witnessed_by

A, B, C = "market-regulation", "civil-affairs", "public-security"


@pytest.fixture
def trio(demo_city):
    ports = {name: free_port() for name in (A, B, C)}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    nodes = {
        A: NodeProcess(demo_city.home(A), ports[A], [url[B], url[C]]),
        B: NodeProcess(demo_city.home(B), ports[B], [url[A], url[C]]),
        C: NodeProcess(demo_city.home(C), ports[C], [url[B]]),  # C hears of A only through B
    }
    for node in nodes.values():
        node.start(wait=False)
    for node in nodes.values():
        node.wait_ready()
    yield nodes
    for node in nodes.values():
        node.stop()


def test_records_on_a_reach_b_and_c_verified_and_cosigned(trio, demo_city):
    a, b, c = trio[A], trio[B], trio[C]
    token = a.login("clerk")
    reply = a.append(token, [note(i) for i in range(5)])
    assert reply.status_code == 201, reply.text
    wait_for(lambda: b.size_of(A) == 5 and c.size_of(A) == 5)
    checkpoints = {n.get(f"/v1/logs/{A}/checkpoint").text.split("\n\n")[0] for n in (a, b, c)}
    assert len(checkpoints) == 1  # all agree on the checkpoint
    # A gathers co-signatures from its witnesses and serves them with the checkpoint;
    # B, checking with its own trust log, counts both.
    with open_node(demo_city, B, write=False) as node:
        trust = node.trust
        a_key = public_key_from_bytes(trust.agencies[A].keys[0].public_key)

    def cosigners_seen_by_b() -> set:
        signed = open_checkpoint(a.get(f"/v1/logs/{A}/checkpoint").text, origin("demo", A), [a_key])
        return set(witnessed_by(signed, trust, "demo", A, int(time.time())))

    wait_for(lambda: cosigners_seen_by_b() == {origin("demo", B), origin("demo", C)})
    own = a.get("/v1/status").json()["own_log"]
    assert own["witnessed"] and own["quorum"] == 2


def test_c_gets_a_records_from_b_while_a_is_down(trio):
    a, b, c = trio[A], trio[B], trio[C]
    a.append(a.login("clerk"), [note(1), note(2)])
    wait_for(lambda: b.size_of(A) == 2)
    assert a.stop() == 0
    wait_for(lambda: c.size_of(A) == 2)
    status = c.get("/v1/status").json()
    assert status["forks"] == [] and all(l["status"] == "ok" for l in status["logs"])


def test_sigkill_mid_sync_resumes_without_loss_or_duplicates(trio, demo_city):
    a, b = trio[A], trio[B]
    token = a.login("clerk")
    for i in range(10):
        assert a.append(token, [note(100 * i + j) for j in range(300)]).status_code == 201
    b.kill()
    b.start()
    wait_for(lambda: b.size_of(A) == 3000, timeout=60)
    b.stop()
    report = check_home(demo_city.home(B), (TEST_PLUGIN,))
    assert report.ok, report.lines()


def test_a_clerk_cannot_write_a_supervisor_kind_through_the_api(trio):
    a = trio[A]
    reply = a.append(a.login("clerk"), [("test.recall", {"n": 1})])
    assert reply.status_code == 403 and "permission denied" in reply.json()["message"]
    assert a.append("not-a-token", [note(1)]).status_code == 401
    assert a.size_of(A) == 0


def test_openapi_is_served_and_documents_every_route(trio):
    import json
    from pathlib import Path

    served = trio[A].get("/openapi.json").json()
    kept = json.loads((Path(__file__).resolve().parent.parent / "docs" / "openapi.json").read_text())
    assert served == kept
    from starlette.routing import Route

    from citychain.net.api import make_app

    class _Service:  # just enough for make_app to list its routes
        node = readers = None
        plugins = ()

    paths = {r.path for r in make_app(_Service()).routes if isinstance(r, Route)}
    assert paths <= set(kept["paths"])  # the core's; with every plug-in's, both ways: tests/test_openapi.py


def test_proof_and_range_requests_are_checked(trio):
    a = trio[A]
    a.append(a.login("clerk"), [note(i) for i in range(5)])
    assert a.get(f"/v1/logs/{A}/entries", start=0, end=99).json()["entries"].__len__() == 5
    for path, params in (
        (f"/v1/logs/{A}/entries", {"start": 5, "end": 9}),
        (f"/v1/logs/{A}/proof/inclusion", {"index": 5, "size": 5}),
        (f"/v1/logs/{A}/proof/consistency", {"from": 3, "to": 6}),
        (f"/v1/logs/{A}/entries", {"start": "-1", "end": 2}),
    ):
        reply = a.get(path, **params)
        assert reply.status_code == 400 and reply.json()["error"] in ("BAD_RANGE", "BAD_PARAMETER")
    assert a.get("/v1/logs/nobody/checkpoint").status_code == 404


def test_sync_command_runs_one_round_and_says_what_it_did(demo_city):
    import os
    import subprocess
    import sys

    from democity import spec

    root = NodeProcess(demo_city.home("city-root"), free_port()).start()
    env = {**os.environ, "CITYCHAIN_PASSWORD": spec.PASSWORDS["admin"]}

    def cli(*args):
        return subprocess.run([sys.executable, "main.py", *args], capture_output=True, text=True, env=env)

    try:
        admin = root.login("admin")
        reply = root.append(
            admin, [("trust.agency.suspended", {"agency": "disabled-federation", "reason": "年检 / review"})]
        )
        assert reply.status_code == 201, reply.text
        home = str(demo_city.home(B))
        assert cli("peer", "add", root.url, "--home", home, "--user", "admin").returncode == 0
        listed = cli("peer", "list", "--home", home, "--user", "admin")
        assert listed.stdout.split() == [root.url]
        done = cli("sync", "--home", home)
        assert done.returncode == 0, done.stderr
        before = root.size_of("city-root") - 1  # the trust log up to the suspension just appended
        assert f"{root.url}: city-root {before} → {before + 1}" in done.stdout
        again = cli("sync", "--home", home)
        assert again.returncode == 0 and "nothing new" in again.stdout
        shown = cli("trust", "show", "--home", home).stdout
        assert "disabled-federation" in shown and "[suspended since" in shown
        root.stop()
        down = cli("sync", "--home", home)
        assert down.returncode == 1 and "UNREACHABLE" in down.stdout
    finally:
        root.stop()

"""No peer can stop or stall syncing: whatever a peer sends (deep JSON, a
drip, nonsense) is that peer's failure, reported and backed off; a fault
nobody foresaw fails one peer's turn, never the loop, and a loop that failed
is restarted and says so; a fork is logged loudly. Real node processes on
127.0.0.1 beside small fake peers (tests/node_runner.py: peer deadline 3 s,
read timeout 2 s, sync interval 1 s)."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from ledger_kit import note, open_node, sign_in
from nodes import LoopbackServer, NodeProcess, free_port, wait_for
from starlette.applications import Starlette
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from test_hostile_peer import HostilePeer, a_log_b_mirrors
from test_mirror import agency_signer

from citychain.net.client import Limits, PeerClient, PeerError
from citychain.net.sync import Syncer

A, B = "market-regulation", "civil-affairs"
DEADLINE = 3.0  # tests/node_runner.py's Limits


class FakePeer(LoopbackServer):
    """A peer whose answers the test sets and changes while nodes run:
    `logs` is "empty", "nested" or "drip"; `notify` is "ok" or "drip";
    `witness` is the body of its 409 answer (the size it last co-signed)."""

    def __init__(self, logs: str = "empty", notify: str = "ok", witness: str = "0\n") -> None:
        self.logs, self.notify, self.witness = logs, notify, witness
        self.port = free_port()
        self.in_flight = 0
        self.drip_started = 0.0

    async def _drip(self, body: bytes):
        """`body` a byte every 0.5 s: ~100 s in all, each byte well within any read timeout."""
        self.in_flight += 1
        self.drip_started = time.monotonic()
        try:
            for byte in body:
                yield bytes([byte])
                await asyncio.sleep(0.5)
        finally:
            self.in_flight -= 1

    def _dripping(self, body: bytes) -> Response:
        # Content-Length set: the case where the old client checked its deadline once per 64 KiB.
        return StreamingResponse(
            self._drip(body), media_type="application/json", headers={"content-length": str(len(body))}
        )

    def app(self) -> Starlette:
        empty = b'{"logs": []}'.rjust(200)

        def logs(request):
            if self.logs == "nested":
                return Response(b"[" * 100_000, media_type="application/json")
            if self.logs == "drip":
                return self._dripping(empty)
            return Response(empty, media_type="application/json")

        def notify(request):
            return self._dripping(b"{}".rjust(200)) if self.notify == "drip" else JSONResponse({}, 202)

        def witness(request):
            return PlainTextResponse(self.witness, 409, media_type="text/x.tlog.size")

        return Starlette(
            routes=[
                Route("/v1/logs", logs),
                Route("/v1/notify", notify, methods=["POST"]),
                Route("/v1/witness/add-checkpoint", witness, methods=["POST"]),
            ]
        )


@contextmanager
def running(*nodes: NodeProcess):
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def peer(node: NodeProcess, url: str) -> dict:
    return next((p for p in node.get("/v1/status").json()["peers"] if p["url"] == url), {})


def log_lines(node: NodeProcess) -> list[dict]:
    """The node's JSON log lines (stderr; other output is skipped)."""
    lines = []
    for line in node.log_path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return [line for line in lines if isinstance(line, dict) and "level" in line]


def mirrored(b: NodeProcess, a: NodeProcess) -> bool:
    return b.size_of(A) == a.size_of(A)


@contextmanager
def table_gone(home: Path, table: str):
    """A local fault while the node runs: one of its tables is away for a moment."""
    with sqlite3.connect(home / "ledger.sqlite", timeout=30) as conn:
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with sqlite3.connect(home / "ledger.sqlite", timeout=30) as conn:
            # A connection the node opened meanwhile (a new request thread) made the
            # missing table again, empty: the one put away comes back in its place.
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


# -- 2. a peer can stop all syncing ---------------------------------------------


def test_garbage_from_peers_stops_neither_start_up_nor_the_loop(demo_city):
    """Deeply nested JSON (RecursionError in the parser) and a peer URL requests
    cannot parse each made `node serve` exit before it served anything; a
    witness answering 409 "²" (str.isdigit() is true, int() fails) killed the
    sync thread of the node asking it to co-sign."""
    with FakePeer(logs="nested") as nested, FakePeer(witness="²\n") as superscript:
        a = NodeProcess(demo_city.home(A), free_port(), [superscript.url])
        with running(a):
            a.start()
            token = a.login("clerk")
            a.append(token, [note(0), note(1)])
            wait_for(lambda: peer(a, superscript.url)["error_code"] == "WITNESS_409", timeout=10)
            b = NodeProcess(demo_city.home(B), free_port(), [nested.url, "http://a..b", a.url])
            with running(b):
                b.start()
                assert mirrored(b, a)  # the start-up round took the honest peer's log
                assert peer(b, nested.url)["error_code"] == "MALFORMED"
                assert peer(b, "http://a..b")["error_code"] == "BAD_URL"
                a.append(token, [note(2)])
                wait_for(lambda: mirrored(b, a), timeout=10)
                assert a.get("/v1/status").json()["sync_loop"]["running"]


def test_deeply_nested_json_at_run_time_fails_only_that_peer(demo_city):
    """It used to kill the sync thread: HTTP still served, nothing was mirrored
    any more, and /v1/status kept showing the last old error."""
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a), FakePeer() as evil:
        a.start()
        b = NodeProcess(demo_city.home(B), free_port(), [evil.url, a.url])
        with running(b):
            b.start()
            wait_for(lambda: peer(b, evil.url)["last_contact"] is not None, timeout=10)
            evil.logs = "nested"
            wait_for(lambda: peer(b, evil.url)["error_code"] == "MALFORMED", timeout=10)
            a.append(a.login("clerk"), [note(0), note(1)])
            wait_for(lambda: mirrored(b, a), timeout=10)
            assert b.get("/v1/status").json()["sync_loop"]["running"]


def test_an_unforeseen_fault_while_syncing_a_peer_is_that_peer_s_failure(demo_city):
    """Not a PeerError: here the table where the node notes a peer's check is
    away. The turn fails, is backed off, logged and shown; the loop goes on."""
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        a.append(a.login("clerk"), [note(0)])
        b = NodeProcess(demo_city.home(B), free_port(), [a.url])
        with running(b):
            b.start()
            assert mirrored(b, a)
            with table_gone(demo_city.home(B), "meta"):
                wait_for(lambda: peer(b, a.url)["error_code"] == "INTERNAL", timeout=10)
            state = peer(b, a.url)
            assert "OperationalError" in state["error"] and state["backoff_seconds"] >= 0
            assert any(
                line["level"] == "ERROR" and a.url in line["message"] and "INTERNAL" in line["message"]
                for line in log_lines(b)
            )
            a.append(a.login("clerk"), [note(1)])
            wait_for(lambda: mirrored(b, a), timeout=15)
            wait_for(lambda: peer(b, a.url)["error_code"] == "", timeout=10)


def test_the_sync_loop_is_restarted_and_says_so(demo_city):
    """A fault outside any peer's turn (the peers table away) stopped the loop
    thread for good; now it is logged, shown in /v1/status and the loop restarts."""
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        b = NodeProcess(demo_city.home(B), free_port(), [a.url])
        with running(b):
            b.start()
            assert b.get("/v1/status").json()["sync_loop"] == {
                "running": True,
                "restarts": 0,
                "error": "",
                "failed_at": None,
            }
            with table_gone(demo_city.home(B), "peers"):
                wait_for(lambda: "no such table: peers" in b.log_path.read_text(encoding="utf-8"), timeout=10)
            a.append(a.login("clerk"), [note(0), note(1)])
            wait_for(lambda: mirrored(b, a), timeout=10)
            loop = b.get("/v1/status").json()["sync_loop"]
            assert loop["running"] and loop["restarts"] >= 1 and "no such table: peers" in loop["error"]
            assert loop["failed_at"]
            assert any(line["level"] == "ERROR" and "sync loop failed" in line["message"] for line in log_lines(b))


# -- 3. a slow-dripping peer stalls everyone ------------------------------------


def drip_server(what: str) -> tuple[str, threading.Event]:
    """A raw HTTP server dripping headers or a body (Content-Length set) a byte
    every 0.2 s, for at most 20 s; stops when the client hangs up or `done`."""
    server = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request and not done.is_set():
                request += conn.recv(4096) or b"\r\n\r\n"
            head = b"HTTP/1.1 200 OK\r\n" if what == "headers" else b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
            try:
                conn.sendall(head)
                for _ in range(100):
                    if done.wait(0.2):
                        return
                    conn.sendall(b"X" if what == "headers" else b" ")
            except OSError:
                return  # the client cut it

    def serve() -> None:
        with server:
            server.settimeout(0.2)
            while not done.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", done


@pytest.mark.parametrize("what", ["headers", "body"])
def test_the_deadline_holds_while_a_read_blocks(what):
    """Each read gets a byte within the read timeout, so only a deadline on the
    whole request, enforced mid-read, stops it (the old check ran after each
    64 KiB chunk of the body, and never during the headers)."""
    url, done = drip_server(what)
    client = PeerClient(url, limits=Limits(connect_timeout=1, read_timeout=1, deadline=1))
    try:
        started = time.monotonic()
        with pytest.raises(PeerError) as raised:
            client.logs()
        assert raised.value.code == "TOO_SLOW"
        assert time.monotonic() - started < 2.5
    finally:
        client.close()
        done.set()


def test_a_dripping_peer_delays_no_one(demo_city):
    """A peer dripping its answers used to hold `node serve` up for the whole
    drip, and each sync round with it; an honest peer's entries waited for it.
    Now start-up waits at most the deadline, and a peer's entries arrive within
    their own round trip (A notifies B at once, B pulls from A at once) while
    a dripping peer holds requests from both."""
    with FakePeer(logs="drip", notify="drip") as evil_a, FakePeer(logs="drip") as evil_b:
        b_port = free_port()
        # "localhost" sorts after "127.0.0.1": A notifies its dripping peer before B.
        a = NodeProcess(demo_city.home(A), free_port(), [evil_a.url, f"http://localhost:{b_port}"])
        b = NodeProcess(demo_city.home(B), b_port, [evil_b.url, a.url])
        with running(a, b):
            a.start()
            token = a.login("clerk")
            a.append(token, [note(0)])
            started = time.monotonic()
            b.start()
            assert time.monotonic() - started < DEADLINE + 8  # the drip alone lasts 100 s
            assert mirrored(b, a)
            assert peer(b, evil_b.url)["error_code"] == "TOO_SLOW"
            # B has just asked its dripping peer again: that request holds on for up to the deadline.
            wait_for(lambda: evil_b.in_flight and time.monotonic() - evil_b.drip_started < 0.3, timeout=15, step=0.02)
            appended = time.monotonic()
            assert a.append(token, [note(1)]).ok
            wait_for(lambda: mirrored(b, a), timeout=10, step=0.02)
            assert time.monotonic() - appended < 1.5, "the honest peer's entry waited for the dripping one"


# -- 8b. a fork is logged --------------------------------------------------------


def test_a_fork_is_logged_loudly(demo_city):
    leaves = a_log_b_mirrors(demo_city)
    with HostilePeer("fork longer", leaves, agency_signer(demo_city)) as evil:
        b = NodeProcess(demo_city.home(B), free_port(), [evil.url])
        with running(b):
            b.start()
            wait_for(lambda: b.get("/v1/status").json()["forks"], timeout=10)
    forks = [line for line in log_lines(b) if "FORK DETECTED" in line["message"]]
    assert len(forks) == 1, log_lines(b)
    line = forks[0]
    assert line["level"] == "ERROR" and line["logger"] == "citychain.sync"
    assert A in line["message"] and evil.url in line["message"] and "size 4 and 6" in line["message"]
    assert "营业执照" not in b.log_path.read_text(encoding="utf-8")  # sizes and names only, never a record


# -- the writer's connection is used only under the node's lock ---------------------
class LockCheckedConnection:
    """The node's writer connection, noting every use by a thread that does not
    hold the node's lock (parallel peer threads would otherwise interleave with
    an append's open transaction and read its uncommitted rows)."""

    def __init__(self, conn: sqlite3.Connection, lock) -> None:
        self._conn, self._lock, self.unlocked = conn, lock, []

    def __getattr__(self, name: str):
        if not self._lock._is_owned():
            self.unlocked.append(f"{threading.current_thread().name}: {name}")
        return getattr(self._conn, name)


def test_sync_reads_the_writer_connection_only_under_the_node_lock(demo_city):
    b = NodeProcess(demo_city.home(B), free_port())
    with running(b):
        b.start()
        with open_node(demo_city, A) as node:
            node.append(sign_in(node, "clerk"), [note(0), note(1)])  # our own log, for B to co-sign as a witness
            checked = LockCheckedConnection(node.store.conn, node.lock)
            node.store.conn = checked
            syncer = Syncer(node, peers=[b.url])
            report = syncer.run_round()  # compares the trust log with B's copy, then asks B to co-sign
            node.store.conn = checked._conn
            assert syncer.peers[b.url].cosigned_size == 2, report
    assert not [line for line in report if "INTERNAL" in line], report
    assert checked.unlocked == []

"""A hostile peer (a small server in this test) beside an honest one: whatever it
serves is rejected, nothing of it is stored, the honest peer still syncs, and
a fork yields evidence another process can verify."""

from __future__ import annotations

import json

import pytest
from ledger_kit import TEST_PLUGIN, note, open_node
from nodes import LoopbackServer, NodeProcess, free_port, wait_for
from starlette.applications import Starlette
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from test_cli import cli
from test_mirror import agency_signer

from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, sign_checkpoint
from citychain.log.encoding import b64encode
from citychain.log.records import Record, make_leaf, parse_leaf
from citychain.node.check import check_home
from democity import spec

A, B = "market-regulation", "civil-affairs"
ORIGIN = f"citychain/demo/{A}"


class HostilePeer(LoopbackServer):
    """Serves market-regulation's log the way `mode` says, from real leaves."""

    def __init__(self, mode: str, leaves: list[bytes], signer, agency: str = A) -> None:
        self.mode, self.leaves, self.signer = mode, leaves, signer
        self.agency, self.origin = agency, f"citychain/demo/{agency}"
        self.port = free_port()
        self.hits = 0

    def content(self) -> tuple[str, list[bytes]]:
        leaves, signer = list(self.leaves), self.signer
        if self.mode == "rolled back":
            leaves = leaves[:1]
        elif self.mode in ("fork", "fork longer"):
            last = parse_leaf(leaves[1])
            count = 2 if self.mode == "fork" else 4
            for seq in range(2, 2 + count):
                prev = merkle.leaf_hash(leaves[seq - 1]).hex()
                leaves = leaves[:seq] + [
                    make_leaf(
                        Record(A, seq, prev, last.record.time, "test.note", {"n": 1000 + seq, "amount": 7}), signer
                    ).data
                ]
        elif self.mode == "bad signature":
            leaves = leaves + [leaves[-1]]
        cp = Checkpoint(self.origin, len(leaves), merkle.MemoryTree(leaves).root())
        note_text = sign_checkpoint(cp, signer.private_key)
        if self.mode == "forged entry":  # the agency's genuine checkpoint, one entry altered in transit
            leaves = leaves[:-1] + [leaves[-1].replace(b'"n":2', b'"n":9')]
        if self.mode == "bad signature":
            note_text = note_text[:-10] + ("A" if note_text[-10] != "A" else "B") + note_text[-9:]
        return note_text, leaves

    def app(self) -> Starlette:
        def logs(request):
            self.hits += 1
            if self.mode == "oversized":
                return Response(b'{"logs":[' + b" " * (9 << 20) + b"]}", media_type="application/json")
            if self.mode == "malformed json":
                return Response(b'{"logs": [{"agency": "market-regulation", "size": 5', media_type="application/json")
            if self.mode == "slow":

                async def trickle():
                    for _ in range(60):
                        yield b" "
                        import asyncio

                        await asyncio.sleep(0.5)

                return StreamingResponse(trickle(), media_type="application/json")
            note_text, leaves = self.content()
            return JSONResponse(
                {"logs": [{"agency": self.agency, "origin": self.origin, "size": len(leaves), "keys": []}]}
            )

        def checkpoint(request):
            return PlainTextResponse(self.content()[0])

        def entries(request):
            _, leaves = self.content()
            start, end = int(request.query_params["start"]), int(request.query_params["end"])
            return JSONResponse({"entries": [b64encode(x) for x in leaves[start:end]]})

        def consistency(request):
            _, leaves = self.content()
            tree = merkle.MemoryTree(leaves)
            old, new = int(request.query_params["from"]), int(request.query_params["to"])
            full = request.query_params.get("full") == "1" and 0 < old < new
            hashes = merkle.full_consistency_path(tree, old, new) if full else merkle.consistency_proof(tree, old, new)
            return JSONResponse({"hashes": [b64encode(h) for h in hashes]})

        def refuse(request):
            return PlainTextResponse("no", 404)

        return Starlette(
            routes=[
                Route("/v1/logs", logs),
                Route("/v1/logs/{agency}/checkpoint", checkpoint),
                Route("/v1/logs/{agency}/entries", entries),
                Route("/v1/logs/{agency}/proof/consistency", consistency),
                Route("/v1/witness/add-checkpoint", refuse, methods=["POST"]),
            ]
        )


def peer_error(node: NodeProcess, url: str) -> str:
    peers = node.get("/v1/status").json()["peers"]
    return next((p["error_code"] for p in peers if p["url"] == url), "")


@pytest.mark.parametrize(
    "mode, code",
    [
        ("bad signature", "BAD_CHECKPOINT"),
        ("forged entry", "BAD_SIGNATURE"),
        ("oversized", "TOO_LARGE"),
        ("malformed json", "MALFORMED"),
        ("slow", "TOO_SLOW"),
    ],
)
def test_garbage_is_rejected_and_the_honest_peer_still_syncs(demo_city, mode, code):
    a = NodeProcess(demo_city.home(A), free_port()).start()
    try:
        token = a.login("clerk")
        a.append(token, [note(0), note(1), note(2)])
        with open_node(demo_city, A, write=False) as node:
            leaves = node.store.leaves(node.store.head(A).id, 0, 3)
        with HostilePeer(mode, leaves, agency_signer(demo_city)) as evil:
            b = NodeProcess(demo_city.home(B), free_port(), [evil.url]).start()
            try:
                wait_for(lambda: peer_error(b, evil.url) == code, timeout=30)
                assert b.size_of(A) == 0
                added = cli(
                    "peer",
                    "add",
                    a.url,
                    "--home",
                    str(demo_city.home(B)),
                    "--user",
                    "admin",
                    password=spec.PASSWORDS["admin"],
                )
                assert added.returncode == 0, added.stderr  # while the node runs
                wait_for(lambda: b.size_of(A) == 3)
                a.append(token, [note(3)])
                wait_for(lambda: b.size_of(A) == 4)
                status = b.get("/v1/status").json()
                assert status["forks"] == []
            finally:
                b.stop()
    finally:
        a.stop()
    with open_node(demo_city, B, write=False) as node:
        head = node.store.head(A)
        assert head.size == 4 and head.status == "ok"
        assert node.store.leaves(head.id, 0, 4)[:3] == leaves
    assert check_home(demo_city.home(B), (TEST_PLUGIN,)).ok


def test_a_rolled_back_checkpoint_does_not_roll_the_mirror_back(demo_city):
    a = NodeProcess(demo_city.home(A), free_port()).start()
    try:
        a.append(a.login("clerk"), [note(0), note(1), note(2)])
        with open_node(demo_city, A, write=False) as node:
            leaves = node.store.leaves(node.store.head(A).id, 0, 3)
    finally:
        a.stop()
    with HostilePeer("rolled back", leaves, agency_signer(demo_city)) as evil:
        with open_node(demo_city, B) as node:
            from citychain.net.sync import Syncer

            node.import_log(A, ORIGIN, 0, leaves, open_node_checkpoint(demo_city))
            Syncer(node, peers=[evil.url]).run_round()
            assert node.store.head(A).size == 3 and node.store.head(A).status == "ok"
            assert evil.hits >= 1


def open_node_checkpoint(city) -> str:
    with open_node(city, A, write=False) as node:
        return node.store.head(A).checkpoint


def a_log_b_mirrors(city) -> list[bytes]:
    """A signs four entries through its API; B imports them directly, as of A's
    checkpoint. Returns the leaves, for a hostile peer to fork from."""
    a = NodeProcess(city.home(A), free_port()).start()
    try:
        a.append(a.login("clerk"), [note(0), note(1), note(2), note(3)])
        with open_node(city, A, write=False) as node:
            leaves = node.store.leaves(node.store.head(A).id, 0, 4)
    finally:
        a.stop()
    with open_node(city, B) as node:
        node.import_log(A, ORIGIN, 0, leaves, open_node_checkpoint(city))
    return leaves


@pytest.mark.parametrize("mode", ["fork", "fork longer"])
def test_a_fork_is_caught_with_evidence_another_process_verifies(demo_city, tmp_path, mode):
    leaves = a_log_b_mirrors(demo_city)
    with HostilePeer(mode, leaves, agency_signer(demo_city)) as evil:
        with open_node(demo_city, B) as node:
            from citychain.net.sync import Syncer

            Syncer(node, peers=[evil.url]).run_round()
            head = node.store.head(A)
            assert head.status == "forked" and head.size == 4
            with pytest.raises(Exception, match="forked"):
                node.import_log(A, ORIGIN, 4, [], open_node_checkpoint(demo_city))
    home = str(demo_city.home(B))
    listed = cli("log", "forks", "--home", home, "--out", str(tmp_path))
    assert listed.returncode == 1 and A in listed.stdout
    evidence = next(tmp_path.glob("fork-*.json"))
    checked = cli("log", "verify-evidence", str(evidence), "--home", str(demo_city.home("public-security")))
    assert checked.returncode == 0, checked.stderr
    assert "does not extend" in checked.stdout or "two different trees" in checked.stdout
    tampered = json.loads(evidence.read_text())
    tampered["b"] = tampered["a"]
    evidence.write_text(json.dumps(tampered))
    checked = cli("log", "verify-evidence", str(evidence), "--home", str(demo_city.home("public-security")))
    assert checked.returncode == 2

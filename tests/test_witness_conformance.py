"""`POST /v1/witness/add-checkpoint` against C2SP tlog-witness, line by line
(docs/protocol.md §6, *Witnessing per tlog-witness*; issue 15, item 4).

One witness node (public security) is served from this process on 127.0.0.1;
a log (market regulation's origin, signed with its key from the trust log)
grows in memory, so every size, proof, fork and rollback is ours to make. The
witness starts without a record of that log, as a witness that never saw it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import requests
from conftest import FAST_ARGON2, quiet_demo_city
from nodes import serving

from citychain.clock import FakeClock
from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint, verify_cosignature
from citychain.log.keys import load_key
from citychain.log.note import NoteSignature, parse_note
from citychain.net.service import NodeService
from citychain.net.witness import request_body
from citychain.node.node import Node
from democity import spec

WITNESS, LOG = "public-security", "market-regulation"
ORIGIN, WITNESS_NAME = f"citychain/{spec.CITY}/{LOG}", f"citychain/{spec.CITY}/{WITNESS}"
SIZE_TYPE = "text/x.tlog.size"


class Log:
    """The log: leaves in memory, checkpoints signed with the agency's real key."""

    def __init__(self, signer, leaves=()) -> None:
        self.signer, self.tree = signer, merkle.MemoryTree(leaves)

    @property
    def size(self) -> int:
        return len(self.tree.levels[0])

    def grow(self, n: int, tag: bytes = b"leaf") -> Log:
        for _ in range(n):
            self.tree.append(tag + b"-%d" % self.size)
        return self

    def note(self, size: int | None = None, key=None) -> str:
        size = self.size if size is None else size
        checkpoint = Checkpoint(ORIGIN, size, merkle.root_at(self.tree, size))
        return sign_checkpoint(checkpoint, (key or self.signer).private_key)

    def request(self, old: int, size: int | None = None, proof=None, note: str | None = None) -> str:
        size = self.size if size is None else size
        if proof is None:
            proof = [] if old in (0, size) else merkle.consistency_proof(self.tree, old, size)
        return request_body(old, proof, note or self.note(size))


@pytest.fixture(scope="module")
def witness(tmp_path_factory):
    """(URL of the witness node, the log's signer, the other agency's signer, the witness node)."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    city = quiet_demo_city(tmp_path_factory.mktemp("witness") / "city", clock=clock)
    db = sqlite3.connect(city.home(WITNESS) / "ledger.sqlite")
    db.execute("DELETE FROM witnessed WHERE origin = ?", (ORIGIN,))
    db.commit()
    db.close()
    signer = load_key(city.home(LOG) / "keys" / "agency.key", spec.PASSPHRASE)
    stranger = load_key(city.home("civil-affairs") / "keys" / "agency.key", spec.PASSPHRASE)
    node = Node.open(city.home(WITNESS), (), clock=clock, argon2=FAST_ARGON2)
    try:
        with serving(NodeService(node, (), interval=3600)) as url:
            yield url + "/v1/witness/add-checkpoint", signer, stranger, node
    finally:
        node.close()


def post(url: str, body: str | bytes) -> requests.Response:
    return requests.post(url, data=body.encode() if isinstance(body, str) else body, timeout=30)


def cosigned(reply: requests.Response, note: str, node: Node) -> int:
    """The time of the one cosignature/v1 line of the reply, checked with the witness's key."""
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.text.startswith("— ") and reply.text.endswith("\n") and reply.text.count("\n") == 1
    signed = open_checkpoint(note, ORIGIN, [load_key_public(node, LOG)])
    (line,) = parse_note(parse_note(note).text + "\n" + reply.text).signatures
    return verify_cosignature(signed.checkpoint, line, WITNESS_NAME, node.signer.public_key, 1 << 62)


def load_key_public(node: Node, agency: str) -> bytes:
    return node.trust.agency(agency).keys[-1].public_key


def conflict(reply: requests.Response, size: int) -> None:
    """409 with the spec's body and content type: the size last co-signed."""
    assert reply.status_code == 409, reply.text
    assert reply.headers["content-type"].split(";")[0] == SIZE_TYPE and reply.text == f"{size}\n"


def test_a_log_is_witnessed_from_nothing_through_growth_replay_rollback_and_fork(witness):
    url, signer, _, node = witness
    log = Log(signer).grow(5)
    # "a client MAY initially make a request with an old size of zero": 200 when the witness never co-signed
    first = log.request(0)
    assert cosigned(post(url, first), log.note(), node) == int(node.clock.now().timestamp())
    # replaying it: the old size no longer matches the stored 5 → 409 "5\n"
    conflict(post(url, first), 5)
    # the same checkpoint with the right old size: same root → co-signed again
    assert cosigned(post(url, log.request(5)), log.note(), node)
    # an old size that is not the last co-signed one → 409
    conflict(post(url, log.grow(4).request(3, proof=merkle.consistency_proof(log.tree, 3, 9))), 5)
    # growth with a valid consistency proof → 200, and the record moves on (persisted before the answer)
    cosigned(post(url, log.request(5)), log.note(), node)
    assert node.store.conn.execute("SELECT size FROM witnessed WHERE origin = ?", (ORIGIN,)).fetchone() == (9,)
    # a bad proof → 422, and nothing moves
    bad = merkle.consistency_proof(log.grow(3).tree, 9, 12)
    bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
    assert post(url, log.request(9, proof=bad)).status_code == 422
    assert post(url, log.request(9, proof=[])).status_code == 422  # a missing proof does not verify either
    conflict(post(url, log.request(0)), 9)
    cosigned(post(url, log.request(9)), log.note(), node)
    # rollback: a smaller checkpoint; with the true old size it is 400 (old > size), else 409
    assert post(url, log.request(12, size=10, proof=[])).status_code == 400
    conflict(post(url, log.request(10, size=10)), 12)
    # fork at the same size: another root for 12 → 409; a forked tree growing past it → 422
    forked = Log(signer, [b"leaf-%d" % i for i in range(11)]).grow(1, b"fork")
    assert merkle.root_at(forked.tree, 12) != merkle.root_at(log.tree, 12)
    conflict(post(url, forked.request(12)), 12)
    forked.grow(2)
    assert post(url, request_body(12, merkle.consistency_proof(forked.tree, 12, 14), forked.note())).status_code == 422
    conflict(post(url, log.request(0)), 12)  # still at the honest 12


def test_origin_signatures_and_the_request_shape(witness):
    url, signer, stranger, node = witness
    log = Log(signer).grow(3)
    note = log.note()
    # unknown origin → 404
    alien = sign_checkpoint(Checkpoint("example.com/other-log", 3, merkle.root_at(log.tree, 3)), signer.private_key)
    assert post(url, request_body(0, [], alien)).status_code == 404
    # a known origin signed by nobody it trusts → 403
    assert post(url, request_body(0, [], log.note(key=stranger))).status_code == 403
    # signatures of unknown keys are ignored: the log's line plus a stranger's still passes the signature check
    extra = parse_note(log.note(key=stranger)).signatures[0]
    mixed = note + NoteSignature("example.com/someone", extra.key_id, extra.payload).line()
    assert post(url, request_body(1, [], mixed)).status_code == 409  # judged on sizes, not refused as unsigned
    # the old size must not exceed the checkpoint's → 400
    assert post(url, request_body(4, [], note)).status_code == 400
    # a malformed request → 400, each line as the spec spells it
    for body in (
        f"old 01\n\n{note}",  # a leading zero
        f"old ٣\n\n{note}",  # not an ASCII decimal
        f"old -0\n\n{note}",
        f"old 0\r\n\n{note}",  # lines end in U+000A alone
        f"old 0\n{note}",  # no empty line before the checkpoint
        f"old 0\nnot-base64\n\n{note}",
        f"old 0\n{'AAAA' * 8}\n\n{note}",  # a proof line that is not one SHA-256 hash
        "old 0\n" + "".join(f"{'A' * 43}=\n" for _ in range(64)) + "\n" + note,  # more than 63 proof lines
        f"old 0\n\n{note.replace(chr(10) + chr(10), chr(10))}",  # a checkpoint that is not a signed note
        f"old 0\n{'A' * 43}=\n\n{note}",  # the proof MUST be empty when the old size is 0
    ):
        reply = post(url, body)
        assert reply.status_code == 400, (body[:40], reply.status_code, reply.text)
    # only POST
    assert requests.get(url, timeout=30).status_code == 405

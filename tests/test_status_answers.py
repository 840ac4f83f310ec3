"""Status answers a verifier can check (issue 14, item 2; docs/protocol.md §11,
*What a status answer proves*): the answer carries the certificate's newest
status record with its inclusion proof under the node's co-signed checkpoint;
`verify` and the kiosk ask a second node when the first says valid, and two
proven answers that disagree are STATUS_CONFLICT naming both nodes.

One demo city (certificates only) is built for the module. The issuing node
(civil affairs) then revokes the VALID marriage certificate; market
regulation's home is a mirror that has not synced that revocation, and a copy
of civil affairs from before it agrees with that mirror. Each is served over
HTTP on 127.0.0.1 from this process; a small proxy stands in for a node that
lies about, or garbles, what it proves."""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
import requests
from conftest import FAST_ARGON2, ROOT, copy_city, quiet_demo_city
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nodes import LoopbackServer, free_port, serving
from test_cli import cli
from test_records import LEAF as VECTOR_LEAF

from certificates.desk import CertificateDesk
from certificates.kinds import PLUGIN, REVOKED
from certificates.status import proven_record
from citychain.clock import FakeClock, SystemClock
from citychain.documents.checks import VerifierConfig
from citychain.documents.door import VerifyPlace, document_kinds, verify_document
from citychain.documents.log_report import NodeReports
from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, add_cosignatures, cosign, open_checkpoint, sign_checkpoint
from citychain.log.encoding import b64decode, b64encode
from citychain.net.service import NodeService
from citychain.node.node import Node
from democity import spec
from democity.build import BUNDLE_FILE
from ui.kiosk.backend_remote import RemoteBackend
from ui.kiosk.verdicts import look, sentence

CIVIL, MARKET = "civil-affairs", "market-regulation"
FOREVER = 10**9  # the mirror's copy dates from the build's fake clock: freshness is not what is tested here


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The demo city; `before` is civil affairs as it was, then civil affairs revokes the VALID marriage certificate."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    base = tmp_path_factory.mktemp("status")
    demo = quiet_demo_city(base / "city", (PLUGIN,), clock)
    copy_city(demo.home(CIVIL), base / "before")
    qr = (demo.path / "samples" / "marriage-certificate-VALID.qr.txt").read_text().strip()
    with Node.open(demo.home(CIVIL), (PLUGIN,), argon2=FAST_ARGON2) as node:
        supervisor = node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
        (cert_id,) = node.store.conn.execute(
            "SELECT id FROM certificates WHERE type = 'marriage-certificate'"
        ).fetchone()
        CertificateDesk(node).change(supervisor, REVOKED, cert_id, "登记错误 / registration error")
    return {"demo": demo, "before": base / "before", "qr": qr, "bundle": demo.path / BUNDLE_FILE}


@pytest.fixture(scope="module")
def nodes(city):
    """URL of each node: the issuer (revoked), its copy from before, the mirror (not synced)."""
    with ExitStack() as stack:
        urls = {}
        for name, home in (
            ("issuer", city["demo"].home(CIVIL)),
            ("before", city["before"]),
            ("mirror", city["demo"].home(MARKET)),
        ):
            node = Node.open(home, (PLUGIN,), argon2=FAST_ARGON2)
            stack.callback(node.close)
            urls[name] = stack.enter_context(serving(NodeService(node, (PLUGIN,), interval=3600)))
        yield urls


class Doctored(LoopbackServer):
    """A node that passes every request on to `upstream`, but rewrites its status answers with `doctor`."""

    def __init__(self, upstream: str, doctor) -> None:
        self.upstream, self.doctor, self.port = upstream, doctor, free_port()

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        def status(request):
            answer = requests.get(self.upstream + request.url.path, params=dict(request.query_params), timeout=10)
            return JSONResponse(self.doctor(answer.json()))

        return Starlette(routes=[Route("/v1/certificates/status", status)])


def verdict(city, first: str, *seconds: str):
    """The verdict `verify --trust BUNDLE --node FIRST --node SECOND …` gives, from this process."""
    config = VerifierConfig.from_bundle(city["bundle"])
    status = NodeReports(first, timeout=5)
    place = VerifyPlace(config, status, FOREVER, SystemClock(), status.seconds(config.trust, seconds))
    return verify_document(city["qr"], place, document_kinds((PLUGIN,)))


def test_each_answer_proves_its_newest_status_record(city, nodes):
    """The issuer proves the revocation, the mirror and the copy from before the issue record, each as of its checkpoint."""
    answers = {}
    for name, url in nodes.items():
        found = verdict(city, url)
        answers[name] = requests.get(
            url + "/v1/certificates/status", params={"agency": CIVIL, "id": found.cert_id, "seq": -1}, timeout=10
        ).json()
    issuer, before, mirror = answers["issuer"], answers["before"], answers["mirror"]
    assert issuer["as_of_size"] == before["as_of_size"] + 1 == mirror["as_of_size"] + 1
    assert issuer["certificate"]["status"] == "revoked" and before["certificate"]["status"] == "valid"
    assert issuer["certificate"]["record"]["seq"] == issuer["as_of_size"] - 1  # the revocation, just appended
    assert before["certificate"]["record"] == mirror["certificate"]["record"]  # the issue record, one proof
    assert before["certificate"]["record"]["seq"] == before["certificate"]["seq"]
    for answer in answers.values():
        record = answer["certificate"]["record"]
        root = b64decode(answer["checkpoint"].split("\n")[2])
        path = [b64decode(h) for h in record["inclusion"]]
        merkle.verify_inclusion(
            merkle.leaf_hash(b64decode(record["leaf"])), record["seq"], answer["as_of_size"], path, root
        )


def test_two_nodes_that_agree_confirm_it(city, nodes):
    found = verdict(city, nodes["before"], nodes["mirror"])
    assert found.code == "VALID" and found.status_checked, found.detail_en
    assert found.confirmed_by == (nodes["before"], nodes["mirror"])
    assert "Status confirmed by 2 nodes" in found.sentence_en and "状态经 2 个节点确认" in found.sentence_zh
    alone = verdict(city, nodes["before"])  # the bundle's trust log URLs (the demo's ports) answer nothing here
    assert alone.code == "VALID" and alone.confirmed_by == (nodes["before"],)


@pytest.mark.parametrize("first, second", [("mirror", "issuer"), ("before", "issuer")])
def test_a_node_behind_a_revocation_is_a_conflict_naming_both(city, nodes, first, second):
    """A mirror not yet synced, or a node restored from before: VALID as of their
    size, refuted by the issuer's proven revocation (whatever size each is as of)."""
    found = verdict(city, nodes[first], nodes[second])
    assert found.code == "STATUS_CONFLICT" and not found.ok
    assert found.conflict == (nodes[first], nodes[second])
    for words in (found.detail_zh, found.detail_en):
        assert nodes[first] in words and nodes[second] in words
    assert found.sentence_zh.startswith("两个账本节点") and found.sentence_en.startswith("Two ledger nodes")
    assert verdict(city, nodes[second], nodes[first]).code == "REVOKED"  # the first says revoked, and proves it


def test_a_lying_node_is_refuted_by_an_honest_one(city, nodes):
    """A node that hides the revocation: it proves the issue record under its
    newest checkpoint (a true inclusion proof, of a record that is not the newest)."""
    issue = _answer(nodes["before"], city)["certificate"]["record"]

    def lie(answer: dict) -> dict:
        record = {"seq": issue["seq"], "leaf": issue["leaf"], "inclusion": answer["inclusion"]}
        return {**answer, "certificate": {**answer["certificate"], "status": "valid", "record": record}}

    with Doctored(nodes["issuer"], lie) as liar:
        # Alone, a lie by omission holds: an inclusion proof cannot prove that a record is the newest.
        assert verdict(city, liar.url).code == "VALID"
        found = verdict(city, liar.url, nodes["issuer"])
        assert found.code == "STATUS_CONFLICT" and found.conflict == (liar.url, nodes["issuer"])
        assert liar.url in found.detail_en and nodes["issuer"] in found.detail_en
    # A cruder lie, a status word that does not follow from the record proven (a revocation said to be valid).
    with Doctored(nodes["issuer"], lambda a: {**a, "certificate": {**a["certificate"], "status": "valid"}}) as liar:
        assert verdict(city, liar.url).code == "STATUS_UNKNOWN"


def _answer(url: str, city) -> dict:
    cert_id = verdict(city, url).cert_id
    return requests.get(
        url + "/v1/certificates/status", params={"agency": CIVIL, "id": cert_id, "seq": -1}, timeout=10
    ).json()


def _flip(text: str) -> str:
    raw = bytearray(b64decode(text))
    raw[0] ^= 1
    return b64encode(bytes(raw))


@pytest.mark.parametrize(
    "garble",
    [
        lambda r: {**r, "inclusion": [_flip(r["inclusion"][0]), *r["inclusion"][1:]]},  # a proof hash
        lambda r: {**r, "seq": r["seq"] + 1},  # the record's place
        lambda r: {**r, "leaf": _flip(r["leaf"])},  # the record itself
    ],
    ids=["proof", "place", "leaf"],
)
def test_a_bad_proof_in_an_answer_is_refused(city, nodes, garble):
    def doctor(answer: dict) -> dict:
        return {**answer, "certificate": {**answer["certificate"], "record": garble(answer["certificate"]["record"])}}

    with Doctored(nodes["before"], doctor) as garbled:
        first = verdict(city, garbled.url, nodes["mirror"])
        assert first.code == "STATUS_UNKNOWN" and garbled.url in first.detail_en, first.detail_en
        second = verdict(city, nodes["before"], garbled.url)  # passed over, never counted
        assert second.code == "VALID" and second.confirmed_by == (nodes["before"],)


def test_the_cli_and_the_kiosk_ask_a_second_node(city, nodes):
    run = cli(
        "verify", "--qr", city["qr"], "--trust", str(city["bundle"]), "--node", nodes["mirror"],
        "--node", nodes["issuer"], "--max-age", str(FOREVER), "--json",
    )  # fmt: skip
    answer = json.loads(run.stdout)
    assert run.returncode == 1 and answer["verdict"] == "STATUS_CONFLICT", run.stderr
    assert answer["status_conflict"] == [nodes["mirror"], nodes["issuer"]]
    assert nodes["mirror"] in answer["detail_en"] and nodes["issuer"] in answer["detail_zh"]
    kiosk = RemoteBackend(city["bundle"], nodes["before"], max_age_s=FOREVER, mirrors=(nodes["mirror"],))
    try:
        agreed = kiosk.open_code(city["qr"])
        assert agreed.code == "VALID" and "2" in sentence(agreed)[0] and "confirmed by 2 nodes" in sentence(agreed)[1]
    finally:
        kiosk.close()
    kiosk = RemoteBackend(city["bundle"], nodes["mirror"], max_age_s=FOREVER, mirrors=(nodes["issuer"],))
    try:
        conflict = kiosk.open_code(city["qr"])
        assert conflict.code == "STATUS_CONFLICT" and look(conflict).tone == "bad"
    finally:
        kiosk.close()


# -- the documented answer ------------------------------------------------------------------------
def _vector_answer() -> dict:
    """docs/protocol.md §11's status answer from first principles: §2's leaf (an
    issue record of `示例-0001`) at index 0 of §4.7's three-leaf tree, never changed."""
    log_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    tree = merkle.MemoryTree([VECTOR_LEAF, b"b", b"c"])
    checkpoint = Checkpoint("citychain/demo/market-regulation", 3, tree.root())
    note = sign_checkpoint(checkpoint, log_key)
    note = add_cosignatures(note, [cosign(checkpoint, "citychain/demo/public-security", witness_key, 1772352000)])
    record = proven_record(VECTOR_LEAF, 0, tree, 3)
    return {
        "agency": "market-regulation",
        "log_status": "ok",
        "log_detail": "",
        "size": 3,
        "checkpoint": note,
        "as_of": "2026-03-01T08:00:00.000Z",
        "own": True,
        "leaf_hash": merkle.leaf_hash(VECTOR_LEAF).hex(),
        "inclusion": record["inclusion"],
        "as_of_size": 3,
        "certificate": {"status": "valid", "superseded_by": None, "seq": 0, "cause": None, "record": record},
    }


def test_the_documented_answer_is_the_one_built_and_its_proof_holds(city, nodes):
    docs = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    block = re.search(r"Test vector — a status answer.*?```json\n(.*?)```", docs, re.S)
    assert block is not None
    documented, built = json.loads(block.group(1)), _vector_answer()
    assert documented == built
    signed = open_checkpoint(built["checkpoint"], "citychain/demo/market-regulation", [
        Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    ])  # fmt: skip
    record = built["certificate"]["record"]
    path = [b64decode(h) for h in record["inclusion"]]
    merkle.verify_inclusion(merkle.leaf_hash(VECTOR_LEAF), 0, 3, path, signed.checkpoint.root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(merkle.leaf_hash(VECTOR_LEAF), 0, 3, [path[1], path[0]], signed.checkpoint.root)
    served = requests.get(
        nodes["issuer"] + "/v1/certificates/status",
        params={"agency": CIVIL, "id": verdict(city, nodes["before"]).cert_id, "seq": -1},
        timeout=10,
    ).json()
    assert served.keys() == built.keys() and served["certificate"].keys() == built["certificate"].keys()
    assert served["certificate"]["record"].keys() == record.keys()

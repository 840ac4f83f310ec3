"""Hostile or broken leaves from another agency's log are refused, precisely,
and nothing of them is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ledger_kit import NOTE, TEST_PLUGIN, open_node

from citychain.clock import format_time
from citychain.log import merkle
from citychain.log.canonical import canonical_trusted
from citychain.log.checkpoint import Checkpoint, sign_checkpoint
from citychain.log.encoding import b64encode
from citychain.log.keys import Signer, load_key
from citychain.log.records import GENESIS_PREV, Record, make_leaf, signing_message
from citychain.node.check import check_home
from citychain.node.mirror import MirrorRejected
from democity import spec

ORIGIN = "citychain/demo/market-regulation"


def agency_signer(city, agency: str = "market-regulation") -> Signer:
    return load_key(Path(city.home(agency)) / "keys" / "agency.key", spec.PASSPHRASE)


def forge(record_json: bytes, signer: Signer, kid: str | None = None, flip_sig: bool = False) -> bytes:
    """Leaf bytes around any record bytes, signed as given (no checks)."""
    sig = bytearray(signer.sign(signing_message(record_json)))
    if flip_sig:
        sig[0] ^= 1
    return b'{"kid":"%s","record":%s,"sig":"%s"}' % (
        (kid or signer.kid).encode(),
        record_json,
        b64encode(bytes(sig)).encode(),
    )


def record_bytes(seq: int, prev: str, body: str, time: str = "2026-03-01T09:00:00.000Z", kind: str = NOTE) -> bytes:
    return (
        '{"body":%s,"kind":"%s","log":"market-regulation","prev":"%s","seq":%d,"time":"%s","v":1}'
        % (body, kind, prev, seq, time)
    ).encode()


def checkpoint_over(leaves: list[bytes], signer: Signer, origin: str = ORIGIN) -> str:
    return sign_checkpoint(Checkpoint(origin, len(leaves), merkle.MemoryTree(leaves).root()), signer.private_key)


def good_leaves(signer: Signer, count: int, clock) -> list[bytes]:
    leaves, prev = [], GENESIS_PREV
    for i in range(count):
        record = Record("market-regulation", i, prev, format_time(clock.now()), NOTE, {"n": i, "amount": 5})
        leaf = make_leaf(record, signer)
        leaves.append(leaf.data)
        prev = leaf.hash_hex
    return leaves


def test_verified_entries_are_mirrored(demo_city, clock):
    signer = agency_signer(demo_city)
    leaves = good_leaves(signer, 5, clock)
    with open_node(demo_city, "civil-affairs") as node:
        result = node.import_log("market-regulation", ORIGIN, 0, leaves, checkpoint_over(leaves, signer))
        assert (result.old_size, result.new_size) == (0, 5)
        assert node.store.leaves(node.store.head("market-regulation").id, 0, 9) == leaves


def hostile_cases(signer: Signer, other: Signer, clock):
    """(expected code, leaves) — each ends signed as the agency would sign it."""
    good = good_leaves(signer, 1, clock)
    prev = merkle.leaf_hash(good[0]).hex()

    def one(body: str, **kw) -> list[bytes]:
        return good + [forge(record_bytes(1, prev, body, **kw), signer)]

    return {
        "float": ("not_canonical", one('{"amount":1.5}')),
        "big integer": ("not_canonical", one('{"amount":9007199254740992}')),
        "duplicate key": ("not_canonical", one('{"amount":1,"amount":2}')),
        "non-NFC text": ("not_canonical", one('{"amount":1,"name":"e\u0301"}')),
        "non-canonical order": (
            "not_canonical",
            [good[0], forge(record_bytes(1, prev, '{"b":1,"a":2}').replace(b'"v":1', b'"v":1 '), signer)],
        ),
        "huge body": ("too_large", one('{"amount":1,"x":"%s"}' % ("y" * 70_000))),
        "wrong prev": ("wrong_prev", good + [forge(record_bytes(1, "ab" * 32, '{"amount":1}'), signer)]),
        "gap in seq": ("wrong_seq", good + [forge(record_bytes(2, prev, '{"amount":1}'), signer)]),
        "bad signature": (
            "BAD_SIGNATURE",
            good + [forge(record_bytes(1, prev, '{"amount":1}'), signer, flip_sig=True)],
        ),
        "key before its window": ("KEY_NOT_YET_VALID", one('{"amount":1}', time="2020-01-01T00:00:00.000Z")),
        "another agency's key": ("UNKNOWN_KEY", good + [forge(record_bytes(1, prev, '{"amount":1}'), other)]),
        "rule broken": ("LOG_INVALID", one('{"amount":-1}')),
        "unknown kind": ("UNKNOWN_KIND", one('{"amount":1}', kind="test.other")),
    }


@pytest.mark.parametrize(
    "case",
    [
        "float",
        "big integer",
        "duplicate key",
        "non-NFC text",
        "non-canonical order",
        "huge body",
        "wrong prev",
        "gap in seq",
        "bad signature",
        "key before its window",
        "another agency's key",
        "rule broken",
        "unknown kind",
    ],
)
def test_hostile_entries_are_rejected_and_nothing_is_stored(demo_city, clock, case):
    signer, other = agency_signer(demo_city), agency_signer(demo_city, "public-security")
    code, leaves = hostile_cases(signer, other, clock)[case]
    with open_node(demo_city, "civil-affairs") as node:
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("market-regulation", ORIGIN, 0, leaves, checkpoint_over(leaves, signer))
        assert caught.value.code == code, str(caught.value)
        assert caught.value.seq == 1
        head = node.store.head("market-regulation")
        assert head.size == 0
        assert node.store.conn.execute("SELECT COUNT(*) FROM entries WHERE log=?", (head.id,)).fetchone()[0] == 0
        # a correctly signed record that breaks a rule is the author's fault: the log is flagged, not just refused
        assert head.status == ("invalid" if code == "LOG_INVALID" else "ok")
        if code == "LOG_INVALID":
            assert "entry 1" in head.status_detail and "BAD_AMOUNT" in head.status_detail


def test_an_agency_writing_a_kind_it_may_not_is_rejected(demo_city, clock):
    signer = agency_signer(demo_city, "public-security")
    record = Record("public-security", 0, GENESIS_PREV, format_time(clock.now()), NOTE, {"amount": 1})
    leaves = [forge(canonical_trusted(record.to_json()), signer)]
    origin = "citychain/demo/public-security"
    with open_node(demo_city, "civil-affairs") as node:
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("public-security", origin, 0, leaves, checkpoint_over(leaves, signer, origin))
    assert caught.value.code == "ISSUER_NOT_AUTHORISED"


def test_checkpoint_not_matching_the_entries_or_the_key_is_rejected(demo_city, clock):
    signer, other = agency_signer(demo_city), agency_signer(demo_city, "public-security")
    leaves = good_leaves(signer, 3, clock)
    with open_node(demo_city, "civil-affairs") as node:
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("market-regulation", ORIGIN, 0, leaves, checkpoint_over(leaves[:2] + leaves[:1], signer))
        assert caught.value.code == "ROOT_MISMATCH"
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("market-regulation", ORIGIN, 0, leaves, checkpoint_over(leaves, other))
        assert caught.value.code == "BAD_CHECKPOINT"
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("market-regulation", ORIGIN, 0, leaves[:2], checkpoint_over(leaves, signer))
        assert caught.value.code == "SIZE_MISMATCH"
        assert node.store.head("market-regulation").size == 0


def test_suspended_agency_records_after_suspension_are_rejected(demo_city, clock):
    from citychain.node.trust import SUSPENDED

    with open_node(demo_city, "city-root", clock=clock) as root:
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        clock.advance(minutes=5)
        root.append(admin, [(SUSPENDED, {"agency": "market-regulation", "reason": "审计中 / under audit"})])
        from citychain.node.bundle import export_bundle

        bundle = export_bundle(root.store, "demo", "city-root", root.config.root_keys)
    clock.advance(minutes=5)
    signer = agency_signer(demo_city)
    leaves = good_leaves(signer, 1, clock)
    with open_node(demo_city, "civil-affairs") as node:
        node.import_trust_bundle(bundle)
        with pytest.raises(MirrorRejected) as caught:
            node.import_log("market-regulation", ORIGIN, 0, leaves, checkpoint_over(leaves, signer))
    assert caught.value.code == "AGENCY_SUSPENDED"
    assert json.loads(bundle.to_bytes())["format"] == "citychain-trust-bundle/v1"


def test_log_check_on_a_mirror_stopped_mid_catch_up_calls_it_a_catch_up(demo_city, clock):
    """Sync stores a long catch-up in pages proven consistent with the target
    checkpoint; a node killed between pages holds more entries than its last
    complete checkpoint. That is work in progress, not a mismatch."""
    signer = agency_signer(demo_city)
    leaves = good_leaves(signer, 20, clock)
    with open_node(demo_city, "civil-affairs") as node:
        node.import_log("market-regulation", ORIGIN, 0, leaves[:3], checkpoint_over(leaves[:3], signer))
        proof = merkle.consistency_proof(merkle.MemoryTree(leaves), 10, 20)
        node.import_log("market-regulation", ORIGIN, 3, leaves[3:10], checkpoint_over(leaves, signer), proof)
    report = check_home(demo_city.home("civil-affairs"), (TEST_PLUGIN,))
    assert report.ok, report.lines()
    mirror = next(log for log in report.logs if log.agency == "market-regulation")
    assert mirror.size == 10
    assert any("catch-up in progress" in note and "(size 3)" in note for note in mirror.notes), report.lines()


def test_log_check_still_fails_a_mirror_whose_extra_entries_are_not_the_signed_tree(demo_city, clock):
    signer = agency_signer(demo_city)
    leaves = good_leaves(signer, 5, clock)
    with open_node(demo_city, "civil-affairs") as node:
        node.import_log("market-regulation", ORIGIN, 0, leaves[:3], checkpoint_over(leaves[:3], signer))
        head = node.store.head("market-regulation")
        node.store.conn.execute(
            "UPDATE logs SET checkpoint = ? WHERE id = ?", (checkpoint_over(leaves[1::-1], signer), head.id)
        )
    report = check_home(demo_city.home("civil-affairs"), (TEST_PLUGIN,))
    assert not report.ok

"""The own log: appends, chain, checkpoints, rules, roles, audit (real homes)."""

from __future__ import annotations

import shutil

import pytest
from ledger_kit import NOTE, RECALL, TEST_PLUGIN, note, open_node, sign_in

from citychain.accounts.users import PermissionDenied
from citychain.log import merkle
from citychain.log.checkpoint import open_checkpoint
from citychain.log.keys import public_key_from_bytes
from citychain.log.records import GENESIS_PREV, parse_leaf
from citychain.node.check import check_home
from citychain.node.home import HomeError
from citychain.node.kinds import RecordRejected
from citychain.node.ledger import LedgerUnavailable


def test_demo_city_homes_pin_one_root_and_hold_the_trust_log(demo_city):
    root_keys = set()
    for agency in ("city-root", *[a.id for a in demo_city.agencies]):
        with open_node(demo_city, agency, write=False) as node:
            root_keys.add(node.config.root_keys)
            assert set(node.trust.agencies) == {"city-root", *[a.id for a in demo_city.agencies]}
        assert check_home(demo_city.home(agency), (TEST_PLUGIN,)).ok
    assert len(root_keys) == 1


def test_batch_append_chains_signs_and_checkpoints(demo_city, clock):
    with open_node(demo_city, clock=clock) as node:
        clerk = sign_in(node, "clerk")
        first = node.append(clerk, [note(i) for i in range(3)])
        second = node.append(clerk, [note(3)])
        leaves = [parse_leaf(d) for d in node.store.leaves(node.own.head.id, 0, 4)]
        agency_key = public_key_from_bytes(node.trust.agencies["market-regulation"].keys[0].public_key)
    assert [leaf.record.seq for leaf in leaves] == [0, 1, 2, 3]
    assert leaves[0].record.prev == GENESIS_PREV
    assert all(leaves[i].record.prev == leaves[i - 1].hash_hex for i in range(1, 4))
    assert [leaf.data for leaf in first.leaves] == [leaf.data for leaf in leaves[:3]]
    for appended, size in ((first, 3), (second, 4)):
        signed = open_checkpoint(appended.checkpoint, "citychain/demo/market-regulation", [agency_key])
        assert signed.checkpoint.size == size
        assert signed.checkpoint.root == merkle.MemoryTree([leaf.data for leaf in leaves[:size]]).root()
    assert check_home(demo_city.home("market-regulation"), (TEST_PLUGIN,)).ok


def test_rule_violations_write_nothing_and_say_which_field(demo_city):
    with open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        node.append(clerk, [note(0)])
        cases = {
            "BAD_AMOUNT": [note(1), (NOTE, {"amount": -5})],
            "MALFORMED": [(NOTE, {"amount": 1, "rate": 0.5})],
            "UNKNOWN_KIND": [("test.unknown", {})],
        }
        for code, items in cases.items():
            with pytest.raises(RecordRejected) as caught:
                node.append(clerk, items)
            assert caught.value.code == code
        with pytest.raises(RecordRejected) as caught:
            node.append(clerk, [(NOTE, {"amount": 1, "name": "e\u0301"})])
        assert caught.value.field == "/body/name"
        with pytest.raises(RecordRejected):
            node.append(clerk, [(NOTE, {"amount": 1, "blob": "x" * 70_000})])
        assert node.store.head("market-regulation").size == 1
        assert len(node.store.leaves(node.own.head.id, 0, 10)) == 1


def test_an_agency_may_not_write_kinds_the_trust_log_does_not_grant(demo_city):
    # public-security holds no business-licence permission
    with open_node(demo_city, "public-security") as node:
        with pytest.raises(RecordRejected) as caught:
            node.append(sign_in(node, "clerk"), [note(0)])
    assert caught.value.code == "ISSUER_NOT_AUTHORISED"


def test_a_clerk_cannot_do_a_supervisors_work_and_the_attempt_is_audited(demo_city):
    with open_node(demo_city) as node:
        clerk, supervisor = sign_in(node, "clerk"), sign_in(node, "supervisor")
        with pytest.raises(PermissionDenied) as caught:
            node.append(clerk, [(RECALL, {"n": 1})])
        assert "权限不足" in str(caught.value) and "permission denied" in str(caught.value)
        node.append(supervisor, [(RECALL, {"n": 1})])
        rows = node.audit.query()
    assert [(r["user"], r["action"], r["outcome"]) for r in rows[:2]] == [
        ("supervisor", "log.append", "ok"),
        ("clerk", "test.recall", "denied"),
    ]


def test_the_trust_root_is_only_writable_by_an_admin_on_the_root_node(demo_city):
    from citychain.node.trust import SUSPENDED

    with open_node(demo_city, "city-root") as root:
        with pytest.raises(PermissionDenied):
            root.append(sign_in(root, "supervisor"), [(SUSPENDED, {"agency": "market-regulation", "reason": "x"})])
    with open_node(demo_city, "market-regulation") as node:
        with pytest.raises(RecordRejected) as caught:
            node.append(sign_in(node, "admin"), [(SUSPENDED, {"agency": "public-security", "reason": "x"})])
    assert caught.value.code == "ISSUER_NOT_AUTHORISED"


def test_one_writer_per_home(demo_city):
    with open_node(demo_city):
        with pytest.raises(HomeError, match="in use"):
            open_node(demo_city)


def test_rolled_back_database_refuses_to_sign_until_brought_back(demo_city):
    home = demo_city.home("market-regulation")
    with open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        node.append(clerk, [note(0), note(1)])
        node.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(home / "ledger.sqlite", home.parent / "old.sqlite")
        node.append(clerk, [note(2)])
        node.append(clerk, [note(3)])
        node.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(home / "ledger.sqlite", home.parent / "new.sqlite")
    shutil.copy(home.parent / "old.sqlite", home / "ledger.sqlite")
    with open_node(demo_city) as node:
        assert node.own.refusal and "size 2" in node.own.refusal
        assert node.own.refused.code == "ROLLBACK_DETECTED"  # the refusal keeps its code and each language
        with pytest.raises(LedgerUnavailable, match="signed") as refused:
            node.append(sign_in(node, "clerk"), [note(9)])
        assert "拒绝签名" in refused.value.message_zh and "Signing refused" not in refused.value.message_zh
        assert "Signing refused" in refused.value.message_en and "拒绝签名" not in refused.value.message_en
        assert node.store.head("market-regulation").size == 2
    shutil.copy(home.parent / "new.sqlite", home / "ledger.sqlite")
    with open_node(demo_city) as node:
        assert node.own.refusal is None
        assert node.append(sign_in(node, "clerk"), [note(4)]).size == 5


def test_a_batch_signed_but_not_stored_is_replayed_on_open(demo_city):
    """The guard file is written before the commit; a crash between the two
    must neither lose the signed batch nor let the node sign a different one."""
    home = demo_city.home("market-regulation")
    with open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        node.append(clerk, [note(0)])
        node.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(home / "ledger.sqlite", home.parent / "before.sqlite")
        signed = node.append(clerk, [note(1), note(2)])
    shutil.copy(home.parent / "before.sqlite", home / "ledger.sqlite")  # as if the commit never happened
    with open_node(demo_city) as node:
        assert node.own.refusal is None
        head = node.store.head("market-regulation")
        assert head.size == 3 and head.checkpoint == signed.checkpoint
    assert check_home(home, (TEST_PLUGIN,)).ok


def test_another_process_appending_is_detected(demo_city):
    with open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        node.append(clerk, [note(0)])
        node.own.tip = node.own.tip.__class__(0, merkle.Frontier(), None)  # a stale writer's view
        with pytest.raises(LedgerUnavailable, match="another process"):
            node.append(clerk, [note(1)])


def test_a_user_disabled_after_signing_in_can_no_longer_append(demo_city):
    from citychain.accounts.users import AccountDisabled

    with open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        node.append(clerk, [note(0)])
        node.users.disable_user(sign_in(node, "admin"), "clerk")
        with pytest.raises(AccountDisabled):
            node.append(clerk, [note(1)])
        assert node.store.head("market-regulation").size == 1


def test_log_check_spreads_over_worker_processes_with_the_same_findings(demo_city, monkeypatch):
    """A home of fewer entries than two chunks is checked in-process; a bigger
    one in forked workers, chunk by chunk. Both find the same: here, a leaf
    whose text was changed after signing."""
    import multiprocessing
    import sqlite3
    from types import SimpleNamespace

    from citychain.node import check

    home = demo_city.home("market-regulation")
    with open_node(demo_city) as node:
        node.append(sign_in(node, "clerk"), [note(i) for i in range(12)])
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        (log,) = conn.execute("SELECT id FROM logs WHERE agency = 'market-regulation'").fetchone()
        leaf = conn.execute("SELECT leaf FROM entries WHERE log = ? AND seq = 5", (log,)).fetchone()[0]
        conn.execute("UPDATE entries SET leaf = ? WHERE log = ? AND seq = 5", (leaf.replace(b"sample", b"sampel"), log))
    in_process = check_home(home, (TEST_PLUGIN,))
    started = []

    def pool(processes: int):
        started.append(processes)
        return multiprocessing.get_context("fork").Pool(processes)

    monkeypatch.setattr(check, "CHUNK", 4)  # every log is many chunks now
    monkeypatch.setattr(check, "multiprocessing", SimpleNamespace(get_context=lambda kind: SimpleNamespace(Pool=pool)))
    in_workers = check_home(home, (TEST_PLUGIN,), workers=2)
    assert started == [2]
    assert not in_process.ok and in_process.lines() == in_workers.lines()
    assert any("entry 5" in line for line in in_process.lines())

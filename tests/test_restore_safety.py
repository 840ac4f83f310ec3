"""Restore safety (docs/protocol.md §6, §7): a whole home restored from an old
backup must not sign until its peers have said how much of its own log they
hold — whichever door signs (CLI, counter, HTTP) — and a node whose own log is
forked says so, in both languages, with the evidence."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from conftest import CHEAP_KDF, FAST_ARGON2
from nodes import NodeProcess, free_port, wait_for

from certificates.desk import CertificateDesk
from certificates.kinds import PLUGIN as CERTIFICATES
from citychain.clock import FakeClock
from citychain.node.backup import restore_backup
from citychain.node.check import check_home
from citychain.node.node import Node
from democity import spec
from democity.samples import SAMPLES

A, B = "market-regulation", "civil-affairs"
LICENCE = "business-licence"
DEAD_PEER = "http://127.0.0.1:9"  # nothing listens on the discard port: "connection refused" at once
ROOT = Path(__file__).resolve().parent.parent


def main(*args: str, role: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"CITYCHAIN_PASSWORD": spec.PASSWORDS[role]} if role else {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=env, timeout=120
    )


def issue_cli(home: Path) -> subprocess.CompletedProcess:
    fields = [f"--field={name}={value}" for name, value in SAMPLES[LICENCE].items()]
    return main("issue", "--home", str(home), "--user", "clerk", "--type", LICENCE, *fields, role="clerk")


def issue_http(node: NodeProcess, token: str) -> None:
    reply = requests.post(
        node.url + "/v1/certificates",
        json={"type": LICENCE, "form": SAMPLES[LICENCE]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text


def set_peers(home: Path, urls: list[str]) -> None:
    """Where the other test nodes listen now (ports change between tests)."""
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        conn.execute("DELETE FROM peers")
        conn.executemany("INSERT INTO peers (url, added) VALUES (?, '2026-03-01T08:00:00Z')", [(u,) for u in urls])


def own_size(home: Path) -> int:
    with Node.open(home, write=False) as node:
        return node.store.head(A).size


@dataclass(frozen=True)
class Template:
    """A's backup taken after its first licence; two more were issued after it
    and mirrored by B; then A's disk was lost. Built once, copied per test."""

    city: Path
    backup: Path
    backed_up: int  # entries of A's log in the backup
    mirrored: int  # entries of A's log that B holds


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    from democity.build import create_demo_city

    folder = tmp_path_factory.mktemp("restore-safety")
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    city = create_demo_city(folder / "city", (), cost=CHEAP_KDF, argon2=FAST_ARGON2, clock=clock, trust_log_peers=False)
    a = NodeProcess(city.home(A), free_port())
    b = NodeProcess(city.home(B), free_port(), [a.url])
    a.peers = [b.url]
    for home in (city.home(A), city.home(B)):
        set_peers(home, [])
    try:
        a.start(), b.start()
        token = a.login("clerk")
        issue_http(a, token)
        backed_up = a.size_of(A)
        backup = folder / "a-old.tar"
        done = main(
            "node", "backup", "--home", str(city.home(A)), "--user", "admin", "--out", str(backup), role="admin"
        )
        assert done.returncode == 0, done.stderr
        issue_http(a, token), issue_http(a, token)
        mirrored = a.size_of(A)
        wait_for(lambda: b.size_of(A) == mirrored)
    finally:
        a.stop(), b.stop()
    shutil.rmtree(city.home(A))  # the disk is lost; the old backup is all there is
    return Template(city.path, backup, backed_up, mirrored)


@dataclass
class Stale:
    """This test's copy of the template, B serving it on a fresh port."""

    b: NodeProcess
    a_port: int
    backup: Path
    backed_up: int
    mirrored: int

    def restore(self, folder: Path) -> Path:
        restore_backup(self.backup, folder, "admin", spec.PASSWORDS["admin"])
        set_peers(folder, [self.b.url])
        return folder

    def forks_at_b(self) -> list:
        return self.b.get("/v1/status").json()["forks"]


@pytest.fixture
def stale(template, tmp_path):
    city = shutil.copytree(template.city, tmp_path / "city")
    a_port = free_port()
    set_peers(city / B, [f"http://127.0.0.1:{a_port}"])
    b = NodeProcess(city / B, free_port()).start()
    yield Stale(b, a_port, template.backup, template.backed_up, template.mirrored)
    b.stop()


# -- every door recovers first ---------------------------------------------------------
def via_cli(stale: Stale, home: Path) -> None:
    done = issue_cli(home)
    assert done.returncode == 0, done.stderr
    assert "recovered our own log" in done.stderr  # said, not silent


def via_counter(stale: Stale, home: Path) -> None:
    from ui.local_backend import LocalBackend

    backend = LocalBackend(home, argon2=FAST_ARGON2, sync=False)
    try:
        issued = backend.issue(backend.sign_in("clerk", spec.PASSWORDS["clerk"]), LICENCE, SAMPLES[LICENCE])
        assert issued.seq == stale.mirrored
    finally:
        backend.close()


def via_http(stale: Stale, home: Path) -> None:
    served = NodeProcess(home, stale.a_port).start()
    try:
        issue_http(served, served.login("clerk"))
    finally:
        served.stop()


def served_to_b(stale: Stale, home: Path) -> None:
    """The restored node serves again and B, restarted (so not backing off from
    the address that was dead), pulls the new entry: it extends what B held."""
    stale.b.stop()
    again = NodeProcess(home, stale.a_port).start()
    try:
        stale.b.start()
        wait_for(lambda: stale.b.size_of(A) == stale.mirrored + 1)
        assert stale.forks_at_b() == [] and again.get("/v1/status").json()["forks"] == []
        assert all(entry["status"] == "ok" for entry in stale.b.get("/v1/logs").json()["logs"])
    finally:
        again.stop()


@pytest.mark.parametrize("door", [via_cli, via_counter, via_http], ids=["cli", "counter", "http"])
def test_every_door_on_a_restored_home_recovers_before_it_signs(stale, tmp_path, door):
    restored = stale.restore(tmp_path / "restored")  # an empty folder, as after a lost disk
    door(stale, restored)
    assert own_size(restored) == stale.mirrored + 1  # the two lost licences came back first
    served_to_b(stale, restored)
    assert check_home(restored, (CERTIFICATES,)).ok


def test_a_restored_home_that_cannot_take_its_log_back_refuses_and_says_why(stale, tmp_path):
    from ledger_kit import TEST_PLUGIN, note

    from citychain.node.restore import SigningRefused

    restored = stale.restore(tmp_path / "restored")
    # Opened without the plug-in that judges its licences, it cannot verify what B holds of its log.
    with Node.open(restored, (TEST_PLUGIN,), argon2=FAST_ARGON2) as node:
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        with pytest.raises(SigningRefused) as refused:
            node.append(clerk, [note(1)])
        assert refused.value.code == "RESTORE_UNSAFE"
        assert f"持有本机构日志 {stale.mirrored} 条，本地只有 {stale.backed_up} 条" in refused.value.message_zh
        assert "未能从对等节点取回" in refused.value.message_zh and stale.b.url in refused.value.message_zh
        assert "could not be taken back from the peers" in refused.value.message_en
        stale.b.stop()
        with pytest.raises(SigningRefused, match="UNREACHABLE"):  # asked again: still nothing signed
            node.append(clerk, [note(2)])
        assert node.store.head(A).size == stale.backed_up


# -- a forked own log says so -------------------------------------------------------------
def sign_offline(home: Path, count: int, caplog) -> None:
    """The restored home signs with its witness away: nobody to ask, so it
    signs (logged), as `node serve` would."""
    with (
        caplog.at_level(logging.WARNING, "citychain.restore"),
        Node.open(home, (CERTIFICATES,), argon2=FAST_ARGON2) as node,
    ):
        desk = CertificateDesk(node)
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        for _ in range(count):
            desk.issue(clerk, LICENCE, SAMPLES[LICENCE])
    assert "no peer could be asked" in caplog.text


@pytest.mark.parametrize("offline", [1, 3], ids=["shorter than the peer's copy", "longer"])
def test_a_node_whose_own_log_is_forked_says_so_with_the_evidence(stale, tmp_path, caplog, offline):
    stale.b.stop()
    restored = stale.restore(tmp_path / "restored")
    sign_offline(restored, offline, caplog)
    stale.b.start()
    done = issue_cli(restored)
    assert done.returncode == 2
    for words in ("本节点自己的日志已分叉", "THIS node's own log is forked", f"log forks --home {restored}"):
        assert words in done.stderr, done.stderr
    assert own_size(restored) == stale.backed_up + offline  # nothing more was signed
    assert stale.forks_at_b() == []  # B was never shown the other history
    stale.b.stop()  # a later process refuses from what it stored, with nobody to ask
    again = issue_cli(restored)
    assert again.returncode == 2 and "THIS node's own log is forked" in again.stderr
    evidence_dir = tmp_path / "evidence"
    evidence_dir.mkdir()
    listed = main("log", "forks", "--home", str(restored), "--out", str(evidence_dir))
    assert listed.returncode == 1 and stale.b.url in listed.stdout
    (evidence,) = evidence_dir.glob(f"fork-{A}-*.json")  # recorded once, not per attempt
    checked = main("log", "verify-evidence", str(evidence), "--home", str(stale.b.home))
    assert checked.returncode == 0, checked.stderr


# -- asked once, bounded --------------------------------------------------------------------
def test_the_peers_are_asked_once_per_opened_node(demo_city, monkeypatch, caplog):
    from ledger_kit import note, open_node, sign_in

    from citychain.node import restore

    asked = []
    real = restore.ask
    monkeypatch.setattr(restore, "ask", lambda syncer, url: asked.append(url) or real(syncer, url))
    with open_node(demo_city) as node:
        node.append(sign_in(node, "clerk"), [note(0)])
        assert asked == []  # a lone node has nobody to ask
        node.add_peer(DEAD_PEER)
    with caplog.at_level(logging.WARNING, "citychain.restore"), open_node(demo_city) as node:
        clerk = sign_in(node, "clerk")
        for i in range(1, 4):
            node.append(clerk, [note(i)])
        assert asked == [DEAD_PEER] and node.store.head(A).size == 4
    assert "no peer could be asked" in caplog.text

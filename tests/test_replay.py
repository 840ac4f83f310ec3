"""A batch signed but not committed (a crash between the guard file and the
database) is replayed through the same rules, derived tables and audit row as
an append, and `log check` catches derived tables that disagree with the log.

The crash is made without timing luck: copy the database just before one
write, let the write finish, put the copy back (keeping keys/signed-state.json)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import FAST_ARGON2, quiet_demo_city

import main
from certificates.desk import CertificateDesk
from charity.desk import CharityDesk
from citychain.node.check import check_home
from citychain.node.home import origin
from citychain.node.node import Node
from democity import samples, spec

PLUGINS = main.plugins()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return quiet_demo_city(tmp_path_factory.mktemp("replay") / "city", PLUGINS)


def open_node(city, agency: str) -> Node:
    return Node.open(city.home(agency), PLUGINS, argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, even of a file in use."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def crash_after(city, agency: str, tmp_path: Path, write):
    """Run `write(node)`, then lose its database commit as a crash would."""
    home = city.home(agency)
    copy_database(home / "ledger.sqlite", tmp_path / "before.sqlite")
    with open_node(city, agency) as node:
        result = write(node)
    copy_database(tmp_path / "before.sqlite", home / "ledger.sqlite")
    return result


def own_bodies(node: Node, kind: str) -> list[dict]:
    head = node.store.head(node.config.agency)
    leaves = (json.loads(data)["record"] for data in node.store.iter_leaves(head.id))
    return [leaf["body"] for leaf in leaves if leaf["kind"] == kind]


def mirror_status(city, source: str, mirror: str) -> str:
    """Take the source's log into another agency's home the way sync does."""
    with open_node(city, source) as src:
        head = src.store.head(source)
        leaves, note = list(src.store.iter_leaves(head.id)), head.checkpoint
    with open_node(city, mirror) as dst:
        have = dst.store.head(source)
        start = have.size if have else 0
        dst.import_log(source, origin(dst.config.city, source), start, leaves[start:], note)
        return dst.store.head(source).status


def replayed_audit_rows(node: Node) -> list[dict]:
    rows = node.store.conn.execute("SELECT user, action, detail FROM audit WHERE action = 'log.append'")
    return [{"user": u, **json.loads(d)} for u, a, d in rows if json.loads(d).get("replayed")]


def test_a_replayed_issue_keeps_certificate_ids_unique(city, tmp_path):
    agency, type_id = "disabled-federation", "disability-certificate"
    first = crash_after(
        city,
        agency,
        tmp_path,
        lambda node: CertificateDesk(node).issue(sign_in(node, "clerk"), type_id, samples.SAMPLES[type_id]).cert_id,
    )
    with open_node(city, agency) as node:  # opening replays the lost commit
        assert node.own.refusal is None
        assert CertificateDesk(node).status(first).status == "valid"
        second = CertificateDesk(node).issue(sign_in(node, "clerk"), type_id, samples.SAMPLES[type_id]).cert_id
        ids = [body["id"] for body in own_bodies(node, "certificate.issued")]
        audit = replayed_audit_rows(node)
    assert second != first
    assert ids.count(first) == 1 and ids.count(second) == 1
    assert audit and audit[-1]["user"] == "clerk" and audit[-1]["kinds"] == ["certificate.issued"]
    report = check_home(city.home(agency), PLUGINS)
    assert report.ok, report.lines()
    assert mirror_status(city, agency, "market-regulation") == "ok"


def test_a_replayed_donation_gives_no_receipt_code_twice(city, tmp_path):
    agency = "charity-federation"

    def donate(node: Node) -> str:
        desk = CharityDesk(node, node.private())
        fund = desk.funds()[0].id
        return desk.record_donation(sign_in(node, "clerk"), fund, 5000, "bank", "张三丰")

    first = crash_after(city, agency, tmp_path, donate)
    with open_node(city, agency) as node:
        assert node.own.refusal is None
        second = donate(node)
        codes = [body["receipt"] for body in own_bodies(node, "charity.donation.received")]
    assert second != first
    assert codes.count(first) == 1 and codes.count(second) == 1
    report = check_home(city.home(agency), PLUGINS)
    assert report.ok, report.lines()
    assert mirror_status(city, agency, "civil-affairs") == "ok"


def test_log_check_names_a_derived_row_that_disagrees_with_the_log(city, tmp_path):
    home = tmp_path / "civil-affairs"
    shutil.copytree(city.home("civil-affairs"), home)
    conn = sqlite3.connect(home / "ledger.sqlite", isolation_level=None)
    try:
        revoked = conn.execute("SELECT id FROM certificates WHERE status = 'revoked'").fetchone()[0]
        conn.execute("UPDATE certificates SET status = 'valid' WHERE id = ?", (revoked,))
        dropped = conn.execute("SELECT id FROM charity_projects LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM charity_projects WHERE id = ?", (dropped,))
    finally:
        conn.close()
    report = check_home(home, PLUGINS)
    assert not report.ok
    text = "\n".join(report.lines())
    assert f"certificates id={revoked!r}: stored status='valid'" in text and "gives status='revoked'" in text
    assert "charity_projects log=" in text and f"id={dropped!r}: stored no row" in text


def test_log_check_finds_a_duplicate_id_that_a_bad_replay_signed(city, tmp_path):
    """What the old replay left behind: the derived row missing, so the next
    issue reused the id. Every peer rejects such a log; so must its own check."""
    agency, type_id = "disabled-federation", "disability-certificate"
    home = tmp_path / agency
    shutil.copytree(city.home(agency), home)
    with Node.open(home, PLUGINS, argon2=FAST_ARGON2) as node:
        first = CertificateDesk(node).issue(sign_in(node, "clerk"), type_id, samples.SAMPLES[type_id]).cert_id
        node.store.conn.execute("DELETE FROM certificates WHERE id = ?", (first,))
        second = CertificateDesk(node).issue(sign_in(node, "clerk"), type_id, samples.SAMPLES[type_id]).cert_id
    assert second == first  # the drifted table let the node sign the same id twice
    report = check_home(home, PLUGINS)
    assert not report.ok
    assert any("breaks a rule" in p for log in report.logs if log.agency == agency for p in log.problems), (
        report.lines()
    )

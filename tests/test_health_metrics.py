"""A node as a service: `GET /v1/health` says ready (200) or not and why
(503, bilingual reasons) — its own log refusing to sign, a sync loop that
failed — and `GET /metrics` gives Prometheus what /v1/logs, /v1/status and
the audit trail say: entries per log, a peer's lag and last contact, failed
sign-ins. Real node processes on 127.0.0.1 (tests/node_runner.py)."""

from __future__ import annotations

import math
import sqlite3

import requests
from ledger_kit import note, open_node
from nodes import NodeProcess, free_port, wait_for
from prometheus_client.parser import text_string_to_metric_families
from test_cli import cli
from test_hostile_peer import HostilePeer, a_log_b_mirrors, peer_error
from test_mirror import agency_signer
from test_sync_hardening import running, table_gone

from democity import spec

A, B = "market-regulation", "civil-affairs"


def scrape(node: NodeProcess) -> dict[str, dict[tuple, float]]:
    """Metric family → {sorted label pairs: value}, parsed back as Prometheus would."""
    reply = node.get("/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(reply.text):
        assert family.name.startswith("citychain_") and family.documentation, family.name
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def health(node: NodeProcess) -> tuple[int, dict]:
    reply = node.get("/v1/health")  # no token: open to anyone
    return reply.status_code, reply.json()


def codes(answer: dict) -> set[str]:
    assert all(reason["message_zh"] and reason["message_en"] for reason in answer["why"])
    return {reason["code"] for reason in answer["why"]}


def wrong_sign_in(node: NodeProcess, user: str) -> None:
    reply = requests.post(node.url + "/v1/login", json={"user": user, "password": "not-the-password"}, timeout=30)
    assert reply.status_code == 401


def test_a_sound_node_is_ready_and_its_metrics_agree_with_its_logs(demo_city):
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        assert health(a) == (200, {"ready": True})
        assert a.append(a.login("clerk"), [note(0), note(1)]).status_code == 201
        before = scrape(a)["citychain_failed_sign_ins_total"][()]
        wrong_sign_in(a, "clerk")
        wrong_sign_in(a, "nobody-at-all")
        metrics = scrape(a)
        logs = {entry["agency"]: entry["size"] for entry in a.get("/v1/logs").json()["logs"]}
        assert logs[A] == a.size_of(A) >= 2
        assert {dict(labels)["agency"]: size for labels, size in metrics["citychain_log_entries"].items()} == logs
        assert metrics["citychain_failed_sign_ins_total"][()] == before + 2
        assert metrics["citychain_forks"][()] == 0 and metrics["citychain_invalid_logs"][()] == 0
        assert metrics["citychain_own_cosigned_checkpoint_age_seconds"][()] == math.inf  # no witness yet
        assert metrics["citychain_sync_loop_restarts_total"][()] == 0
        assert "nobody-at-all" not in a.get("/metrics").text and "clerk" not in a.get("/metrics").text
        assert health(a)[0] == 200


def test_a_peer_s_lag_and_last_contact_are_measured(demo_city):
    """A peer serving a genuine checkpoint with a forged entry: we lag it by the
    whole log and have never synced with it; an honest peer added later: no lag,
    and contact a moment ago."""
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        a.append(a.login("clerk"), [note(0), note(1), note(2)])
        with open_node(demo_city, A, write=False) as node:
            leaves = node.store.leaves(node.store.head(A).id, 0, 3)
        with HostilePeer("forged entry", leaves, agency_signer(demo_city)) as evil:
            b = NodeProcess(demo_city.home(B), free_port(), [evil.url])
            with running(b):
                b.start()
                wait_for(lambda: peer_error(b, evil.url) == "BAD_SIGNATURE", timeout=30)
                metrics = scrape(b)
                (status,) = [p for p in b.get("/v1/status").json()["peers"] if p["url"] == evil.url]
                lag = metrics["citychain_peer_lag_entries"]
                assert lag[(("agency", A), ("peer", evil.url))] == status["lag_entries"][A] == 3
                assert metrics["citychain_peer_seconds_since_contact"][(("peer", evil.url),)] == math.inf
                assert health(b) == (200, {"ready": True})  # a lying peer is its failure, not ours
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
                assert added.returncode == 0, added.stderr
                wait_for(lambda: b.size_of(A) == 3, timeout=30)
                wait_for(lambda: (("peer", a.url),) in scrape(b)["citychain_peer_seconds_since_contact"], timeout=10)
                metrics = scrape(b)
                assert 0 <= metrics["citychain_peer_seconds_since_contact"][(("peer", a.url),)] < 30
                assert metrics["citychain_peer_lag_entries"][(("agency", A), ("peer", a.url))] == 0
                assert metrics["citychain_log_entries"][(("agency", A),)] == 3


def test_a_fork_in_another_agency_s_log_is_counted_and_leaves_the_node_ready(demo_city):
    leaves = a_log_b_mirrors(demo_city)
    with HostilePeer("fork longer", leaves, agency_signer(demo_city)) as evil:
        b = NodeProcess(demo_city.home(B), free_port(), [evil.url])
        with running(b):
            b.start()
            wait_for(lambda: scrape(b)["citychain_forks"][()] == 1, timeout=10)
            assert [log["status"] for log in b.get("/v1/logs").json()["logs"] if log["agency"] == A] == ["forked"]
            assert scrape(b)["citychain_invalid_logs"][()] == 0
            assert health(b) == (200, {"ready": True})  # its own log signs on


def test_a_node_whose_own_log_is_forked_is_not_ready_and_says_why(demo_city):
    with sqlite3.connect(demo_city.home(A) / "ledger.sqlite") as conn:
        conn.execute("UPDATE logs SET status = 'forked', status_detail = 'fork detected' WHERE agency = ?", (A,))
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        status, answer = health(a)
        assert status == 503 and answer["ready"] is False
        assert codes(answer) == {"SIGNING_REFUSED", "OWN_LOG_FORKED"}
        assert a.get("/v1/status").json()["own_log"]["signing"] is False
        assert scrape(a)["citychain_log_entries"][(("agency", A),)] == a.size_of(A)  # still served


def test_a_failed_sync_loop_is_not_ready_until_it_recovers(demo_city):
    a = NodeProcess(demo_city.home(A), free_port())
    with running(a):
        a.start()
        wait_for(lambda: health(a)[0] == 200, timeout=10)
        with table_gone(demo_city.home(A), "peers"):  # a local fault outside any peer's turn
            wait_for(lambda: health(a)[0] == 503, timeout=10)
            assert codes(health(a)[1]) == {"SYNC_LOOP_FAILED"}
        wait_for(lambda: health(a) == (200, {"ready": True}), timeout=10)
        assert scrape(a)["citychain_sync_loop_restarts_total"][()] >= 1


def test_the_age_of_the_newest_co_signature_on_the_own_log(demo_city):
    a_port, b_port = free_port(), free_port()
    a = NodeProcess(demo_city.home(A), a_port, [f"http://127.0.0.1:{b_port}"])
    b = NodeProcess(demo_city.home(B), b_port, [f"http://127.0.0.1:{a_port}"])
    with running(a, b):
        a.start()
        b.start()
        a.append(a.login("clerk"), [note(0)])
        wait_for(lambda: a.get("/v1/status").json()["own_log"]["cosigners"], timeout=30)
        age = scrape(a)["citychain_own_cosigned_checkpoint_age_seconds"][()]
        assert 0 <= age < 60
        a.append(a.login("clerk"), [note(1)])  # co-signed yet or not, the newest co-signature is recent
        assert scrape(a)["citychain_own_cosigned_checkpoint_age_seconds"][()] < 60

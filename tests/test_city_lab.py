"""The city lab and its fault drills (issue 13, items 5 and 6): a root authority
and three agencies, each node in its own network namespace, enrolled by files
and talking TLS; a counter and a kiosk on hosts of their own. One lab for the
whole module; every wait is bounded.

The test process reaches the nodes only through processes inside the lab's
namespaces (`citylab.probe`, the counter script, `main.py verify`); it reads
homes' files only as a person at that machine would (`log check`)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import main
from citychain.clock import format_time
from citychain.log.encoding import b64decode
from citychain.node.check import check_home
from citychain.node.node import Node
from citylab.lab import AGENCIES, CLERK_PASSWORD, HALL, ROOT, Lab, step
from citylab.network import NETNS_ETC, SUBNET
from democity.samples import SAMPLES

MARKET, SECURITY, CIVIL = (a.id for a in AGENCIES)
TYPES = {MARKET: "business-licence", SECURITY: "residence-permit", CIVIL: "marriage-certificate"}
EVERY = (ROOT.id, MARKET, SECURITY, CIVIL)
COUNTER = Path(__file__).with_name("lab_counter.py")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    made = Lab(tmp_path_factory.mktemp("citylab"), interval=3.0)
    try:
        made.build()
        yield made
    finally:
        made.close()


# -- helpers ------------------------------------------------------------------------------------
def licence(agency: str) -> dict:
    yesterday = (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    return {"type": TYPES[agency], "form": SAMPLES[TYPES[agency]], "valid_from": yesterday}


def issue(lab: Lab, agency: str, host: str = "probe", count: int = 1) -> list[dict]:
    """Certificates issued through the agency's API from `host`; their answers."""
    probe = lab.probe(host)
    token = probe.login(lab.url(agency), "clerk", CLERK_PASSWORD)
    answers = []
    for _ in range(count):
        reply = probe.post(lab.url(agency), "/v1/certificates", licence(agency), token)
        assert reply.get("status") == 201, reply
        answers.append(reply["body"])
    return answers


def wait_until(condition, timeout: float, what: str, step: float = 0.2) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout} s")


def sizes(lab: Lab) -> dict[str, dict[str, tuple[int, str]]]:
    """Each node's view: log → (size, status)."""
    return {a: {log: (e["size"], e["status"]) for log, e in lab.logs(a).items()} for a in EVERY}


def _size(view: dict, log: str) -> int:
    """A log's size in a `logs` or `sizes` view (a node lists no empty log)."""
    entry = view.get(log)
    return 0 if entry is None else entry[0] if isinstance(entry, tuple) else entry["size"]


def converged(lab: Lab) -> bool:
    """Every node holds every agency's log at its author's size, all ok."""
    views = sizes(lab)
    own = {a: views[a].get(a, (None,))[0] for a in EVERY}
    return all(views[node].get(log) == (own[log], "ok") for node in EVERY for log in EVERY if own[log]) and all(
        view for view in views.values()
    )


def no_forks(lab: Lab) -> None:
    """`log forks` on every home (on its own host, side by side) finds none, and no node reports one."""

    def forks(site) -> str:
        return lab.commands(site, [step("log", "forks", "--home", site.home)], check=False)

    with ThreadPoolExecutor(len(EVERY)) as pool:
        found = dict(zip(EVERY, pool.map(forks, (lab.sites[a] for a in EVERY)), strict=True))
    for agency, out in found.items():
        assert out.strip().endswith("exit 0") and "#" not in out, f"{agency}: {out}"
        status = lab.probe().get(lab.url(agency), "/v1/status")
        assert status["status"] == 200 and status["body"]["forks"] == [], status


def log_check(lab: Lab, agency: str) -> None:
    site = lab.sites[agency]
    out = lab.commands(site, [step("log", "check", "--home", site.home)], check=False)
    assert "all logs verify" in out and out.strip().endswith("exit 0"), out


# -- the lab itself ------------------------------------------------------------------------------
def test_the_lab_runs_each_node_in_a_namespace_of_its_own(lab):
    if os.geteuid() == 0:  # CI runs as root: the namespace path, not the fallback
        assert lab.mode == "netns", lab.net.why_loopback
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
        for host in lab.net.hosts.values():
            assert host.ns in listed and (NETNS_ETC / host.ns / "hosts").is_file()
        own = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True).stdout
        assert SUBNET not in own  # nothing was added to the machine's own namespace
        seen = lab.run("kiosk", ["sh", "-c", "hostname; cat /etc/hosts; ip -o -4 addr show eth0"])
        assert seen.stdout.startswith("kiosk.") and lab.net.hosts["kiosk"].ip in seen.stdout
        assert all(h.hostname in seen.stdout for h in lab.net.hosts.values())
    else:
        assert lab.mode == "loopback"
    # every agency enrolled by files, each found the others from the trust log, over HTTPS only
    wait_until(lambda: converged(lab), 30, "the trust log everywhere")
    status = lab.probe().get(lab.url(MARKET), "/v1/status")["body"]
    peers = {p["url"]: p for p in status["peers"]}
    assert set(peers) == {lab.url(a) for a in EVERY if a != MARKET}
    assert all(p["sources"] == ["trust-log"] for p in peers.values()), peers
    plain = lab.probe().get(lab.url(MARKET).replace("https://", "http://"), "/v1/status", timeout=10)
    assert "error" in plain or plain.get("status") != 200  # no plain HTTP on a --tls node
    assert len({s.home for s in lab.sites.values()}) == len(EVERY)


def test_a_counter_issues_at_the_hall_and_a_kiosk_verifies_against_a_node(lab):
    counter, kiosk = lab.base / "counter", lab.base / "kiosk"
    hall = lab.sites[HALL]
    done = lab.run(
        "counter",
        [sys.executable, COUNTER, hall.url, counter / "city-ca.crt", counter / "licence.pdf"],
        {"CITYCHAIN_PASSWORD": CLERK_PASSWORD, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout.strip().splitlines()[-1])
    assert issued["agency"] == HALL and issued["role"] == "clerk"
    # the kiosk's operator installs the hall's trust bundle; the citizen brings the PDF
    lab.commands(hall, [step("trust", "export", "--home", hall.home, hall.folder / "trust-bundle.json")])
    lab.carry(hall.folder / "trust-bundle.json", kiosk)
    lab.carry(counter / "licence.pdf", kiosk)
    wait_until(lambda: lab.logs(CIVIL).get(HALL, {}).get("size", 0) > issued["seq"], 20, "civil affairs mirrors it")
    # Status from a node that mirrors the hall's log, not the one that issued it. Its copy
    # answers STATUS_UNKNOWN until the witnesses' co-signatures of that checkpoint reach it
    # (a later sync round), never VALID before: asked again until then.
    verdicts = [_verdict(lab, CIVIL)]
    while verdicts[-1].get("verdict") == "STATUS_UNKNOWN" and len(verdicts) < 15:
        time.sleep(1)
        verdicts.append(_verdict(lab, CIVIL))
    assert verdicts[-1].get("verdict") == "VALID", verdicts


def _verdict(lab: Lab, node: str) -> dict:
    kiosk = lab.base / "kiosk"
    argv = [sys.executable, main.__file__, "verify", kiosk / "licence.pdf", "--trust", kiosk / "trust-bundle.json"]
    argv += ["--node", lab.url(node), "--ca", kiosk / "city-ca.crt", "--json"]
    done = lab.run("kiosk", argv)
    return json.loads(done.stdout) if done.stdout.strip().startswith("{") else {"stderr": done.stderr}


# -- drills ---------------------------------------------------------------------------------------
def test_a_partitioned_agency_heals_and_every_node_converges_without_a_false_fork(lab):
    if lab.mode != "netns":
        pytest.skip("a partition needs network namespaces (this machine gave the loopback fallback)")
    wait_until(lambda: converged(lab), 30, "converged before the partition")
    before = sizes(lab)
    lab.net.cut("civil")
    try:
        assert lab.probe().get(lab.url(CIVIL), "/v1/status", timeout=10).get("status") != 200
        issue(lab, CIVIL, host="civil", count=3)  # the cut-off side writes (its clerk at its own machine)
        issue(lab, MARKET, count=3)  # and so does the rest of the city
        issue(lab, SECURITY, count=2)
        time.sleep(2.5)  # a few sync rounds fail meanwhile
        assert _size(lab.logs(MARKET), CIVIL) == _size(before[MARKET], CIVIL)
        inside = lab.logs(CIVIL, host="civil")
        assert _size(inside, MARKET) == _size(before[CIVIL], MARKET)
        assert _size(inside, CIVIL) == _size(before[CIVIL], CIVIL) + 3
    finally:
        lab.net.heal("civil")
    took = wait_until(lambda: converged(lab), 45, "converged after healing")
    print(f"converged {took:.1f} s after healing")
    no_forks(lab)


KILLS = 20


def test_sigkill_twenty_times_while_a_client_writes_loses_nothing_acknowledged(lab):
    agency, site = SECURITY, lab.sites[SECURITY]
    probe = lab.probe()
    rng, serving = random.Random(20261205), 0
    probe.call(
        "writer_start", name="kills", url=lab.url(agency), path="/v1/certificates", json=licence(agency),
        key="cert_id", user="clerk", password=CLERK_PASSWORD,
    )  # fmt: skip
    try:
        for _ in range(KILLS):  # the node runs (or is starting) at the top of each round
            if rng.random() < 0.25:  # now and then during start-up: opening, replaying, asking the peers
                time.sleep(rng.uniform(0.2, 1.5))
            else:  # mostly while it serves and the client writes: once a write of this run was acknowledged
                lab.wait_ready(agency, 60)
                acked = probe.call("writer_count", name="kills")["acks"]
                wait_until(lambda n=acked: probe.call("writer_count", name="kills")["acks"] > n, 30, "a write", 0.05)
                serving += 1
                time.sleep(rng.uniform(0.0, 0.5))
            lab.kill(agency)
            report = check_home(site.home, main.plugins())  # what `log check` runs, on the dead node's home
            assert report.ok, report.lines()
            lab.spawn(agency)
        lab.wait_ready(agency, 60)
    finally:
        tally = probe.call("writer_stop", name="kills", timeout=60)
    acks = tally["acks"]
    assert serving >= KILLS // 2 and len(acks) >= serving, tally  # kills fell while the client wrote
    with Node.open(site.home, write=False) as node:
        ids = [b["id"] for b in _bodies(node, agency, "certificate.issued")]
    assert all(ids.count(a) == 1 for a in acks), "an acknowledged write is missing or doubled"
    assert len(set(ids)) == len(ids)
    wait_until(lambda: converged(lab), 45, "every node mirrors the log again")
    log_check(lab, agency)


def _bodies(node: Node, agency: str, kind: str) -> list[dict]:
    head = node.store.head(agency)
    records = (json.loads(leaf)["record"] for leaf in node.store.iter_leaves(head.id))
    return [r["body"] for r in records if r["kind"] == kind]


def test_clocks_ten_minutes_ahead_and_behind_keep_sync_witnessing_and_verification_working(lab):
    ahead, behind = MARKET, CIVIL
    try:
        for agency, offset in ((ahead, 600), (behind, -600)):
            lab.stop(agency)
            lab.set_clock(agency, offset)
        lab.start(ahead, behind)
        # the node ahead signs records dated ten minutes from now; every node takes them (no future limit on records)
        written = issue(lab, ahead)[0]
        wait_until(lambda: all(lab.logs(a).get(ahead, {}).get("size", 0) > written["seq"] for a in EVERY), 30, "sync")
        leaf = _entry(lab, behind, ahead, written["seq"])
        dated = datetime.strptime(leaf["record"]["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert 540 < (dated - datetime.now(UTC)).total_seconds() < 660
        # witnessing: the skewed nodes co-sign, and their co-signatures count (at most an hour ahead)
        issue(lab, SECURITY)

        def witnessed(agency: str, by: set[str]) -> bool:
            own = lab.probe().get(lab.url(agency), "/v1/status")["body"]["own_log"]
            return by <= {w.rsplit("/", 1)[-1] for w in own["cosigners"]}

        wait_until(lambda: witnessed(SECURITY, {ahead, behind}), 30, "co-signed by both skewed nodes", 0.5)
        wait_until(lambda: witnessed(ahead, {behind}), 30, "the ahead node's log co-signed by the behind one", 0.5)
        # the node behind: a record is judged at the time it claims (protocol §6, *Clocks*)
        trust = lab.probe().get(lab.url(behind), "/v1/status")
        assert trust["status"] == 200
        reply = _try_issue(lab, behind)
        not_before = _key_not_before(lab, behind)
        if format_time(datetime.now(UTC) - timedelta(seconds=600)) < not_before:
            assert reply["status"] == 422 and "KEY_NOT_YET_VALID" in json.dumps(reply["body"]), reply
        else:
            assert reply["status"] == 201, reply
        no_forks(lab)
    finally:
        for agency in (ahead, behind):
            lab.stop(agency)
            lab.set_clock(agency, 0)
        lab.start(ahead, behind)
    # back on time, the ahead node signs again although its last record is dated later
    later = issue(lab, ahead)[0]
    wait_until(lambda: converged(lab), 45, "converged after the clocks were put right")
    assert later["seq"] == written["seq"] + 1


def _try_issue(lab: Lab, agency: str) -> dict:
    probe = lab.probe()
    token = probe.login(lab.url(agency), "clerk", CLERK_PASSWORD)
    return probe.post(lab.url(agency), "/v1/certificates", licence(agency), token)


def _entry(lab: Lab, node: str, log: str, seq: int) -> dict:
    reply = lab.probe().get(lab.url(node), f"/v1/logs/{log}/entries?start={seq}&end={seq + 1}")
    return json.loads(b64decode(reply["body"]["entries"][0]))


def _key_not_before(lab: Lab, agency: str) -> str:
    with Node.open(lab.sites[agency].home, write=False) as node:
        return min(k.not_before for k in node.trust.agencies[agency].keys)


def test_a_home_restored_from_an_old_backup_takes_its_log_back_before_it_signs(lab):
    agency, site = CIVIL, lab.sites[CIVIL]
    backup = site.folder / "civil-old.tar"
    lab.commands(site, [step("node", "backup", "--home", site.home, "--user", "admin", "--out", backup)])
    backed_up = lab.logs(agency)[agency]["size"]
    issue(lab, agency, count=2)
    mirrored = backed_up + 2
    wait_until(lambda: all(lab.logs(a).get(agency, {}).get("size") == mirrored for a in EVERY), 30, "mirrored")
    lab.stop(agency)
    lab.commands(site, [step("node", "restore", "--home", site.home, "--user", "admin", "--from", backup, "--force")])
    with Node.open(site.home, write=False) as node:
        assert node.store.head(agency).size == backed_up  # the disk went back in time
    lab.start(agency)
    written = issue(lab, agency)[0]
    assert written["seq"] == mirrored  # it took back what its peers held before signing: no fork
    assert "restore safety" in site.log_path.read_text()
    wait_until(lambda: converged(lab), 45, "converged after the restore")
    no_forks(lab)
    log_check(lab, agency)


# -- revoked and foreign TLS certificates --------------------------------------------------------------
OTHERS = {SECURITY: (ROOT.id, MARKET, CIVIL), CIVIL: (ROOT.id, MARKET, SECURITY)}


def peer_error(lab: Lab, viewer: str, peer: str) -> str | None:
    """The error code `viewer`'s sync loop last had from `peer` ("" for none; its /v1/status)."""
    reply = lab.probe().get(lab.url(viewer), "/v1/status", timeout=10)
    peers = reply.get("body", {}).get("peers", []) if reply.get("status") == 200 else []
    return next((p["error_code"] for p in peers if p["url"] == lab.url(peer)), "no such peer")


def refused_by_all(lab: Lab, peer: str, code: str) -> bool:
    """Every other node's last error from `peer` is `code` ("" for none)."""
    return all(peer_error(lab, viewer, peer) == code for viewer in OTHERS[peer])


def test_a_peer_whose_tls_certificate_is_revoked_is_refused_until_it_renews(lab):
    from cryptography import x509

    from citychain.pki.ca import cert_fingerprint

    agency, root = SECURITY, lab.sites[ROOT.id]
    served = x509.load_pem_x509_certificate((lab.sites[agency].home / "tls" / "node.crt").read_bytes())
    lab.stop(ROOT.id)  # one writer per home: the root's node stops while its admin writes the trust log
    lab.commands(
        root,
        [
            step(
                "trust", "revoke-cert", "--home", root.home, "--user", "admin", "--agency", agency,
                "--fingerprint", cert_fingerprint(served), "--reason", "lab drill: TLS key copied",
            )
        ],
    )  # fmt: skip
    lab.start(ROOT.id)
    wait_until(lambda: refused_by_all(lab, agency, "CERT_REVOKED"), 60, "every node refuses the revoked certificate")
    held = {viewer: lab.logs(viewer).get(agency, {}).get("size") for viewer in OTHERS[agency]}
    issue(lab, agency)  # it still signs, and still pulls from the others; no one pulls from it
    time.sleep(lab.interval + 1)  # a sync round and more: a notice would have been pulled at once
    assert {viewer: lab.logs(viewer).get(agency, {}).get("size") for viewer in OTHERS[agency]} == held

    lab.renew(agency)
    wait_until(lambda: refused_by_all(lab, agency, ""), 30, "the renewed certificate is accepted")
    wait_until(lambda: converged(lab), 60, "converged after the renewal")


def test_a_peer_presenting_a_certificate_from_another_ca_is_refused(lab, tmp_path):
    from citychain.log.keys import KdfCost
    from citychain.pki.ca import create_root_ca, issue_tls_cert, new_ec_key, save_cert, save_sealed_key

    agency, site = CIVIL, lab.sites[CIVIL]
    now = datetime.now(UTC)
    create_root_ca(tmp_path, "elsewhere", "别市", "Elsewhere", "other-ca-2026", KdfCost.cheap(), now)
    key = new_ec_key()
    hostname = lab.net.hosts[site.agency.host].hostname
    foreign = issue_tls_cert(tmp_path, "other-ca-2026", agency, [hostname], key.public_key(), now)
    tls = site.home / "tls"
    kept = {name: (tls / name).read_bytes() for name in ("node.crt", "node.key")}
    lab.stop(agency)
    try:
        save_cert(tls / "node.crt", foreign)
        save_sealed_key(tls / "node.key", key, site.agency.passphrase, KdfCost.cheap())
        lab.spawn(agency)  # no `start`: the lab's own probe refuses it too
        wait_until(lambda: refused_by_all(lab, agency, "TLS"), 60, "every node refuses the foreign certificate")
    finally:
        lab.stop(agency)
        for name, data in kept.items():
            (tls / name).write_bytes(data)
        lab.start(agency)
    wait_until(lambda: refused_by_all(lab, agency, ""), 30, "its own certificate is accepted again")


def test_the_clock_offset_knob_moves_only_the_home_that_sets_it():
    from citychain.clock import OffsetClock, SystemClock, clock_from_config

    assert isinstance(clock_from_config({}), SystemClock) and isinstance(clock_from_config({"clock": {}}), SystemClock)
    behind = clock_from_config({"clock": {"offset_seconds": -600}})
    assert isinstance(behind, OffsetClock)
    assert abs((behind.now() - datetime.now(UTC)).total_seconds() + 600) < 5

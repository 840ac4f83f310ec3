"""Certificate revocation through the trust log (docs/protocol.md §9): the
fingerprints enrolment records, `trust revoke-cert`, a node refusing a TLS
server whose certificate is revoked or from another CA, and a seal judged by
the time of its record in the ledger."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cheap import CHEAP_KDF, FAST_ARGON2
from nodes import NodeProcess, free_port
from test_cli import cli

from certificates.desk import CertificateDesk
from certificates.kinds import PLUGIN as CERTIFICATES
from certificates.verify import NodeStatus, Verifier, VerifierConfig
from citychain.clock import FakeClock, SystemClock, format_time
from citychain.errors import BilingualError
from citychain.net.client import PeerClient, PeerError
from citychain.node.bundle import BundleError, export_bundle, write_bundle
from citychain.node.enrol import EnrolError, accept, certificate_records, enrol, fingerprint, make_request, read_request
from citychain.node.home import Home
from citychain.node.kinds import RecordRejected
from citychain.node.node import Node
from citychain.node.tls import init_city_ca
from citychain.node.trust import CERT_ISSUED, CERT_REVOKED
from citychain.pki.ca import (
    cert_fingerprint,
    create_root_ca,
    issue_tls_cert,
    load_cert,
    read_sealed_public_key,
    save_cert,
)
from democity import samples, spec
from ui.kiosk.backend_remote import RemoteBackend as KioskBackend

CITY, ROOT_AGENCY, PASSPHRASE, ADMIN_PASSWORD = "hz", "city-root", "pp-revocation-2026", "admin-revocation-2026"
PASS_FILE = "passphrase.txt"
LICENCE = "certificate:business-licence"  # every agency here may issue business licences
USCC = next(a.uscc for a in spec.AGENCIES if a.id == "market-regulation")
TLS = {"CITYCHAIN_TEST_TLS": "1"}


def _home(path: Path, agency: str, root_keys=()) -> None:
    Node.create(path, CITY, agency, ROOT_AGENCY, root_keys, PASSPHRASE, CHEAP_KDF, passphrase_file=PASS_FILE)
    (path / PASS_FILE).write_text(PASSPHRASE + "\n", encoding="utf-8")


def _open(path: Path, plugins=(), clock=None) -> Node:
    return Node.open(path, plugins, clock=clock, argon2=FAST_ARGON2)


def _enrol(root: Path, base: Path, agency: str, root_key: bytes) -> tuple[Path, int]:
    """An agency home enrolled by files, as `node enrol-request`, `city enrol`
    and `node enrol-accept` do it; its node will serve on the returned port."""
    home, port = base / agency, free_port()
    _home(home, agency, (root_key,))
    data = make_request(Home(home), f"https://127.0.0.1:{port}", ["127.0.0.1"], agency, agency.title(), USCC, CHEAP_KDF)
    with _open(root) as node:
        admin = node.users.authenticate("admin", ADMIN_PASSWORD)
        response = enrol(node, admin, read_request(data, fingerprint(data)), [LICENCE], {}, datetime.now(UTC))
    with _open(home) as node:
        accept(node, response, datetime.now(UTC))
    return home, port


def _refresh_trust(root: Path, *homes: Path) -> None:
    """Hand the root's newest trust log to other homes (as `trust export` / `trust import`)."""
    with _open(root) as node:
        bundle = export_bundle(node.store, CITY, ROOT_AGENCY, node.config.root_keys)
    for home in homes:
        with _open(home) as node:
            node.import_trust_bundle(bundle)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A root with the city CA (no node of its own) and five agencies enrolled
    by files: water (honest), parks (its TLS certificate will be revoked),
    forger (serving a certificate from another CA), client (syncs with them),
    seals (prints sealed licences)."""
    base = tmp_path_factory.mktemp("revocation")
    root = base / ROOT_AGENCY
    _home(root, ROOT_AGENCY)
    with _open(root) as node:
        node.users.add_user(None, "admin", "admin", ADMIN_PASSWORD, display_name="admin")
        node.bootstrap_trust_log("杭州市信任根", "Hangzhou root")
        root_key = node.signer.public_raw
    init_city_ca(Home(root), "杭州", "Hangzhou", datetime.now(UTC), PASSPHRASE, CHEAP_KDF)
    homes, ports = {}, {}
    for agency in ("water", "parks", "forger", "client", "seals"):
        homes[agency], ports[agency] = _enrol(root, base, agency, root_key)
    return {"base": base, "root": root, "homes": homes, "ports": ports}


def test_enrolment_records_the_city_ca_and_both_certificates(city):
    water = Home(city["homes"]["water"])
    with _open(city["root"]) as node:
        trust = node.trust
        assert trust.ca_fingerprint == cert_fingerprint(load_cert(Home(city["root"]).ca_dir / "ca.crt"))
        issued = {c.use: c for c in trust.agency("water").certificates}
    assert issued["tls"].fingerprint == cert_fingerprint(load_cert(water.tls_cert_path))
    assert issued["seal"].fingerprint == cert_fingerprint(load_cert(water.seal_cert_path))
    assert issued["tls"].revoked_from is None and issued["tls"].not_after > format_time(datetime.now(UTC))


def test_the_trust_log_refuses_a_certificate_recorded_twice_or_revoked_for_another_agency(city):
    with _open(city["root"]) as node:
        admin = node.users.authenticate("admin", ADMIN_PASSWORD)
        tls = node.trust.agency("water").certificates[0]
        size = node.trust.size
        twice = {"agency": "parks", "use": "tls", "fingerprint": tls.fingerprint, "not_after": tls.not_after}
        with pytest.raises(RecordRejected) as again:
            node.append(admin, [(CERT_ISSUED, twice)])
        assert again.value.code == "DUPLICATE"
        elsewhere = {"agency": "parks", "fingerprint": tls.fingerprint, "from": tls.not_after, "reason": "test"}
        with pytest.raises(RecordRejected) as foreign:
            node.append(admin, [(CERT_REVOKED, elsewhere)])
        assert foreign.value.code == "UNKNOWN_CERT" and "not issued to parks" in foreign.value.message_en
        assert node.trust.size == size


def _revoke(root: Path, agency: str, fp: str, since: str):
    return cli(
        "trust", "revoke-cert", "--home", str(root), "--user", "admin", "--agency", agency,
        "--fingerprint", fp, "--since", since, "--reason", "key copied / 密钥外泄", password=ADMIN_PASSWORD,
    )  # fmt: skip


@pytest.fixture(scope="module")
def parks_revoked(city):
    """The parks bureau's TLS certificate revoked at the root by `trust
    revoke-cert` (fingerprint spelled as `openssl x509 -fingerprint` prints
    it), and the client's trust log brought up to date."""
    parks_tls = cert_fingerprint(load_cert(Home(city["homes"]["parks"]).tls_cert_path))
    since = format_time(datetime.now(UTC) - timedelta(minutes=1))
    colons = ":".join(parks_tls[i : i + 2] for i in range(0, 64, 2)).upper()
    done = _revoke(city["root"], "parks", colons, since)
    _refresh_trust(city["root"], city["homes"]["client"])
    return {"done": done, "fingerprint": parks_tls, "since": since}


def test_revoke_cert_by_the_command_line(city, parks_revoked):
    done, parks_tls, since = parks_revoked["done"], parks_revoked["fingerprint"], parks_revoked["since"]
    assert done.returncode == 0, done.stderr
    assert "trust.cert.revoked: parks" in done.stdout
    again = _revoke(city["root"], "parks", parks_tls, since)
    assert again.returncode == 2 and "already revoked" in again.stderr
    shown = cli("trust", "show", "--home", str(city["root"])).stdout
    assert f"tls certificate {parks_tls}: until" in shown and f"revoked from {since}: key copied" in shown


def _other_ca_certificate(city) -> Path:
    """The forger's own key, certified by a CA of another city for the same host."""
    base, forger = city["base"], Home(city["homes"]["forger"])
    now = datetime.now(UTC)
    other = create_root_ca(base / "other-ca", "elsewhere", "别处", "Elsewhere", "pp-other", CHEAP_KDF, now)
    cert = issue_tls_cert(other.cert_path.parent, "pp-other", "forger", ["127.0.0.1"], _public(forger), now)
    save_cert(forger.tls_cert_path, cert)
    shutil.copyfile(other.cert_path, forger.city_ca_path)  # so the test's own readiness probe trusts it
    return other.cert_path


def _public(home: Home):
    return read_sealed_public_key(home.tls_key_path)


def test_a_node_refuses_a_revoked_or_foreign_tls_certificate_and_syncs_from_an_honest_one(city, parks_revoked):
    homes, ports = city["homes"], city["ports"]
    for agency in ("water", "parks"):  # a record `main.py sync` knows the kind of
        with _open(homes[agency], (CERTIFICATES,)) as node:
            CertificateDesk(node).issue(None, "business-licence", samples.SAMPLES["business-licence"])
    _other_ca_certificate(city)
    nodes = [NodeProcess(homes[a], ports[a], env=TLS).start(wait=False) for a in ("water", "parks", "forger")]
    try:
        for node in nodes:
            node.wait_ready()
        water, parks, forger = (node.url for node in nodes)
        city_ca = str(Home(homes["client"]).city_ca_path)
        plain = PeerClient(parks, city_ca)  # parks itself serves well: only the trust log refuses it
        try:
            assert "parks" in {log["agency"] for log in plain.logs()}
        finally:
            plain.close()

        done = cli("sync", "--home", str(homes["client"]))
        lines = done.stdout.splitlines()
        assert done.returncode == 1, done.stdout + done.stderr
        refused = next(line for line in lines if line.startswith(f"{parks}: "))
        assert "CERT_REVOKED" in refused and "吊销" in refused and "the trust log revokes" in refused
        foreign = next(line for line in lines if line.startswith(f"{forger}: "))
        assert ": TLS: " in foreign and "根证书" in foreign and "not issued by the city root CA" in foreign
        assert [line for line in lines if line.startswith(f"{parks}: ")] == [refused]  # nothing taken from it
        assert f"{water}: water 0 → 1" in lines, lines  # the honest peer's log came in over TLS
        with _open(homes["client"], (CERTIFICATES,)) as client:
            assert client.store.head("water").size == 1
    finally:
        for node in nodes:
            node.stop()


def test_a_revoked_certificate_is_refused_before_the_request_is_sent(city, parks_revoked):
    """At the connection: `sent` is False, so no write could have reached the server."""
    parks = city["homes"]["parks"]
    node = NodeProcess(parks, city["ports"]["parks"], env=TLS).start()
    try:
        with _open(city["homes"]["client"]) as client:
            revoked = lambda fp: client.trust.revoked_cert(fp, format_time(datetime.now(UTC)))  # noqa: E731
            peer = PeerClient(node.url, str(client.home.city_ca_path), revoked=revoked)
            try:
                with pytest.raises(PeerError) as caught:
                    peer.add_checkpoint("not even read")
            finally:
                peer.close()
        assert caught.value.code == "CERT_REVOKED" and caught.value.sent is False
        assert "parks" in caught.value.message_en and "吊销" in caught.value.message_zh
    finally:
        node.stop()


def test_verifiers_and_kiosks_refuse_a_node_whose_certificate_their_bundle_revokes(city, parks_revoked, tmp_path):
    """Not only nodes: `verify --node`'s status source and a kiosk asking a
    node take the revocation from their own trust bundle."""
    with _open(city["homes"]["client"]) as client:
        bundle = tmp_path / "trust.json"
        write_bundle(bundle, export_bundle(client.store, CITY, ROOT_AGENCY, client.config.root_keys))
        ca = str(client.home.city_ca_path)
    config = VerifierConfig.from_bundle(bundle)
    node = NodeProcess(city["homes"]["parks"], city["ports"]["parks"], env=TLS).start()
    try:
        status = NodeStatus(node.url, ca, revoked=config.trust.revoked_now(SystemClock()))
        with pytest.raises(PeerError) as caught:
            status.report("parks", "1.2.156.3005.2.x", 1)
        assert caught.value.code == "CERT_REVOKED" and caught.value.sent is False
        kiosk = KioskBackend(bundle, node.url, ca, timeout=2)
        with pytest.raises(BilingualError) as refused:
            kiosk.funds()
        # A citizen is told the node cannot be reached; the operator's detail says why.
        assert "连不上" in refused.value.message_zh and "the trust log revokes" in refused.value.message_en
        unchecked = NodeStatus(node.url, ca)  # the same node, asked without a trust log, answers
        assert unchecked.http.request("GET", "/v1/status").status == 200
    finally:
        node.stop()


def test_a_seal_revoked_later_still_verifies_one_sealed_after_does_not(city):
    """The seal's certificate is revoked from T: a licence whose ledger record
    is before T stays VALID; one recorded after T is KEY_REVOKED, even when its
    seal claims a signing time before T (a stolen key can backdate that)."""
    home = city["homes"]["seals"]
    start = datetime.now(UTC) + timedelta(minutes=5)
    revoked_from = start + timedelta(hours=1)
    clock = FakeClock(start)
    form = samples.SAMPLES["business-licence"]
    with _open(home, (CERTIFICATES,), clock) as node:
        desk = CertificateDesk(node)
        before = desk.pdf(desk.issue(None, "business-licence", form).cert_id)
        seal_fp = cert_fingerprint(desk.seal.cert)
    with _open(city["root"]) as root:
        admin = root.users.authenticate("admin", ADMIN_PASSWORD)
        body = {"agency": "seals", "fingerprint": seal_fp, "from": format_time(revoked_from), "reason": "stolen"}
        root.append(admin, [(CERT_REVOKED, body)])
    _refresh_trust(city["root"], home)
    clock.advance(hours=2)
    with _open(home, (CERTIFICATES,), clock) as node:
        desk = CertificateDesk(node)
        cert_id = desk.issue(None, "business-licence", form).cert_id
        after = desk.pdf(cert_id)
        clock.current = start  # the seal's signing time is the signer's word: set it before T
        backdated = desk.pdf(cert_id)
        clock.advance(hours=2)

    verifier = Verifier(VerifierConfig.from_home(home), None, clock)
    assert verifier.pdf(before).code == "VALID"
    assert _seal_time(backdated) < revoked_from < _seal_time(after)
    for pdf in (after, backdated):
        verdict = verifier.pdf(pdf)
        assert verdict.code == "KEY_REVOKED", verdict.detail_en
        assert format_time(revoked_from) in verdict.detail_en and "吊销" in verdict.detail_zh


def _seal_time(pdf: bytes) -> datetime:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(BytesIO(pdf)).embedded_signatures[0].self_reported_timestamp


def test_the_city_ca_is_the_one_the_trust_log_names(city, tmp_path):
    """A bundle's `city_ca` field is unsigned: a kiosk refuses one the trust
    log contradicts, and the root will not certify under another CA than the
    one its log names."""
    root = Home(city["root"])
    other = create_root_ca(tmp_path / "ca", "elsewhere", "别处", "Elsewhere", "pp-other", CHEAP_KDF, datetime.now(UTC))
    with _open(root.path) as node:
        bundle = export_bundle(node.store, CITY, ROOT_AGENCY, node.config.root_keys)
        trust = node.trust.copy()
    for pem, fine in ((root.ca_dir / "ca.crt", True), (other.cert_path, False)):
        write_bundle(tmp_path / "bundle.json", replace(bundle, city_ca_pem=pem.read_text("ascii")))
        if fine:
            assert VerifierConfig.from_bundle(tmp_path / "bundle.json").ca_cert is not None
        else:
            with pytest.raises(BundleError, match="not the one its trust log names"):
                VerifierConfig.from_bundle(tmp_path / "bundle.json")
    water = Home(city["homes"]["water"])
    trust.ca_fingerprint = cert_fingerprint(load_cert(other.cert_path))
    with pytest.raises(EnrolError, match="another city CA"):
        certificate_records(
            trust,
            "water",
            load_cert(water.tls_cert_path),
            load_cert(water.seal_cert_path),
            load_cert(root.ca_dir / "ca.crt"),
        )

"""A whole 国密 city, as people use it (issue 17): `city demo --suite sm2-sm3`,
then issue → sealed PDF → verify from the PDF, the QR text and a page image →
revoke → REVOKED; a donation traced; every log checks; and the attacks that
would mix the suites refused. The one end-to-end SM path CI runs (the rest of
the suite runs in the Ed25519 city)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pypdfium2
import pytest
import requests
from conftest import quiet_demo_city
from nodes import NodeProcess, free_port, wait_for
from test_cli import cli

from certificates.kinds import PLUGIN as CERTIFICATES
from certificates.payload import open_qr_payload
from certificates.qr_text import FRAMING, decode_qr_text
from certificates.verify import qr_from_image
from charity.kinds import PLUGIN as CHARITY_PLUGIN
from citychain.clock import format_time
from citychain.documents.qr_text import QrTextError
from citychain.log.keys import Signer, load_key
from citychain.log.records import Record, make_leaf, parse_leaf
from citychain.log.suite import ED25519_SHA256, SM2_SM3
from citychain.node.home import Home
from citychain.node.kinds import RecordRejected
from citychain.node.node import Node
from citychain.node.trust import REGISTERED, TrustError, key_json
from democity import samples, spec

CIVIL, MARKET, CHARITY = "civil-affairs", "market-regulation", "charity-federation"
PLUGINS = (CERTIFICATES, CHARITY_PLUGIN)
PERMIT = {
    "holder_name": "欧阳秀英",
    "holder_id": samples.resident_id("11010519491231002"),
    "sex": "female",
    "address": "示范市上城区解放路 8 号",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sm") / "city"
    made = cli("city", "demo", str(path), "--cheap-keys", "--suite", "sm2-sm3")
    assert made.returncode == 0, made.stderr
    return path


def verify(*args: str) -> dict:
    done = cli("verify", *args, "--json")
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def test_the_city_is_sm_from_its_trust_log_to_its_files(city):
    home = Home(city / CIVIL)
    assert home.config().suite is SM2_SM3
    key = json.loads(home.key_path.read_text())
    assert key["suite"] == "sm2-sm3" and key["cipher"]["name"] == "SM4-GCM"
    assert len(load_key(home.key_path, spec.PASSPHRASE).public_raw) == 65
    for sealed in (home.path / "private" / "store.key", home.tls_key_path, home.seal_key_path):
        assert json.loads(sealed.read_text())["cipher"]["name"] == "SM4-GCM", sealed  # private data, TLS, seal keys
    with sqlite3.connect(city / CIVIL / "ledger.sqlite") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='suite'").fetchone() == ("sm2-sm3",)
        genesis = conn.execute("SELECT leaf FROM entries e JOIN logs l ON e.log = l.id WHERE l.agency='city-root'")
        assert json.loads(genesis.fetchone()[0])["record"]["body"]["suite"] == "sm2-sm3"  # a signed fact
    assert json.loads((city / "trust-bundle.json").read_text())["suite"] == "sm2-sm3"
    checked = cli("log", "check", "--home", str(city / CIVIL))
    assert checked.returncode == 0 and "all logs verify" in checked.stdout, checked.stdout + checked.stderr


def test_issue_verify_three_ways_revoke_and_trace(city, tmp_path):
    pdf = tmp_path / "permit.pdf"
    fields = [a for k, v in PERMIT.items() for a in ("--field", f"{k}={v}")]
    home = str(city / "public-security")
    issued = cli("issue", "--home", home, "--user", "clerk", "--type", "residence-permit", *fields, "--pdf", str(pdf),
                 password=spec.PASSWORDS["clerk"])  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    cert_id = issued.stdout.strip()

    by_pdf = verify(str(pdf), "--home", home)
    assert by_pdf["verdict"] == "VALID", by_pdf
    page = pypdfium2.PdfDocument(pdf.read_bytes())[0]
    text = page.get_textpage().get_text_range()
    assert "欧阳秀英" in text and "居住证" in text  # CJK on the page
    image = tmp_path / "page.png"
    page.render(scale=200 / 72).to_pil().save(image)
    by_image = verify("--image", str(image), "--home", home)
    assert by_image["verdict"] == "VALID" and by_image["source"] == "image", by_image
    code, _ = qr_from_image(image.read_bytes())
    assert code.startswith("TCS:")  # the SM city's prefix; TC2 codes stay as printed
    assert open_qr_payload(decode_qr_text(code, SM2_SM3)).leaf.record.body["id"] == cert_id
    assert verify("--qr", code, "--home", home)["verdict"] == "VALID"

    revoked = cli("revoke", "--home", home, "--user", "supervisor", cert_id, "--reason", "测试 / test",
                  password=spec.PASSWORDS["supervisor"])  # fmt: skip
    assert revoked.returncode == 0, revoked.stderr
    assert verify(str(pdf), "--home", home)["verdict"] == "REVOKED"
    assert verify("--qr", code, "--home", home)["verdict"] == "REVOKED"

    traced = cli("charity", "trace", "D-00000011-V", "--home", str(city / CHARITY), "--json")
    assert traced.returncode == 0, traced.stderr
    report = json.loads(traced.stdout)
    assert report["amount_fen"] == 270000 and report.get("steps")
    receipt = verify(str(city / "samples" / "donation-receipt-D-00000011-V.pdf"), "--home", str(city / CHARITY))
    assert receipt["verdict"] == "VALID", receipt


def test_an_sm_code_is_refused_under_an_ed25519_trust_and_old_codes_keep_their_prefix(city):
    code = (city / "samples" / "business-licence-VALID.qr.txt").read_text().strip()
    assert code.startswith("TCS:")
    with pytest.raises(QrTextError) as refused:
        decode_qr_text(code, ED25519_SHA256)
    assert refused.value.code == "OTHER_SUITE" and "SM2" in refused.value.message_en
    tc2 = FRAMING.encode(decode_qr_text(code, SM2_SM3))  # the same payload framed as an Ed25519 city prints it
    assert tc2.startswith("TC2:") and tc2[4:] == code[4:]
    assert verify("--qr", tc2, "--home", str(city / MARKET))["verdict"] == "MALFORMED"  # no downgrade by relabelling


def test_a_verifier_trusting_an_ed25519_city_and_an_sm_city_verifies_both(city, tmp_path):
    ed_city = quiet_demo_city(tmp_path / "ed25519-city")
    ed_bundle, sm_bundle = str(ed_city.path / "trust-bundle.json"), str(city / "trust-bundle.json")
    sm_pdf = str(city / "samples" / "business-licence-VALID.pdf")
    assert verify(sm_pdf, "--trust", ed_bundle)["verdict"] == "UNKNOWN_ISSUER"  # that city never issued it
    both = verify(sm_pdf, "--trust", ed_bundle, "--trust", sm_bundle)
    assert both["verdict"] == "VALID" and both["source"] == "pdf", both
    code = (city / "samples" / "business-licence-VALID.qr.txt").read_text().strip()
    assert verify("--qr", code, "--trust", sm_bundle, "--trust", ed_bundle)["verdict"] == "VALID"
    only_ed = verify("--qr", code, "--trust", ed_bundle)
    assert only_ed["verdict"] == "MALFORMED" and "国密" in only_ed["detail_zh"] + only_ed["detail_en"]

    from ui.kiosk import config as kiosk_config
    from ui.kiosk.app import other_cities
    from ui.kiosk.backend_remote import RemoteBackend

    kiosk = RemoteBackend(Path(ed_bundle), None, None, max_age_s=3600)  # a kiosk of the Ed25519 city, offline
    assert kiosk.verify_qr(code).code == "MALFORMED"
    settings = tmp_path / "kiosk.toml"
    settings.write_text(f"other_cities = [{json.dumps(sm_bundle)}]\n", encoding="utf-8")
    kiosk.other_cities = other_cities(kiosk_config.load(settings))
    assert kiosk.verify_qr(code).code == "VALID"


def test_an_ed25519_record_in_the_sm_log_is_refused_by_a_mirror(city):
    with Node.open(city / MARKET, PLUGINS, write=False) as market:
        head = market.store.head(CIVIL)
        last = parse_leaf(market.store.leaves(head.id, head.size - 1, head.size)[0], market.store.hasher)
        record = Record(CIVIL, head.size, last.hash_hex, last.record.time, last.record.kind, last.record.body)
        forger = Signer.generate()  # an Ed25519 key, passed off under the agency's SM2 key id
        forged = make_leaf(record, Signer(forger.private_key, forger.public_key, last.kid))
        genuine_kind = market.kinds.get(record.kind).permission(record)
        market.trust.judge(last, market.kinds.get(last.record.kind).permission(last.record))  # the real one passes
        with pytest.raises(TrustError) as refused:  # what a mirror asks of every entry it takes in
            market.trust.judge(forged, genuine_kind)
        assert refused.value.code == "BAD_SIGNATURE"

    with Node.open(city / "city-root", PLUGINS) as root:  # an Ed25519 key cannot even be registered in this city
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        size = root.store.head("city-root").size
        body = {
            "agency": "mixed-agency", "name_zh": "混合", "name_en": "Mixed", "permissions": [],
            "keys": [key_json(forger.kid, forger.public_raw, format_time(root.clock.now()))],
        }  # fmt: skip
        with pytest.raises(RecordRejected) as mixed:
            root.append(admin, [(REGISTERED, body)])
        assert mixed.value.code == "SUITE_MISMATCH" and "mixed cities are refused" in mixed.value.message_en
        assert root.store.head("city-root").size == size


def test_sm_nodes_sync_over_http(city):
    """Real node processes of the SM city: a certificate issued over HTTP, and a
    mirror that catches up (SM2 records, SM3 tree, checked entry by entry)."""
    source = NodeProcess(city / "public-security", free_port()).start()
    mirror = NodeProcess(city / MARKET, free_port(), peers=[source.url])
    try:
        form = {**PERMIT, "holder_name": "司马光", "holder_id": samples.resident_id("11010519491231010")}
        issued = requests.post(
            source.url + "/v1/certificates",
            json={"type": "residence-permit", "form": form},
            headers={"Authorization": f"Bearer {source.login('clerk')}"},
            timeout=60,
        )
        assert issued.status_code == 201, issued.text
        want = source.size_of("public-security")
        mirror.start()
        wait_for(lambda: mirror.size_of("public-security") == want, timeout=60)
    finally:
        mirror.stop()
        source.stop()
    checked = cli("log", "check", "--home", str(city / MARKET))
    assert checked.returncode == 0 and "all logs verify" in checked.stdout, checked.stdout + checked.stderr


def test_an_sm_home_backs_up_and_restores(city, tmp_path):
    out = tmp_path / "backup"
    made = cli("node", "backup", "--home", str(city / "disabled-federation"), "--user", "admin", "--out", str(out),
               password=spec.PASSWORDS["admin"])  # fmt: skip
    assert made.returncode == 0, made.stderr
    restored = tmp_path / "restored"
    back = cli("node", "restore", "--from", str(out), "--home", str(restored), "--user", "admin",
               password=spec.PASSWORDS["admin"])  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert Home(restored).config().suite is SM2_SM3
    checked = cli("log", "check", "--home", str(restored))
    assert checked.returncode == 0 and "all logs verify" in checked.stdout, checked.stdout + checked.stderr

"""Certificates end to end: issue, change, print, verify — real homes, real PDFs,
real QR codes — and every verdict of docs/protocol.md §11 from a case that earns it."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest
from conftest import CHEAP_KDF, FAST_ARGON2

from certificates import kinds
from certificates.desk import CertificateDesk, DeskError
from certificates.fields import FieldErrors
from certificates.identifiers import CertificateId
from certificates.kinds import PLUGIN
from certificates.payload import open_qr_payload, qr_payload
from certificates.qr_text import decode_qr_text, encode_qr_text
from certificates.verify import (
    HomeStatus,
    NodeStatus,
    Verifier,
    VerifierConfig,
    qr_from_image,
)
from citychain.clock import FakeClock, SystemClock, format_time
from citychain.log.commitments import commit_all, new_seed
from citychain.log.keys import load_key
from citychain.log.records import Record, make_leaf
from citychain.node.node import Node
from citychain.node.trust import KEY_REVOKED
from democity import samples, spec
from democity.build import BUNDLE_FILE, create_demo_city

ROOT = Path(__file__).resolve().parent.parent
ISSUER_OF = {
    "business-licence": "market-regulation",
    "food-business-licence": "market-regulation",
    "residence-permit": "public-security",
    "marriage-certificate": "civil-affairs",
    "disability-certificate": "disabled-federation",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The demo city with its sample certificates (built once for this module)."""
    return create_demo_city(tmp_path_factory.mktemp("certs") / "city", (PLUGIN,), CHEAP_KDF, FAST_ARGON2)


def open_node(city, agency: str) -> Node:
    return Node.open(city.home(agency), (PLUGIN,), argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def verifier_at(city, agency: str, clock=None, online: bool = True, **kw) -> Verifier:
    clock = clock or SystemClock()
    source = HomeStatus(city.home(agency), clock) if online else None
    return Verifier(VerifierConfig.from_home(city.home(agency)), source, clock, **kw)


def bundle_verifier(city, clock=None) -> Verifier:
    return Verifier(VerifierConfig.from_bundle(city.path / BUNDLE_FILE), None, clock or SystemClock())


def sample(city, stem: str) -> tuple[bytes, str]:
    folder = city.path / "samples"
    return (folder / f"{stem}.pdf").read_bytes(), (folder / f"{stem}.qr.txt").read_text().strip()


def issuer(stem: str) -> str:
    return ISSUER_OF["-".join(stem.split("-")[:-1])]


def far_clock(days: int) -> FakeClock:
    return FakeClock(datetime.now(UTC) + timedelta(days=days))


# -- the samples and the verdicts a node gives ------------------------------------
def test_every_sample_gets_the_verdict_in_its_name_from_the_issuing_node(city):
    stems = sorted(p.stem for p in (city.path / "samples").glob("*.pdf"))
    assert {s.rsplit("-", 1)[0] for s in stems} == set(ISSUER_OF)
    assert {s.rsplit("-", 1)[1] for s in stems} >= {"VALID", "REVOKED", "SUSPENDED", "SUPERSEDED", "EXPIRED"}
    for stem in stems:
        pdf, qr = sample(city, stem)
        verifier = verifier_at(city, issuer(stem))
        expected = stem.rsplit("-", 1)[1]
        for verdict in (verifier.pdf(pdf), verifier.qr(qr)):
            assert verdict.code == expected, (stem, verdict.source, verdict.detail_en)
            assert verdict.status_checked or expected == "EXPIRED"


def test_the_verify_command_prints_json_and_exits_0_only_for_valid(city):
    def run(stem: str):
        args = [
            sys.executable,
            str(ROOT / "main.py"),
            "verify",
            str(city.path / "samples" / f"{stem}.pdf"),
            "--home",
            str(city.home(issuer(stem))),
            "--json",
        ]
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    valid, revoked = run("marriage-certificate-VALID"), run("marriage-certificate-REVOKED")
    assert valid.returncode == 0 and revoked.returncode == 1
    out = json.loads(valid.stdout)
    assert out["verdict"] == "VALID" and out["status_checked"] is True and out["status_as_of"]
    assert out["issuer"]["agency"] == "civil-affairs" and out["fields"]["holder_name"] == "张伟"
    assert json.loads(revoked.stdout)["verdict"] == "REVOKED"


def test_offline_verification_is_valid_but_says_revocation_was_not_checked(city):
    pdf, qr = sample(city, "marriage-certificate-REVOKED")
    for verdict in (bundle_verifier(city).pdf(pdf), bundle_verifier(city).qr(qr)):
        assert verdict.code == "VALID" and not verdict.status_checked
        assert "未能查询是否已被撤销" in verdict.sentence_zh and "revocation was not checked" in verdict.sentence_en


def test_the_pdf_discloses_every_field_and_the_qr_only_the_short_ones(city):
    pdf, qr = sample(city, "business-licence-VALID")
    from_pdf, from_qr = bundle_verifier(city).pdf(pdf), bundle_verifier(city).qr(qr)
    assert from_pdf.fields == {
        k: (int(v) if k == "registered_capital" else v) for k, v in samples.SAMPLES["business-licence"].items()
    }
    assert set(from_qr.hidden) == {"address", "scope"} and "scope" not in from_qr.fields
    assert from_qr.fields["company_name"] == samples.SAMPLES["business-licence"]["company_name"]


def test_qr_texts_of_licences_about_a_person_stay_within_700_characters(city):
    """A business licence's code is longer (each of its hidden fields is a 32-byte
    commitment): its PDF prints a bigger symbol, and the paper round trip below
    decodes it at 150 dpi."""
    for stem in ("marriage-certificate-VALID", "residence-permit-VALID", "disability-certificate-VALID"):
        assert len(sample(city, stem)[1]) <= 700, stem


def test_expired_and_not_yet_valid_follow_the_verifier_clock(city):
    pdf, qr = sample(city, "residence-permit-VALID")  # valid for one year
    assert bundle_verifier(city, far_clock(400)).qr(qr).code == "EXPIRED"
    assert bundle_verifier(city, far_clock(-2)).pdf(pdf).code == "NOT_YET_VALID"


def test_a_trust_root_that_is_not_the_verifiers_gives_unknown_issuer(city, tmp_path):
    other = create_demo_city(tmp_path / "other", (), CHEAP_KDF, FAST_ARGON2)
    foreign = Verifier(VerifierConfig.from_bundle(other.path / BUNDLE_FILE))
    pdf, qr = sample(city, "marriage-certificate-VALID")
    assert foreign.qr(qr).code == "UNKNOWN_ISSUER"
    assert foreign.pdf(pdf).code == "UNKNOWN_ISSUER"  # an intact seal, from the other city's CA


# -- forged and altered documents ---------------------------------------------------
def _disclosed(city, stem: str):
    return open_qr_payload(decode_qr_text(sample(city, stem)[1]))


def test_the_holders_name_from_another_certificate_is_tampered(city):
    mine = decode_qr_text(sample(city, "marriage-certificate-VALID")[1])
    theirs = decode_qr_text(sample(city, "marriage-certificate-REVOKED")[1])
    mine["record"]["body"]["commitments"]["holder_name"] = theirs["record"]["body"]["commitments"]["holder_name"]
    assert bundle_verifier(city).qr(encode_qr_text(mine)).code == "TAMPERED"


def _forge(city, signer_agency: str, record: Record, values: dict, seed: bytes) -> str:
    signer = load_key(Path(city.home(signer_agency)) / "keys" / "agency.key", spec.PASSPHRASE)
    leaf = make_leaf(record, signer)
    return encode_qr_text(qr_payload(leaf, seed, values, values))


def test_another_agencys_valid_key_is_tampered(city):
    leaf = _disclosed(city, "business-licence-VALID").leaf
    seed = new_seed()
    values = {"company_name": "冒名公司"}
    body = {**leaf.record.body, "commitments": {**leaf.record.body["commitments"], **commit_all(seed, values)}}
    record = Record(leaf.record.log, leaf.record.seq, leaf.record.prev, leaf.record.time, leaf.record.kind, body)
    verdict = bundle_verifier(city).qr(_forge(city, "civil-affairs", record, values, seed))
    assert verdict.code == "TAMPERED" and "civil-affairs" in verdict.detail_en


def test_an_agency_issuing_a_type_it_may_not_is_not_authorised(city):
    civil = next(a for a in spec.AGENCIES if a.id == "civil-affairs")
    seed, values = new_seed(), dict(samples.SAMPLES["business-licence"], registered_capital=100)
    body = {
        "id": str(CertificateId("11100", civil.uscc, "999999")),
        "type": "business-licence",
        "valid_from": "2026-01-01",
        "commitments": commit_all(seed, values),
    }
    record = Record("civil-affairs", 0, "0" * 64, format_time(datetime.now(UTC)), kinds.ISSUED, body)
    assert bundle_verifier(city).qr(_forge(city, "civil-affairs", record, values, seed)).code == "ISSUER_NOT_AUTHORISED"


def test_a_record_signed_but_not_in_the_ledger_is_not_in_ledger(city):
    leaf = _disclosed(city, "disability-certificate-VALID").leaf
    seed, values = new_seed(), dict(samples.SAMPLES["disability-certificate"])
    body = {**leaf.record.body, "commitments": commit_all(seed, values)}
    record = Record(leaf.record.log, leaf.record.seq, leaf.record.prev, leaf.record.time, leaf.record.kind, body)
    qr = _forge(city, "disabled-federation", record, values, seed)
    assert bundle_verifier(city).qr(qr).code == "VALID"  # offline, a signed record is all one can check
    assert verifier_at(city, "disabled-federation").qr(qr).code == "NOT_IN_LEDGER"


def test_a_revoked_key_gives_key_revoked(city, tmp_path):
    pdf, qr = sample(city, "food-business-licence-VALID")
    kid = _disclosed(city, "food-business-licence-VALID").leaf.kid
    with open_node(city, spec.ROOT) as root:
        root.append(
            sign_in(root, "admin"),
            [
                (
                    KEY_REVOKED,
                    {
                        "agency": "market-regulation",
                        "kid": kid,
                        "from": "2020-01-01T00:00:00.000Z",
                        "reason": "key stolen / 密钥被盗",
                    },
                )
            ],
        )
    verifier = Verifier(VerifierConfig.from_home(city.home(spec.ROOT)))
    assert verifier.qr(qr).code == "KEY_REVOKED"
    assert verifier.pdf(pdf).code == "KEY_REVOKED"


# -- status from a node ----------------------------------------------------------------
def test_revoked_after_printing_is_revoked(city, tmp_path):
    with open_node(city, "public-security") as node:
        desk = CertificateDesk(node)
        issued = desk.issue(sign_in(node, "clerk"), "residence-permit", samples.SAMPLES["residence-permit"])
        printed, qr = desk.pdf(issued.cert_id), desk.qr_text(issued.cert_id)
        assert verifier_at(city, "public-security").pdf(printed).code == "VALID"
        desk.change(sign_in(node, "supervisor"), kinds.REVOKED, issued.cert_id, "迁出本市 / moved away")
        reprint = desk.pdf(issued.cert_id)
    verifier = verifier_at(city, "public-security")
    assert verifier.pdf(printed).code == verifier.qr(qr).code == verifier.pdf(reprint).code == "REVOKED"
    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(reprint))
    assert "作废" in text and "REVOKED" in text  # never printed as if valid


def test_a_mirror_that_is_behind_or_stale_says_status_unknown_never_valid(city):
    pdf, qr = sample(city, "marriage-certificate-VALID")
    mirror = verifier_at(city, "market-regulation")  # holds civil affairs' log as of the demo's mesh
    verdict = mirror.pdf(pdf)
    assert verdict.code == "VALID", verdict.detail_en  # fresh and co-signed by the demo's witnesses
    stale = verifier_at(city, "market-regulation", clock=far_clock(1))
    verdict = stale.qr(qr)
    assert verdict.code == "STATUS_UNKNOWN" and verdict.status_as_of and "Status as of" in verdict.sentence_en


def test_a_forked_log_gives_log_forked(city, tmp_path):
    import shutil

    copy = tmp_path / "mirror"
    shutil.copytree(city.home("public-security"), copy)
    with sqlite3.connect(copy / "ledger.sqlite") as conn:
        conn.execute("UPDATE logs SET status = 'forked' WHERE agency = 'civil-affairs'")
    verifier = Verifier(VerifierConfig.from_home(copy), HomeStatus(copy, SystemClock()))
    assert verifier.qr(sample(city, "marriage-certificate-VALID")[1]).code == "LOG_FORKED"


def test_an_unreachable_node_gives_status_unknown(city):
    verifier = bundle_verifier(city)
    verifier.source = NodeStatus("http://127.0.0.1:9", timeout=0.5)
    pdf, _ = sample(city, "marriage-certificate-REVOKED")
    verdict = verifier.pdf(pdf)
    assert verdict.code == "STATUS_UNKNOWN" and "reached" in verdict.detail_en


def test_a_running_node_answers_status_over_http(city, tmp_path):
    import shutil

    from nodes import NodeProcess, free_port

    home = tmp_path / "civil-affairs"
    shutil.copytree(city.home("civil-affairs"), home)
    node = NodeProcess(home, free_port()).start()
    try:
        verifier = bundle_verifier(city)
        verifier.source = NodeStatus(node.url)
        assert verifier.pdf(sample(city, "marriage-certificate-VALID")[0]).code == "VALID"
        assert verifier.qr(sample(city, "marriage-certificate-REVOKED")[1]).code == "REVOKED"
    finally:
        node.stop()


# -- the counter: roles, bad input, deletion ------------------------------------------
def test_invalid_input_gives_field_messages_and_writes_nothing(city):
    with open_node(city, "civil-affairs") as node:
        desk, clerk = CertificateDesk(node), sign_in(node, "clerk")
        size = node.store.head("civil-affairs").size
        bad = dict(samples.SAMPLES["marriage-certificate"], holder_id="330106199001011234", spouse_name="")
        with pytest.raises(FieldErrors) as caught:
            desk.issue(clerk, "marriage-certificate", bad, "2026-05-01", "2026-04-01")
        problems = caught.value.by_field()
        assert set(problems) == {"holder_id", "spouse_name", "valid_until"}
        assert "校验位" in problems["holder_id"].message_zh and "check digit" in problems["holder_id"].message_en
        assert node.store.head("civil-affairs").size == size


def test_a_clerk_cannot_revoke_in_the_desk_or_the_cli(city):
    _, qr = sample(city, "residence-permit-VALID")
    cert_id = open_qr_payload(decode_qr_text(qr)).leaf.record.body["id"]
    with open_node(city, "public-security") as node:
        with pytest.raises(Exception, match="permission denied"):
            CertificateDesk(node).change(sign_in(node, "clerk"), kinds.REVOKED, cert_id, "no")
    env = {**os.environ, "CITYCHAIN_PASSWORD": spec.PASSWORDS["clerk"]}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "revoke",
            "--home",
            str(city.home("public-security")),
            "--user",
            "clerk",
            cert_id,
            "--reason",
            "no",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2 and "permission denied" in result.stderr
    assert verifier_at(city, "public-security").qr(qr).code == "VALID"


def test_the_cli_issues_with_a_pdf_that_verifies(city, tmp_path):
    env = {**os.environ, "CITYCHAIN_PASSWORD": spec.PASSWORDS["clerk"]}
    fields = [a for k, v in samples.SAMPLES["disability-certificate"].items() for a in ("--field", f"{k}={v}")]
    out = tmp_path / "d.pdf"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "issue",
            "--home",
            str(city.home("disabled-federation")),
            "--user",
            "clerk",
            "--type",
            "disability-certificate",
            *fields,
            "--pdf",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    verdict = verifier_at(city, "disabled-federation").pdf(out.read_bytes())
    assert verdict.code == "VALID" and verdict.cert_id == result.stdout.strip()


def test_a_deletion_request_erases_the_seed_and_stops_reprints(city):
    with open_node(city, "civil-affairs") as node:
        desk = CertificateDesk(node)
        issued = desk.issue(sign_in(node, "clerk"), "marriage-certificate", samples.SAMPLES["marriage-certificate"])
        with pytest.raises(Exception, match="permission denied"):
            desk.erase(sign_in(node, "clerk"), issued.cert_id)
        assert desk.erase(sign_in(node, "supervisor"), issued.cert_id)
        with pytest.raises(DeskError, match="erased"):
            desk.pdf(issued.cert_id)
        assert node.private().get("certificate", issued.cert_id) is None
    raw = (Path(city.home("civil-affairs")) / "private" / "store.sqlite").read_bytes()
    assert issued.seed not in raw


def test_private_values_are_encrypted_at_rest(city):
    folder = Path(city.home("civil-affairs")) / "private"
    raw = b"".join(p.read_bytes() for p in folder.iterdir())
    assert "张伟".encode() not in raw and samples.SAMPLES["marriage-certificate"]["holder_id"].encode() not in raw


# -- mutations and paper ------------------------------------------------------------
QR_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def test_2000_single_character_changes_of_qr_texts_never_verify(city):
    rng = random.Random(4)
    texts = [sample(city, f"{t}-VALID")[1] for t in ISSUER_OF]
    verifier = bundle_verifier(city)
    codes = set()
    for i in range(2000):
        text = texts[i % len(texts)]
        at = rng.randrange(len(text))
        changed = text[:at] + rng.choice(QR_ALPHABET.replace(text[at], "")) + text[at + 1 :]
        verdict = verifier.qr(changed)
        assert verdict.code in ("TAMPERED", "MALFORMED"), (at, verdict.code)
        assert verdict.detail_en or verdict.code == "TAMPERED"
        codes.add(verdict.code)
    assert "MALFORMED" in codes  # zlib's checksum catches most changes of the text itself


def test_changes_inside_the_signed_payload_are_tampered(city):
    """Below the compression: change one character of the payload's JSON and re-encode."""
    from citychain.log.canonical import CanonicalError, canonical, parse_canonical

    rng = random.Random(6)
    payloads = [canonical(decode_qr_text(sample(city, f"{t}-VALID")[1])).decode() for t in ISSUER_OF]
    verifier = bundle_verifier(city)
    tampered = 0
    for i in range(500):
        text = payloads[i % len(payloads)]
        at = rng.randrange(len(text))
        changed = text[:at] + rng.choice('0123456789abcdefXYZ张李"":,{}'.replace(text[at], "")) + text[at + 1 :]
        try:
            value = parse_canonical(changed.encode())
        except CanonicalError:
            continue
        verdict = verifier.qr(encode_qr_text(value))
        assert verdict.code in ("TAMPERED", "MALFORMED"), (at, changed[max(0, at - 20) : at + 20], verdict.code)
        tampered += verdict.code == "TAMPERED"
    assert tampered > 100


def _signature_padding(pdf: bytes) -> range:
    """The zero padding inside the signature's /Contents hex string."""
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    used = len(pdf[start:end].rstrip(b"0"))
    return range(start + used + 8, end)  # a few zeros may belong to the DER itself


def test_500_random_byte_changes_of_a_pdf_never_verify(city):
    pdf, _ = sample(city, "business-licence-VALID")
    padding = _signature_padding(pdf)
    verifier = bundle_verifier(city)
    rng = random.Random(5)
    done = 0
    while done < 500:
        at = rng.randrange(len(pdf))
        if at in padding:
            continue
        changed = bytearray(pdf)
        changed[at] = (changed[at] + rng.randrange(1, 256)) % 256
        verdict = verifier.pdf(bytes(changed))
        assert verdict.code in ("TAMPERED", "MALFORMED"), (at, verdict.code, verdict.detail_en)
        assert verdict.detail_en
        done += 1


def test_a_signature_block_re_encoded_with_the_same_meaning_is_tampered(city):
    """Nothing signs the signature block itself: another encoding of the same
    CMS (certificates in another order, a length spelt long) must not verify."""
    from asn1crypto import cms

    pdf, _ = sample(city, "business-licence-VALID")
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    der = cms.ContentInfo.load(bytes.fromhex(pdf[start:end].decode())).dump()

    def with_block(block: bytes) -> bytes:
        text = block.hex().upper().encode().ljust(end - start, b"0")
        assert len(text) == end - start
        return pdf[:start] + text + pdf[end:]

    certs = [c.dump() for c in cms.ContentInfo.load(der)["content"]["certificates"]]
    assert der[:2] == b"\x30\x82"  # a SEQUENCE with a two-byte length
    variants = {
        "certificates swapped": der.replace(certs[0] + certs[1], certs[1] + certs[0]),
        "outer length in three bytes": b"\x30\x83\x00" + der[2:],
    }
    verifier = bundle_verifier(city)
    assert verifier.pdf(with_block(der)).code == "VALID"  # the same block, written back as it was
    for name, block in variants.items():
        assert block != der and cms.ContentInfo.load(block).dump(force=True) == der, name  # same meaning
        verdict = verifier.pdf(with_block(block))
        assert verdict.code == "TAMPERED" and "altered" in verdict.detail_en, (name, verdict.code, verdict.detail_en)


def test_truncated_and_hostile_files_are_malformed(city):
    pdf, _ = sample(city, "business-licence-VALID")
    verifier = bundle_verifier(city)
    for data in (pdf[: len(pdf) // 2], b"", b"%PDF-1.7\n" + b"\x00" * 1000, b"not a pdf"):
        assert verifier.pdf(data).code in ("MALFORMED", "TAMPERED")
    assert verifier.image(b"\x89PNG\r\n\x1a\n broken").code == "MALFORMED"


def test_paper_round_trip_at_150_dpi_verifies(city):
    for stem in ("marriage-certificate-VALID", "business-licence-VALID"):
        pdf, qr = sample(city, stem)
        image = pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
        import io

        png = io.BytesIO()
        image.save(png, format="PNG")
        assert qr_from_image(png.getvalue())[0] == qr
        assert verifier_at(city, issuer(stem)).image(png.getvalue()).code == "VALID"


def test_the_qr_vector_in_the_protocol_document():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from citychain.log.keys import Signer

    doc = (ROOT / "docs" / "protocol.md").read_text("utf-8")
    section = doc[doc.index("## 11.") :]
    signer = Signer.from_private(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    seed = bytes(range(16))
    values = {
        "holder_name": "张三",
        "holder_id": "11010519491231002X",
        "spouse_name": "李四",
        "spouse_id": "11010519491231002X",
        "registered_on": "2026-02-14",
    }
    body = {
        "commitments": commit_all(seed, values),
        "id": "1.2.156.3005.2.31100.11330100MB00000030.000001.001.0",
        "type": "marriage-certificate",
        "valid_from": "2026-03-01",
    }
    leaf = make_leaf(Record("civil-affairs", 0, "0" * 64, "2026-03-01T08:00:00.000Z", kinds.ISSUED, body), signer)
    text = encode_qr_text(qr_payload(leaf, seed, values, values))
    assert f"\n    {text}\n" in section and leaf.hash_hex in section
    assert open_qr_payload(decode_qr_text(text)).leaf.data == leaf.data

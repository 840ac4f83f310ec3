"""Ledger proofs as C2SP tlog-proof files in certificate and receipt PDFs
(docs/protocol.md §11, *Ledger proof file*; issue 15, item 5).

The `extra` line of a `.tlog-proof` is not authenticated by the format, so
each check here seals the files it builds with the agency's own seal: a
verdict other than VALID then comes from the proof, never from a broken seal.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
import zxingcpp
from conftest import CHEAP_KDF, FAST_ARGON2, ROOT, quiet_demo_city
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.pdfgen.canvas import Canvas
from test_records import LEAF as VECTOR_LEAF

from certificates import payload as cert_payload
from certificates.desk import CertificateDesk
from certificates.kinds import PLUGIN as CERT_PLUGIN
from certificates.verify import Verifier
from charity import bodies as b
from charity import receipt_payload
from charity.kinds import PLUGIN as CHARITY_PLUGIN
from charity.privacy import DONOR, new_seed, person_commitment
from charity.receipt_pdf import receipt_pdf, receipt_proof, receipt_qr_text, seal_identity
from charity.receipts import make_receipt
from charity.verify import ReceiptVerifier
from citychain.clock import FakeClock
from citychain.documents import pades
from citychain.documents.checks import VerifierConfig
from citychain.documents.pades import OpenedPdf, open_sealed_pdf, seal_pdf
from citychain.documents.proof_file import inclusion_json
from citychain.documents.tlog_proof import HEADER, TlogProof, TlogProofError, parse_tlog_proof
from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, add_cosignatures, cosign, sign_checkpoint
from citychain.log.encoding import b64encode
from citychain.log.keys import load_key
from citychain.log.records import parse_leaf
from citychain.node.node import Node
from citychain.pki.ca import cert_fingerprint
from democity import spec
from democity.build import BUNDLE_FILE
from democity.samples import OTHERS, SAMPLES, resident_id

CIVIL, CHARITY = "civil-affairs", "charity-federation"
WITNESSES = ("public-security", "market-regulation")
MARRIAGE = "marriage-certificate"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _cosign_head(node: Node, city_path: Path, clock: FakeClock) -> None:
    """Two witnesses co-sign the node's newest checkpoint, as the mesh would."""
    head = node.store.head(node.config.agency)
    checkpoint = Checkpoint(f"citychain/{spec.CITY}/{node.config.agency}", head.size, head.root)
    lines = [
        cosign(
            checkpoint, f"citychain/{spec.CITY}/{w}", _signer(city_path, w).private_key, int(clock.now().timestamp())
        )
        for w in WITNESSES
    ]
    node.store.update_checkpoint_note(head.id, head.size, add_cosignatures(head.checkpoint, lines))
    node.store.conn.commit()


def _signer(city_path: Path, agency: str):
    return load_key(city_path / agency / "keys" / "agency.key", spec.PASSPHRASE)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """Three marriage certificates in civil affairs' log (the first printed,
    its checkpoint co-signed by two witnesses) and two anonymous donations to
    one fund, each with its receipt printed."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    demo = quiet_demo_city(tmp_path_factory.mktemp("tlog-proof") / "city", clock=clock)
    out = SimpleNamespace(path=demo.path, clock=clock, certs=[], receipts=[])
    with Node.open(demo.home(CIVIL), (CERT_PLUGIN,), clock=clock, argon2=FAST_ARGON2) as node:
        node.private(CHEAP_KDF)
        desk = CertificateDesk(node)
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        third = {"holder_name": "王五", "holder_id": resident_id("33010619930202123")}
        third |= {"spouse_name": "钱七", "spouse_id": resident_id("33010219940305562")}
        for other in ({}, OTHERS[MARRIAGE], third):
            out.certs.append(desk.issue(clerk, MARRIAGE, SAMPLES[MARRIAGE] | other).cert_id)
        _cosign_head(node, demo.path, clock)
        out.cert_pdfs = [desk.pdf(cert_id) for cert_id in out.certs[:2]]
        out.cert_proofs = [desk.proof(cert_id) for cert_id in out.certs]
        out.cert_qrs = [desk.qr_text(cert_id) for cert_id in out.certs]
        out.cert_seal = desk.seal
    with Node.open(demo.home(CHARITY), (CHARITY_PLUGIN,), clock=clock, argon2=FAST_ARGON2) as node:
        sup, clerk = (node.users.authenticate(r, spec.PASSWORDS[r]) for r in ("supervisor", "clerk"))
        private = node.private(CHEAP_KDF)
        node.append(sup, [b.fund("F9", "测试基金", "Test Fund", 1_000_000)])
        for n, amount in ((901, 5000), (902, 7000)):
            receipt, seed = make_receipt(n), new_seed()
            private.put(
                "charity.donor", receipt, {"seed": seed.hex(), "name": "匿名", "id_number": None, "anonymous": True}
            )
            donor = person_commitment(seed, DONOR, "匿名", None)
            node.append(clerk, [b.donation(receipt, "F9", amount, "cash", donor, True)])
            out.receipts.append(receipt)
        out.receipt_pdfs = [receipt_pdf(node, r, private) for r in out.receipts]
        out.receipt_proofs = [receipt_proof(node, r, private) for r in out.receipts]
        out.receipt_qrs = [receipt_qr_text(node, r, private) for r in out.receipts]
        out.receipt_seal = seal_identity(node)
    out.config = VerifierConfig.from_bundle(demo.path / BUNDLE_FILE)
    return out


def _sealed(city, seal, name: str, values: bytes, tlog: tuple[str, bytes] | None) -> bytes:
    """A page sealed by the agency itself with these proof files (the page is blank: only the files are judged)."""
    buffer = io.BytesIO()
    page = Canvas(buffer)
    page.showPage()
    page.save()
    return seal_pdf(buffer.getvalue(), values, seal, city.clock.now(), "test", attachment_name=name, tlog_proof=tlog)


def _cert_verdict(city, values: bytes, tlog: bytes | None):
    tlog_file = None if tlog is None else (cert_payload.TLOG_PROOF_FILENAME, tlog)
    pdf = _sealed(city, city.cert_seal, cert_payload.PROOF_FILENAME, values, tlog_file)
    return Verifier(city.config, None, city.clock).pdf(pdf)


def _files(pdf: bytes, config, name: str, tlog_name: str) -> dict[str, bytes]:
    return open_sealed_pdf(pdf, config.ca_cert, attachment_name=name, optional=(tlog_name,)).files


def _mutated(line: str) -> str:
    """The line with its middle character changed (an empty line gets one)."""
    if not line:
        return "A"
    i = len(line) // 2
    c = line[i]
    new = _B64[(_B64.index(c) + 1) % 64] if c in _B64 else ("x" if c != "x" else "y")
    return line[:i] + new + line[i + 1 :]


# -- the format ------------------------------------------------------------------------
def _vector() -> str:
    """docs/protocol.md §11's vector from first principles: §2's leaf at index 0
    of a 3-leaf tree (`b`, `c` after it), signed and co-signed with §4.7's keys."""
    log_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    leaves = [VECTOR_LEAF, b"b", b"c"]
    hashes = [hashlib.sha256(b"\0" + leaf).digest() for leaf in leaves]
    root = hashlib.sha256(b"\1" + hashlib.sha256(b"\1" + hashes[0] + hashes[1]).digest() + hashes[2]).digest()
    checkpoint = Checkpoint("citychain/demo/market-regulation", 3, root)
    note = sign_checkpoint(checkpoint, log_key)
    note = add_cosignatures(note, [cosign(checkpoint, "citychain/demo/public-security", witness_key, 1772352000)])
    merkle.verify_inclusion(hashes[0], 0, 3, hashes[1:], root)
    return TlogProof(0, tuple(hashes[1:]), note, VECTOR_LEAF).to_text()


def test_the_format_round_trips_and_matches_the_documented_vector():
    text = _vector()
    assert text.startswith(HEADER + "\nextra eyJraWQiOiI1NjQ3NWFhNzU0NjM0NzRjIi") and "\nindex 0\n" in text
    proof = parse_tlog_proof(text.encode())
    assert (proof.extra, proof.index, proof.size, len(proof.path)) == (VECTOR_LEAF, 0, 3, 2)
    assert proof.to_text() == text
    docs = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert "\n".join("    " + line if line else "" for line in text.rstrip("\n").split("\n")) in docs
    for bad in (
        text.replace("index 0", "index 00"),  # a leading zero
        text.replace("index 0", "index 3"),  # outside the tree
        text.replace("\n\n", "\n", 1),  # no blank line before the checkpoint
        text.replace("extra ", "extra  "),  # not canonical base64
        text.replace(HEADER, "c2sp.org/tlog-proof@v2"),
        text.replace("\nindex 0\n", "\nindex 0\r\n"),
    ):
        with pytest.raises(TlogProofError):
            parse_tlog_proof(bad.encode())
    bare = TlogProof(proof.index, proof.path, proof.checkpoint).to_text()  # extra is optional in the spec
    assert bare == text.replace(text.split("\n")[1] + "\n", "") and parse_tlog_proof(bare.encode()).extra is None


# -- certificates ----------------------------------------------------------------------
def test_a_new_certificate_carries_its_leaf_proof_and_checkpoint_as_a_tlog_proof(city):
    files = _files(city.cert_pdfs[0], city.config, cert_payload.PROOF_FILENAME, cert_payload.TLOG_PROOF_FILENAME)
    proof, expected = parse_tlog_proof(files[cert_payload.TLOG_PROOF_FILENAME]), city.cert_proofs[0]
    assert proof.extra == expected.leaf.data and proof.index == parse_leaf(proof.extra).record.seq == 0
    assert proof.size == 3 and proof.path == expected.path and proof.checkpoint == expected.checkpoint
    values = json.loads(files[cert_payload.PROOF_FILENAME])
    assert values.keys() == {"format", "qr", "seed", "values"} and values["qr"] == city.cert_qrs[0]
    verdict = Verifier(city.config, None, city.clock).pdf(city.cert_pdfs[0])
    assert verdict.code == "VALID" and verdict.cosigners == tuple(sorted(WITNESSES)), verdict.detail_en
    # The QR code printed on the page is the one the file names.
    image = pypdfium2.PdfDocument(city.cert_pdfs[0])[0].render(scale=150 / 72).to_pil()
    assert [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)] == [values["qr"]]


def test_every_single_line_mutation_of_the_tlog_proof_is_rejected(city, monkeypatch):
    files = _files(city.cert_pdfs[0], city.config, cert_payload.PROOF_FILENAME, cert_payload.TLOG_PROOF_FILENAME)
    values, text = files[cert_payload.PROOF_FILENAME], files[cert_payload.TLOG_PROOF_FILENAME].decode()
    assert _cert_verdict(city, values, text.encode()).code == "VALID"  # re-sealed unchanged: still good
    # The seal holds (just shown); each mutation skips re-sealing (0.2 s each) and
    # goes straight to what the verifier does once it has: parse and check the files.
    fingerprint = cert_fingerprint(city.cert_seal.cert)
    tlog_now: list[bytes] = []

    def opened(data, ca_cert, *, attachment_name, optional=()):
        assert attachment_name == cert_payload.PROOF_FILENAME and optional == (cert_payload.TLOG_PROOF_FILENAME,)
        return OpenedPdf(CIVIL, "", values, fingerprint, {attachment_name: values, optional[0]: tlog_now[-1]})

    monkeypatch.setattr(pades, "open_sealed_pdf", opened)
    lines = text.split("\n")[:-1]  # the text ends with a newline
    assert len(lines) == 13 and sum(line.startswith("— ") for line in lines) == 3
    changes = [(i, _mutated(line)) for i, line in enumerate(lines)]
    changes += [(2, "index 1"), (7, "2")]  # the index and the tree size, not only their spelling
    verdicts = {}
    for i, changed in changes:
        mutated = "\n".join([*lines[:i], changed, *lines[i + 1 :]]) + "\n"
        tlog_now.append(mutated.encode())
        verdicts[changed] = Verifier(city.config, None, city.clock).pdf(b"").code
        assert verdicts[changed] in ("MALFORMED", "TAMPERED"), (i, changed, verdicts[changed])
    # a changed index, hash, size, root, signature or co-signature is caught as a lie, not as bad form
    assert {verdicts[changed] for i, changed in changes if i in (2, 3, 4, 7, 8, 10, 11, 12) and changed[0] != "i"} == {
        "TAMPERED"
    } and verdicts["index 1"] == "TAMPERED"
    tlog_now.append(text.encode())
    assert Verifier(city.config, None, city.clock).pdf(b"").code == "VALID"  # the shortcut judges as the seal path


def test_another_certificates_valid_tlog_proof_in_the_pdf_is_tampered(city):
    mine = _files(city.cert_pdfs[0], city.config, cert_payload.PROOF_FILENAME, cert_payload.TLOG_PROOF_FILENAME)
    theirs = _files(city.cert_pdfs[1], city.config, cert_payload.PROOF_FILENAME, cert_payload.TLOG_PROOF_FILENAME)
    assert Verifier(city.config, None, city.clock).pdf(city.cert_pdfs[1]).code == "VALID"
    swapped = _cert_verdict(city, mine[cert_payload.PROOF_FILENAME], theirs[cert_payload.TLOG_PROOF_FILENAME])
    assert swapped.code == "TAMPERED" and "different records" in swapped.detail_en
    # values that open the other leaf do not rescue it: the QR text still names the first
    value = json.loads(mine[cert_payload.PROOF_FILENAME])
    other = city.cert_proofs[1]
    value.update(seed=b64encode(other.seed), values=other.values)
    forged = json.dumps(value, ensure_ascii=False).encode()
    assert _cert_verdict(city, forged, theirs[cert_payload.TLOG_PROOF_FILENAME]).code == "TAMPERED"
    # and without its tlog-proof, a v2 file is not a proof at all
    assert _cert_verdict(city, mine[cert_payload.PROOF_FILENAME], None).code == "MALFORMED"


def _v1_file(proof, format_: str, **fields) -> bytes:
    """A proof file as documents were printed before the tlog-proof: the leaf,
    its inclusion and checkpoint, and the document's own `fields`."""
    value = {
        "format": format_,
        "leaf": b64encode(proof.leaf.data),
        "inclusion": inclusion_json(proof.index, proof.size, proof.path),
        "checkpoint": proof.checkpoint,
        **fields,
    }
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()


def _v1_certificate(proof) -> bytes:
    return _v1_file(proof, cert_payload.PROOF_FORMAT_V1, seed=b64encode(proof.seed), values=proof.values)


def test_a_certificate_printed_with_the_old_proof_file_still_verifies(city):
    old = _v1_certificate(city.cert_proofs[2])
    verdict = _cert_verdict(city, old, None)
    assert verdict.code == "VALID" and verdict.cert_id == city.certs[2], verdict.detail_en
    assert verdict.fields == city.cert_proofs[2].values
    tampered = old.replace(b'"index": 2', b'"index": 1')
    assert tampered != old and _cert_verdict(city, tampered, None).code == "TAMPERED"


# -- receipts ----------------------------------------------------------------------------
def _receipt_verdict(city, values: bytes, tlog: bytes | None):
    tlog_file = None if tlog is None else (receipt_payload.TLOG_PROOF_FILENAME, tlog)
    pdf = _sealed(city, city.receipt_seal, receipt_payload.PROOF_FILENAME, values, tlog_file)
    return ReceiptVerifier(city.config, None, city.clock).pdf(pdf)


def test_receipts_carry_a_tlog_proof_bound_to_their_qr_and_still_read_the_old_file(city):
    names = receipt_payload.PROOF_FILENAME, receipt_payload.TLOG_PROOF_FILENAME
    first, second = (_files(pdf, city.config, *names) for pdf in city.receipt_pdfs)
    proof = parse_tlog_proof(first[names[1]])
    assert proof.extra == city.receipt_proofs[0].leaf.data and json.loads(first[names[0]])["qr"] == city.receipt_qrs[0]
    assert ReceiptVerifier(city.config, None, city.clock).pdf(city.receipt_pdfs[0]).code == "VALID"
    # Two anonymous gifts to one fund: only the QR text tells their files apart.
    assert _receipt_verdict(city, first[names[0]], second[names[1]]).code == "TAMPERED"
    old = city.receipt_proofs[1]
    fund = {"id": "F9", "name_zh": old.fund_name_zh, "name_en": old.fund_name_en}
    v1 = _v1_file(old, receipt_payload.PROOF_FORMAT_V1, donor=None, fund=fund)
    verdict = _receipt_verdict(city, v1, None)
    assert verdict.code == "VALID" and verdict.receipt == city.receipts[1] and verdict.amount_fen == 7000
    assert _receipt_verdict(city, v1, second[names[1]]).code == "MALFORMED"  # a v1 file never had a tlog-proof

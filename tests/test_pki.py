"""The city root CA: sealed keys, certificate profiles, a real TLS handshake, a real PAdES signature."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from citychain.log.encoding import b64decode, b64encode
from citychain.log.keys import KdfCost, KeyFileInvalid, NoPassphrase, WrongPassphrase
from citychain.pki.ca import (
    DOCUMENT_SIGNING,
    CertificateInvalid,
    PkiError,
    cert_agency,
    cert_fingerprint,
    create_root_ca,
    issue_signing_cert,
    issue_tls_cert,
    load_ca_cert,
    load_cert,
    load_sealed_key,
    new_ec_key,
    read_sealed_public_key,
    runtime_tls_files,
    save_sealed_key,
    seal_private_key,
    unseal_private_key,
    verify_issued_by,
    write_tls_files,
)

NOW = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
CHEAP = KdfCost.cheap()
PASS = "城市根口令 correct horse"


def make_ca(path, now=NOW, years=20, city="demo"):
    return create_root_ca(path, city, "示范市数据局", "Demo City Data Bureau", PASS, CHEAP, now, years=years)


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


@pytest.fixture
def ca(tmp_path):
    return make_ca(tmp_path / "ca")


@pytest.fixture
def other_ca(tmp_path):
    return make_ca(tmp_path / "other-ca", city="elsewhere")


def _key_secrets(key) -> list[bytes]:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    return [der, scalar, scalar.hex().encode(), b64encode(der).encode(), b64encode(scalar).encode(), b"PRIVATE KEY"]


# ---------------------------------------------------------------- CA and sealed keys


def test_root_ca_profile_and_files(ca, tmp_path):
    cert = ca.cert
    assert load_ca_cert(ca.cert_path.parent) == cert == load_cert(ca.cert_path)
    assert cert.issuer == cert.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "示范市数据局 根证书 Root CA"
    cn = "示范市数据局 根证书 Root CA".encode()
    assert b"\x0c" + bytes([len(cn)]) + cn in cert.public_bytes(serialization.Encoding.DER)  # UTF8String
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Demo City Data Bureau"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "citychain/demo"
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign and not usage.value.digital_signature
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.not_valid_before_utc <= NOW < cert.not_valid_after_utc
    assert cert.not_valid_after_utc.year == 2046
    assert cert_agency(cert) is None  # "citychain/demo" names the city, not an agency
    assert len(ca.fingerprint) == 64 and ca.fingerprint == cert_fingerprint(cert)
    assert ca.fingerprint != cert_fingerprint(make_ca(tmp_path / "ca2").cert)

    key = load_sealed_key(ca.key_path, PASS)
    assert key.public_key() == cert.public_key()
    raw = ca.key_path.read_bytes()
    assert json.loads(raw)["format"] == "citychain-sealed-key/v1"
    assert not any(secret in raw for secret in _key_secrets(key))
    assert (ca.key_path.stat().st_mode & 0o777) == 0o600
    assert read_sealed_public_key(ca.key_path) == cert.public_key()

    with pytest.raises(PkiError, match="never overwritten"):
        make_ca(ca.cert_path.parent)
    assert load_ca_cert(ca.cert_path.parent) == cert
    with pytest.raises(PkiError, match="no city root CA"):
        load_ca_cert(tmp_path / "nowhere")


def test_wrong_passphrase_and_tampered_envelope_are_refused(ca, tmp_path):
    with pytest.raises(WrongPassphrase, match="口令错误.*wrong passphrase"):
        load_sealed_key(ca.key_path, "wrong horse")
    with pytest.raises(WrongPassphrase):
        issue_tls_cert(ca.cert_path.parent, "wrong horse", "tax-bureau", ["127.0.0.1"], new_ec_key().public_key(), NOW)

    good = json.loads(ca.key_path.read_bytes())
    path = tmp_path / "tampered.key"

    def load_with(envelope):
        path.write_text(json.dumps(envelope))
        return load_sealed_key(path, PASS)

    swapped = dict(
        good,
        public_key=b64encode(
            new_ec_key()
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ),
    )
    with pytest.raises(WrongPassphrase):  # the public key is bound in as associated data
        load_with(swapped)
    blob = bytearray(b64decode(good["cipher"]["ciphertext"]))
    blob[5] ^= 1
    with pytest.raises(WrongPassphrase):
        load_with(dict(good, cipher=dict(good["cipher"], ciphertext=b64encode(bytes(blob)))))
    with pytest.raises(KeyFileInvalid, match="not a CityChain sealed key"):
        load_with(dict(good, format="citychain-key/v1"))
    with pytest.raises(KeyFileInvalid, match="malformed"):
        load_with({k: v for k, v in good.items() if k != "cipher"})
    path.write_text("{not json")
    with pytest.raises(KeyFileInvalid, match="malformed"):
        load_sealed_key(path, PASS)
    with pytest.raises(KeyFileInvalid, match="not found"):
        load_sealed_key(tmp_path / "missing.key", PASS)
    with pytest.raises(NoPassphrase):
        save_sealed_key(tmp_path / "x.key", new_ec_key(), "", CHEAP)


def test_the_envelope_is_generic_but_ca_keys_must_be_p256(tmp_path):
    ed = ed25519.Ed25519PrivateKey.generate()
    sealed = seal_private_key(ed, PASS, CHEAP)
    assert unseal_private_key(sealed, PASS).private_bytes_raw() == ed.private_bytes_raw()
    path = tmp_path / "ed.key"
    save_sealed_key(path, ed, PASS, CHEAP)
    with pytest.raises(KeyFileInvalid, match="P-256"):
        load_sealed_key(path, PASS)
    key = new_ec_key()
    save_sealed_key(path, key, PASS, CHEAP)
    assert load_sealed_key(path, PASS).private_numbers() == key.private_numbers()


# ---------------------------------------------------------------- TLS certificates


def test_tls_certificate_profile(ca):
    key = new_ec_key()
    cert = issue_tls_cert(
        ca.cert_path.parent, PASS, "tax-bureau", ["127.0.0.1", "::1", "node.tax.demo.city"], key.public_key(), NOW
    )
    san = ext(cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    assert san.get_values_for_type(x509.DNSName) == ["node.tax.demo.city"]
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not (usage.value.key_encipherment or usage.value.key_agreement or usage.value.content_commitment)
    assert ext(cert, x509.BasicConstraints).value.ca is False
    assert (
        ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier
        == ext(ca.cert, x509.SubjectKeyIdentifier).value.digest
    )
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    assert cert_agency(cert) == "tax-bureau"
    assert cert.issuer == ca.cert.subject
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=825, minutes=10)


def test_verify_issued_by_checks_chain_window_and_ca_flag(ca, other_ca):
    ca_dir = ca.cert_path.parent
    cert = issue_tls_cert(ca_dir, PASS, "tax-bureau", ["127.0.0.1"], new_ec_key().public_key(), NOW)
    verify_at = NOW + timedelta(days=1)
    verify_issued_by(cert, ca.cert, verify_at)
    verify_issued_by(cert, ca.cert, cert.not_valid_after_utc)  # RFC 5280: notAfter is inclusive
    with pytest.raises(CertificateInvalid, match="expired"):
        verify_issued_by(cert, ca.cert, cert.not_valid_after_utc + timedelta(seconds=1))
    with pytest.raises(CertificateInvalid, match="expired"):
        verify_issued_by(cert, ca.cert, NOW + timedelta(days=826))
    with pytest.raises(CertificateInvalid, match="not valid before"):
        verify_issued_by(cert, ca.cert, NOW - timedelta(days=1))
    with pytest.raises(CertificateInvalid, match="not issued by this CA"):
        verify_issued_by(cert, other_ca.cert, verify_at)
    foreign = issue_tls_cert(
        other_ca.cert_path.parent, PASS, "tax-bureau", ["127.0.0.1"], new_ec_key().public_key(), NOW
    )
    with pytest.raises(CertificateInvalid):
        verify_issued_by(foreign, ca.cert, verify_at)
    # Same issuer name, different key: only the signature tells them apart.
    twin = make_ca(ca_dir.parent / "twin")
    assert twin.cert.subject == ca.cert.subject
    with pytest.raises(CertificateInvalid, match="signature does not verify"):
        verify_issued_by(cert, twin.cert, verify_at)
    with pytest.raises(CertificateInvalid, match="not a CA"):
        verify_issued_by(cert, cert, verify_at)


def test_leaf_never_outlives_the_ca_and_an_expired_ca_cannot_issue(tmp_path):
    short = make_ca(tmp_path / "short", years=1)
    cert = issue_signing_cert(
        tmp_path / "short", PASS, "tax-bureau", "税务局", "Tax Bureau", new_ec_key().public_key(), NOW
    )
    assert cert.not_valid_after_utc == short.cert.not_valid_after_utc
    with pytest.raises(PkiError, match="cannot issue"):
        issue_tls_cert(
            tmp_path / "short", PASS, "tax-bureau", ["127.0.0.1"], new_ec_key().public_key(), NOW + timedelta(days=400)
        )


def test_bad_requests_are_refused_before_signing(ca):
    ca_dir, pub = ca.cert_path.parent, new_ec_key().public_key()
    with pytest.raises(PkiError, match="at least one host"):
        issue_tls_cert(ca_dir, PASS, "tax-bureau", [], pub, NOW)
    with pytest.raises(PkiError, match="neither an IP"):
        issue_tls_cert(ca_dir, PASS, "tax-bureau", ["bad host!"], pub, NOW)
    with pytest.raises(PkiError, match="not a valid CityChain id"):
        issue_tls_cert(ca_dir, PASS, "Tax_Bureau", ["127.0.0.1"], pub, NOW)
    with pytest.raises(PkiError, match="P-256"):
        issue_tls_cert(
            ca_dir, PASS, "tax-bureau", ["127.0.0.1"], ec.generate_private_key(ec.SECP384R1()).public_key(), NOW
        )
    with pytest.raises(PkiError, match="P-256"):
        issue_signing_cert(
            ca_dir, PASS, "tax-bureau", "税务局", "Tax Bureau", rsa.generate_private_key(65537, 2048).public_key(), NOW
        )
    with pytest.raises(PkiError, match="timezone"):
        issue_tls_cert(ca_dir, PASS, "tax-bureau", ["127.0.0.1"], pub, NOW.replace(tzinfo=None))
    with pytest.raises(PkiError, match="1 to 64 characters"):
        issue_signing_cert(ca_dir, PASS, "tax-bureau", "税务局", "T" * 65, pub, NOW)


# ---------------------------------------------------------------- a real TLS handshake


def test_runtime_tls_files(ca, tmp_path):
    key = new_ec_key()
    cert = issue_tls_cert(ca.cert_path.parent, PASS, "tax-bureau", ["127.0.0.1"], key.public_key(), NOW)
    cert_path, key_path = write_tls_files(tmp_path, cert, key)
    assert (key_path.stat().st_mode & 0o777) == 0o600
    assert serialization.load_pem_private_key(key_path.read_bytes(), None).public_key() == key.public_key()
    assert load_cert(cert_path) == cert
    with pytest.raises(PkiError, match="do not belong together"):
        write_tls_files(tmp_path, cert, new_ec_key())
    with runtime_tls_files(cert, key) as (cert_path, key_path):
        directory = key_path.parent
        assert (directory.stat().st_mode & 0o777) == 0o700 and key_path.is_file()
    assert not directory.exists()


@contextlib.contextmanager
def https_server(cert, key):
    """A trivial starlette app under uvicorn on a free loopback port, in a thread."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with runtime_tls_files(cert, key) as (cert_path, key_path):
        config = uvicorn.Config(
            app, ssl_certfile=str(cert_path), ssl_keyfile=str(key_path), log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.01)
            yield f"https://127.0.0.1:{port}/"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
    assert not thread.is_alive()


def test_tls_handshake_verifies_against_the_configured_ca_only(tmp_path):
    # The TLS stack checks validity against the wall clock, not a fixed `now`.
    now = datetime.now(UTC)
    ca, other = make_ca(tmp_path / "ca", now), make_ca(tmp_path / "other", now, city="elsewhere")
    key = new_ec_key()
    cert = issue_tls_cert(tmp_path / "ca", PASS, "tax-bureau", ["127.0.0.1", "localhost"], key.public_key(), now)
    with https_server(cert, key) as url:
        # "Connection: close": an idle keep-alive TLS connection, still
        # referenced by the response, would stall uvicorn's graceful shutdown.
        answer = requests.get(url, verify=str(ca.cert_path), timeout=10, headers={"Connection": "close"})
        assert answer.status_code == 200 and answer.text == "ok"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, verify=str(other.cert_path), timeout=10)
    foreign_key = new_ec_key()
    foreign = issue_tls_cert(tmp_path / "other", PASS, "tax-bureau", ["127.0.0.1"], foreign_key.public_key(), now)
    with https_server(foreign, foreign_key) as url:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, verify=str(ca.cert_path), timeout=10)


# ---------------------------------------------------------------- document signing (PAdES)


def test_signing_certificate_profile(ca):
    cert = issue_signing_cert(
        ca.cert_path.parent, PASS, "tax-bureau", "示范市税务局", "Demo City Tax Bureau", new_ec_key().public_key(), NOW
    )
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not (usage.value.key_agreement or usage.value.key_cert_sign)
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [DOCUMENT_SIGNING]
    assert DOCUMENT_SIGNING.dotted_string == "1.3.6.1.5.5.7.3.36"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "示范市税务局"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Demo City Tax Bureau"
    assert cert_agency(cert) == "tax-bureau"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=3650, minutes=10)


def _tiny_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "CityChain PAdES test")
    page.save()
    return buffer.getvalue()


def _sign_pdf(cert, key) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore(),
    )
    meta = signers.PdfSignatureMetadata(field_name="CityChain", subfilter=SigSeedSubFilter.PADES)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(_tiny_pdf())), meta, signer=signer)
    return out.getvalue()


def _validate(pdf: bytes, root_cert, moment: datetime):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(root_cert.public_bytes(serialization.Encoding.DER))
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], moment=moment))


def test_pades_signature_validates_under_the_city_root_only(ca, other_ca):
    key = new_ec_key()
    cert = issue_signing_cert(
        ca.cert_path.parent, PASS, "tax-bureau", "示范市税务局", "Demo City Tax Bureau", key.public_key(), NOW
    )
    pdf = _sign_pdf(cert, key)
    moment = NOW + timedelta(days=30)
    status = _validate(pdf, ca.cert, moment)
    assert status.intact and status.valid and status.trusted and status.bottom_line, status.pretty_print_details()
    stranger = _validate(pdf, other_ca.cert, moment)
    assert stranger.intact and stranger.valid and not stranger.trusted and not stranger.bottom_line
    expired = _validate(pdf, ca.cert, NOW + timedelta(days=3651))
    assert not expired.trusted


def test_a_tls_certificate_is_no_document_signing_certificate(ca, caplog):
    key = new_ec_key()
    cert = issue_tls_cert(ca.cert_path.parent, PASS, "tax-bureau", ["127.0.0.1"], key.public_key(), NOW)
    status = _validate(_sign_pdf(cert, key), ca.cert, NOW + timedelta(days=1))
    assert status.intact and status.valid and not status.trusted
    assert "non repudiation" in caplog.text  # pyHanko logs why the path failed


def test_a_sealed_document_outlives_its_signing_certificate(tmp_path):
    """Judged as of its seal's time, which the signature covers: a licence sealed
    in 2018 with a certificate that expired in 2019 still verifies today, and a
    seal dated after the certificate expired does not."""
    from citychain.documents.pades import (
        SealIdentity,
        SealProblem,
        open_sealed_pdf,
        seal_pdf,
    )

    issued = datetime(2018, 1, 1, tzinfo=UTC)
    old_ca = make_ca(tmp_path / "ca", now=issued - timedelta(days=1))
    key = new_ec_key()
    cert = issue_signing_cert(
        old_ca.cert_path.parent,
        PASS,
        "tax-bureau",
        "示范市税务局",
        "Demo City Tax Bureau",
        key.public_key(),
        issued,
        days=365,
    )
    assert cert.not_valid_after_utc < datetime.now(UTC)

    def sealed(when: datetime) -> bytes:
        return seal_pdf(
            _tiny_pdf(),
            b'{"proof": 1}',
            SealIdentity(cert, key, old_ca.cert),
            when,
            "test",
            attachment_name="proof.json",
        )

    opened = open_sealed_pdf(sealed(issued + timedelta(days=150)), old_ca.cert, attachment_name="proof.json")
    assert opened.agency == "tax-bureau" and opened.attachment == b'{"proof": 1}'
    with pytest.raises(SealProblem) as late:
        open_sealed_pdf(sealed(issued + timedelta(days=400)), old_ca.cert, attachment_name="proof.json")
    assert late.value.code == "TAMPERED"

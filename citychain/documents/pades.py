"""A document PDF's digital seal (PAdES, with pyHanko) and its embedded proof file.

The proof is attached and the page sealed in one incremental revision, so the
seal covers the page, the metadata and the attachment alike. A verifier
accepts a file only when the one signature covers the entire file, chains to
the city root CA from its own configuration, and was made by the
document-signing certificate of the agency whose log holds the record.

The attachment's file name says what kind of document it is (a certificate's
`certificate-proof.json`, a donation receipt's `donation-proof.json`), so a
verifier can tell documents apart before checking anything
(`embedded_file_names`). Documents printed since the ledger proof became a
C2SP tlog-proof carry it as a second attachment (`….tlog-proof`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, parser
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from citychain.errors import BilingualError
from citychain.pki.ca import cert_agency, cert_fingerprint

MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 256 * 1024
FIELD_NAME = "CityChainSeal"


class SealProblem(BilingualError):
    """Why a sealed PDF is not acceptable; `code` is TAMPERED, MALFORMED or UNKNOWN_ISSUER."""


@dataclass(frozen=True)
class SealIdentity:
    """An agency's document-signing certificate and key, and the CA above it."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate


@dataclass(frozen=True)
class OpenedPdf:
    agency: str | None  # from the sealing certificate (its serialNumber)
    signer_name: str
    attachment: bytes
    fingerprint: str = ""  # the sealing certificate's, as the trust log names it (revocation)
    files: dict[str, bytes] = field(default_factory=dict)  # the attachment and the optional ones found


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def seal_pdf(
    pdf: bytes,
    attachment: bytes,
    seal: SealIdentity,
    when: datetime,
    reason: str,
    *,
    attachment_name: str,
    tlog_proof: tuple[str, bytes] | None = None,
) -> bytes:
    """Attach `attachment` as `attachment_name` (and the ledger proof, a
    (name, C2SP tlog-proof text) pair) and seal the whole file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    about = _JSON_DESCRIPTION if tlog_proof is None else _VALUES_DESCRIPTION
    _embed(writer, attachment_name, attachment, "application/json", about, when)
    if tlog_proof is not None:
        _embed(writer, tlog_proof[0], tlog_proof[1], "text/plain", _TLOG_DESCRIPTION, when)
    key = asn1_keys.PrivateKeyInfo.load(
        seal.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(seal.cert),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(seal.ca_cert)]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    out = io.BytesIO()
    _SealerAt(meta, signer, when).sign_pdf(writer, output=out)
    return out.getvalue()


_JSON_DESCRIPTION = "CityChain proof: ledger record, inclusion proof, checkpoint / 账本证明"
_VALUES_DESCRIPTION = "CityChain document: QR code text and the values it commits to / 证照内容"
_TLOG_DESCRIPTION = "C2SP tlog-proof: ledger record, inclusion proof, checkpoint / 账本证明"


def _embed(writer: IncrementalPdfFileWriter, name: str, data: bytes, mime: str, about: str, when: datetime) -> None:
    stream = embed.EmbeddedFileObject.from_file_data(
        writer, data, mime_type=mime, params=embed.EmbeddedFileParams(creation_date=when, modification_date=when)
    )
    spec = embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=stream, description=about)
    embed.embed_file(writer, spec)


class _SealerAt(signers.PdfSigner):
    """Dates the seal (/M) `when`, by the node's clock like its records; pyHanko
    would take the wall clock, and offers no parameter for it."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, when: datetime) -> None:
        super().__init__(meta, signer=signer)
        self.when = when

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.when
        return session


def _embedded(reader: PdfFileReader) -> list:
    """The /EmbeddedFiles name tree's flat /Names array (all our writer makes)."""
    return reader.root["/Names"]["/EmbeddedFiles"]["/Names"]


def _attachment(reader: PdfFileReader, name: str) -> bytes:
    names = _embedded(reader)
    found = [names[i + 1] for i in range(0, len(names), 2) if names[i] == name]
    if len(found) != 1:
        raise KeyError(name)
    stream = found[0].get_object()["/EF"]["/F"].get_object()
    if len(stream.encoded_data) > MAX_ATTACHMENT_BYTES:
        raise SealProblem("MALFORMED", "附件过大", "the embedded proof file is too large")
    return stream.data


_ALTERED = ("电子印章的签名数据被改动过", "the seal's signature block was altered after sealing")


def _exact_signature_block(data: bytes, sig, signer_der: bytes, ca_der: bytes) -> None:
    """The parts of the signature that no signature covers must be exactly what
    our sealer writes, so that no byte of the file can change unnoticed: the
    /Contents hex (one spelling, zero padding only), canonical DER, SHA-256
    as the only digest algorithm, the signer's and the city CA's certificates
    and nothing else, no unsigned attributes, no CRLs."""
    start, length, resume, _ = (int(x) for x in sig.sig_object["/ByteRange"])
    content = bytes(sig.pkcs7_content)
    if data[start + length : resume] not in (
        b"<" + content.hex().upper().encode() + b">",
        b"<" + content.hex().encode() + b">",
    ):
        raise SealProblem("TAMPERED", *_ALTERED)
    info = cms.ContentInfo.load(content)
    der = info.dump()
    if content[len(der) :].strip(b"\0"):
        raise SealProblem("TAMPERED", *_ALTERED)
    signed = info["content"]
    infos = list(signed["signer_infos"])
    expected = (
        info["content_type"].native == "signed_data"
        and signed["version"].native == "v1"
        and [a["algorithm"].native for a in signed["digest_algorithms"]] == ["sha256"]
        and sorted(c.chosen.dump() for c in signed["certificates"]) == sorted([signer_der, ca_der])
        and signed["crls"].native is None
        and signed["encap_content_info"]["content"].native is None
        and len(infos) == 1
        and infos[0]["version"].native == "v1"
        and infos[0]["unsigned_attrs"].native is None
    )
    if not expected or _canonical_der(info) != der:
        raise SealProblem("TAMPERED", *_ALTERED)


def _canonical_der(info: cms.ContentInfo) -> bytes:
    """The DER our sealer writes for this signature, around the bytes already
    pinned: the certificates (compared byte for byte) and the signed
    attributes' contents (what the signature covers). Re-encoding the whole
    block with asn1crypto (dump(force=True)) instead spends ~90 ms in them."""
    signed = info["content"]
    signer = signed["signer_infos"][0]
    signer_der = parser.emit(
        0,
        1,
        16,
        b"".join(
            (
                signer["version"].dump(force=True),
                signer["sid"].dump(force=True),
                signer["digest_algorithm"].dump(force=True),
                parser.emit(2, 1, 0, signer["signed_attrs"].contents),
                signer["signature_algorithm"].dump(force=True),
                signer["signature"].dump(force=True),
            )
        ),
    )
    certificates = b"".join(sorted(c.chosen.dump() for c in signed["certificates"]))  # DER sorts a SET OF
    body = b"".join(
        (
            signed["version"].dump(force=True),
            signed["digest_algorithms"].dump(force=True),
            signed["encap_content_info"].dump(force=True),
            parser.emit(2, 1, 0, certificates),
            parser.emit(0, 1, 17, signer_der),
        )
    )
    return parser.emit(
        0, 1, 16, info["content_type"].dump(force=True) + parser.emit(2, 1, 0, parser.emit(0, 1, 16, body))
    )


def _untrusted(signer: x509.Certificate, ca_cert: x509.Certificate) -> None:
    """An intact seal by a certificate from another CA is a document this
    verifier cannot vouch for (like a QR code from an agency it does not know);
    one from our own CA that does not pass is a seal that must not exist."""
    try:
        signer.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        raise SealProblem(
            "UNKNOWN_ISSUER",
            "电子印章不是本市根证书签发的",
            "the seal's certificate is not from this verifier's city root CA",
        ) from None
    raise SealProblem(
        "TAMPERED",
        "盖章时电子印章的证书无效",
        "the seal's certificate was not valid for sealing when the document was sealed",
    )


def embedded_file_names(data: bytes) -> tuple[str, ...]:
    """The names of the files attached to a PDF, read without checking
    anything: only to decide which verifier to hand the file to. Unreadable
    input gives ()."""
    if len(data) > MAX_PDF_BYTES or not data.startswith(b"%PDF-"):
        return ()
    try:
        names = _embedded(PdfFileReader(io.BytesIO(data), strict=False))
        return tuple(str(names[i]) for i in range(0, len(names), 2))
    except Exception:  # noqa: BLE001 - hostile bytes: simply not recognised
        return ()


def open_sealed_pdf(
    data: bytes, ca_cert: x509.Certificate, *, attachment_name: str, optional: tuple[str, ...] = ()
) -> OpenedPdf:
    """Check the seal and return the attachment `attachment_name`, and those
    of the `optional` names the file holds; raises SealProblem.

    The certificate chain is judged as of the seal's own time (/M, which the
    signature covers), not today: a document sealed while the agency's
    certificate was valid stays verifiable after it expires, and a seal dated
    outside the certificate's window fails."""
    if len(data) > MAX_PDF_BYTES:
        raise SealProblem("MALFORMED", "文件过大", f"the file is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    if not data.startswith(b"%PDF-"):
        raise SealProblem("MALFORMED", "这不是 PDF 文件", "this file is not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            raise SealProblem(
                "TAMPERED",
                "文件中的电子印章数量不对",
                f"the file carries {len(signatures)} seals; a sealed document carries exactly one",
            )
        sig = signatures[0]
        sealed_at = sig.self_reported_timestamp
        if sealed_at is None:
            raise SealProblem("MALFORMED", "电子印章没有盖章时间", "the seal carries no signing time")
        context = ValidationContext(trust_roots=[_asn1_cert(ca_cert)], allow_fetching=False, moment=sealed_at)
        status = validate_pdf_signature(sig, context, skip_diff=True)
        if not status.intact or not status.valid:
            raise SealProblem(
                "TAMPERED",
                "电子印章与文件内容不符，文件被改动过",
                "the digital seal does not match the file: it was changed after sealing",
            )
        if status.coverage.name != "ENTIRE_FILE":
            raise SealProblem("TAMPERED", "盖章后文件又被追加修改", "the file was changed after it was sealed")
        signer = x509.load_der_x509_certificate(status.signing_cert.dump())
        if not status.trusted:
            _untrusted(signer, ca_cert)
        _exact_signature_block(data, sig, status.signing_cert.dump(), _asn1_cert(ca_cert).dump())
        names = _embedded(reader)
        present = {str(names[i]) for i in range(0, len(names), 2)}
        files = {name: _attachment(reader, name) for name in (attachment_name, *optional) if name in present}
        return OpenedPdf(
            cert_agency(signer),
            signer.subject.rfc4514_string(),
            _attachment(reader, attachment_name),
            cert_fingerprint(signer),
            files,
        )
    except SealProblem:
        raise
    except (PdfError, SigningError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SealProblem("MALFORMED", "PDF 文件已损坏或不完整", f"the PDF is damaged or incomplete: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pyHanko raises a wide range on hostile bytes; none may crash a kiosk
        raise SealProblem(
            "MALFORMED", "PDF 文件无法解析", f"the PDF cannot be read: {type(exc).__name__}: {exc}"
        ) from None

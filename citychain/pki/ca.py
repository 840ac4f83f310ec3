"""The city root CA (X.509): TLS certificates for nodes, document-signing certificates.

Layout, in the root authority's node home:

    CA_DIR/ca.crt   the city root CA certificate (PEM); public, copied into
                    every node's and verifier's own configuration
    CA_DIR/ca.key   its ECDSA P-256 key, sealed (see `seal_private_key`)

Everything is ECDSA P-256 with SHA-256. Trust comes from configuration only:
a node or verifier checks peers and documents against the CA certificate its
operator installed, never one a peer or a document supplies.

Private keys at rest use the envelope of keys.py (scrypt + AES-256-GCM, JSON)
with a PKCS#8 DER payload, so one format and one passphrase rule cover every
key a node holds. The wrong passphrase and a tampered file raise the same
errors as keys.py (`WrongPassphrase`, `KeyFileInvalid`), which operators know.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log.encoding import b64decode, b64encode
from citychain.log.keys import KdfCost, KeyFileInvalid, NoPassphrase, seal, unseal
from citychain.log.records import ID_RE

SEALED_KEY_FORMAT = "citychain-sealed-key/v1"
CA_CERT_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"
ROOT_AGENCY = "city-root"

# RFC 9336 id-kp-documentSigning; `cryptography` has no constant for it.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# Certificates start this much before `now`, so a node whose clock runs a
# little behind the CA's can use a certificate the moment it is issued.
CLOCK_SKEW = timedelta(minutes=10)
MAX_NAME = 64  # X.520 upper bound for commonName and organizationName
_HOST_RE = re.compile(r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\Z")


class PkiError(MessageError):
    """Base for certificate problems; messages are shown to operators as they are."""

    code = "PKI_ERROR"


class CertificateInvalid(PkiError):
    """A certificate that does not chain to, or is not valid under, the given CA."""

    code = "CERTIFICATE_INVALID"


# ---------------------------------------------------------------- keys


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _aad(public_key_b64: str) -> bytes:
    return f"{SEALED_KEY_FORMAT}\n{public_key_b64}".encode()


def seal_private_key(
    key: PrivateKeyTypes, passphrase: str, cost: KdfCost = KdfCost(), cipher: str = "AES-256-GCM"
) -> bytes:
    """Any private key as a sealed JSON envelope (PKCS#8 DER inside AES-256-GCM, or
    SM4-GCM in an SM2/SM3 city: the TLS and seal keys stay ECDSA, their sealing follows the city).

    The public key (SubjectPublicKeyInfo DER) is stored in the clear, so the
    matching certificate can be found without the passphrase, and is bound
    into the ciphertext as associated data, so it cannot be swapped.
    """
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_b64 = b64encode(_spki(key.public_key()))
    envelope = {
        "format": SEALED_KEY_FORMAT,
        "public_key": public_b64,
        **seal(pkcs8, passphrase, _aad(public_b64), cost, cipher),
    }
    return json.dumps(envelope, indent=2).encode() + b"\n"


def unseal_private_key(data: bytes, passphrase: str, source: Path | str = "sealed key") -> PrivateKeyTypes:
    """The key in a sealed envelope; `source` names the file in error messages."""
    try:
        env = json.loads(data)
        public_b64 = env["public_key"] if isinstance(env, dict) else None
    except (ValueError, KeyError) as exc:
        raise KeyFileInvalid("密钥文件格式错误", f"malformed key file {source}: {exc}") from exc
    if not isinstance(env, dict) or env.get("format") != SEALED_KEY_FORMAT or not isinstance(public_b64, str):
        raise KeyFileInvalid("密钥文件格式不符", f"{source} is not a CityChain sealed key file")
    pkcs8 = unseal(env, passphrase, _aad(public_b64), source)
    try:
        key = serialization.load_der_private_key(pkcs8, password=None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileInvalid("密钥内容无法解析", f"{source}: the sealed key cannot be read: {exc}") from exc
    if b64encode(_spki(key.public_key())) != public_b64:
        raise KeyFileInvalid("密钥与记录的公钥不符", f"{source}: the key does not match its recorded public key")
    return key


def save_sealed_key(
    path: Path, key: PrivateKeyTypes, passphrase: str, cost: KdfCost = KdfCost(), cipher: str = "AES-256-GCM"
) -> None:
    write_atomic(Path(path), seal_private_key(key, passphrase, cost, cipher), mode=0o600)


def load_sealed_key(path: Path, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """An ECDSA P-256 key from a sealed file (the only kind this module issues for)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileInvalid("找不到密钥文件", f"key file not found: {path}") from None
    key = unseal_private_key(data, passphrase, path)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyFileInvalid("不是 ECDSA P-256 密钥", f"{path} does not hold an ECDSA P-256 key")
    return key


def read_sealed_public_key(path: Path):
    """The public key of a sealed key file, without the passphrase."""
    try:
        return serialization.load_der_public_key(b64decode(json.loads(Path(path).read_bytes())["public_key"]))
    except FileNotFoundError:
        raise KeyFileInvalid("找不到密钥文件", f"key file not found: {path}") from None
    except (ValueError, KeyError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileInvalid("密钥文件格式错误", f"malformed key file {path}: {exc}") from exc


# ---------------------------------------------------------------- certificates on disk


@dataclass(frozen=True)
class CertInfo:
    """A certificate with where it and its sealed key live."""

    cert: x509.Certificate
    cert_path: Path
    key_path: Path

    @property
    def fingerprint(self) -> str:
        return cert_fingerprint(self.cert)


def cert_fingerprint(cert: x509.Certificate) -> str:
    """Lowercase hex SHA-256 of the DER certificate: how the trust log names it."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def cert_agency(cert: x509.Certificate) -> str | None:
    """The agency id in a leaf certificate's subject serialNumber, if any."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1 or not ID_RE.match(str(values[0].value)):
        return None
    return str(values[0].value)


def save_cert(path: Path, cert: x509.Certificate) -> None:
    write_atomic(Path(path), cert.public_bytes(serialization.Encoding.PEM))


def load_cert(path: Path) -> x509.Certificate:
    path = Path(path)
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise PkiError("找不到证书文件", f"certificate file not found: {path}") from None
    except ValueError as exc:
        raise PkiError("证书文件格式错误", f"{path} is not a PEM certificate: {exc}") from exc


def load_ca_cert(ca_dir: Path) -> x509.Certificate:
    path = Path(ca_dir) / CA_CERT_FILE
    if not path.is_file():
        raise PkiError("此目录中没有城市根证书", f"no city root CA certificate in {ca_dir} (expected {CA_CERT_FILE})")
    return load_cert(path)


# ---------------------------------------------------------------- checks


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise PkiError("时间必须带时区", "`now` must be timezone-aware")
    return now.astimezone(UTC).replace(microsecond=0)


def _check_name(label_zh: str, label_en: str, value: str) -> str:
    """Names are limited to X.520's 64 characters (the trust log allows 200)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise PkiError(
            f"证书中的{label_zh}须为 1 至 {MAX_NAME} 个字符",
            f"the {label_en} in a certificate must be 1 to {MAX_NAME} characters, got {value!r}",
        )
    return value


def _check_id(value: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise PkiError("无效的标识", f"{value!r} is not a valid CityChain id")
    return value


def check_p256(public_key) -> ec.EllipticCurvePublicKey:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise PkiError("证书公钥须为 ECDSA P-256", "the certificate's public key must be ECDSA P-256")
    return public_key


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca and usage.key_cert_sign


def _window_problem(cert: x509.Certificate, now: datetime) -> tuple[str, str] | None:
    """Both ends of the validity period are inclusive (RFC 5280 §4.1.2.5)."""
    if now < cert.not_valid_before_utc:
        return "尚未生效", f"not valid before {cert.not_valid_before_utc.isoformat()}"
    if now > cert.not_valid_after_utc:
        return "已过期", f"expired at {cert.not_valid_after_utc.isoformat()}"
    return None


def verify_issued_by(cert: x509.Certificate, ca_cert: x509.Certificate, now: datetime) -> None:
    """Check that `ca_cert` is a CA, signed `cert`, and both are valid at `now`.

    Our own quick check (no revocation, no key-usage policy); TLS stacks and
    pyHanko do the full path validation themselves.
    """
    now = _utc(now)
    if not _is_ca(ca_cert):
        raise CertificateInvalid(
            "颁发者不是证书颁发机构", "the issuer certificate is not a CA (no CA flag or keyCertSign)"
        )
    try:
        cert.verify_directly_issued_by(ca_cert)
    except ValueError:
        raise CertificateInvalid(
            "证书不是由该根证书颁发的",
            "the certificate was not issued by this CA "
            f"(issuer {cert.issuer.rfc4514_string()}, CA {ca_cert.subject.rfc4514_string()})",
        ) from None
    except InvalidSignature:
        raise CertificateInvalid("证书签名无效", "the certificate's signature does not verify under this CA") from None
    except TypeError as exc:
        raise CertificateInvalid("不支持的签名算法", f"unsupported signature algorithm: {exc}") from None
    for who_zh, who_en, checked in (("根证书", "the CA certificate", ca_cert), ("证书", "the certificate", cert)):
        problem = _window_problem(checked, now)
        if problem:
            raise CertificateInvalid(f"{who_zh}{problem[0]}", f"{who_en}: {problem[1]}")


# ---------------------------------------------------------------- the CA


def _key_ids(public_key, issuer: x509.Certificate | None) -> list[tuple[x509.ExtensionType, bool]]:
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    if issuer is None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    else:
        issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
    return [(ski, False), (aki, False)]


def _build(
    subject: x509.Name,
    issuer: x509.Name,
    public_key,
    not_before: datetime,
    not_after: datetime,
    extensions: list[tuple[x509.ExtensionType, bool]],
    signing_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def create_root_ca(
    ca_dir: Path,
    city: str,
    name_zh: str,
    name_en: str,
    passphrase: str,
    cost: KdfCost,
    now: datetime,
    years: int = 20,
    cipher: str = "AES-256-GCM",
) -> CertInfo:
    """Create the city root CA in `ca_dir`; refuses to replace an existing one.

    `name_zh`/`name_en` are the root authority's names; the CA's commonName
    adds "根证书 Root CA" so its name never equals a leaf issued to the root
    authority itself.
    """
    ca_dir = Path(ca_dir)
    cert_path, key_path = ca_dir / CA_CERT_FILE, ca_dir / CA_KEY_FILE
    if cert_path.exists() or key_path.exists():
        raise PkiError(
            "城市根证书已存在，不会覆盖", f"a city root CA already exists in {ca_dir}; it is never overwritten"
        )
    if not passphrase:
        raise NoPassphrase()
    now = _utc(now)
    _check_id(city)
    _check_name("中文名称", "Chinese name", name_zh)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _check_name("英文名称", "English name", name_en)),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"citychain/{city}"),
            x509.NameAttribute(NameOID.COMMON_NAME, _check_name("根证书名称", "CA name", f"{name_zh} 根证书 Root CA")),
        ]
    )
    key = new_ec_key()
    extensions = [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
        *_key_ids(key.public_key(), None),
    ]
    not_before = now - CLOCK_SKEW
    not_after = _add_years(now, years)
    cert = _build(subject, subject, key.public_key(), not_before, not_after, extensions, key)
    ca_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    save_sealed_key(key_path, key, passphrase, cost, cipher)
    save_cert(cert_path, cert)
    return CertInfo(cert, cert_path, key_path)


def _add_years(moment: datetime, years: int) -> datetime:
    if years < 1:
        raise PkiError("有效期须至少一年", f"the CA must be valid for at least a year, got {years}")
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


def open_ca(ca_dir: Path, passphrase: str, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The CA certificate and key, checked to belong together and be valid at `now`."""
    ca_cert = load_ca_cert(ca_dir)
    key = load_sealed_key(Path(ca_dir) / CA_KEY_FILE, passphrase)
    if _spki(key.public_key()) != _spki(ca_cert.public_key()):
        raise PkiError("根证书与其密钥不符", f"{ca_dir}: ca.key does not belong to ca.crt")
    if not _is_ca(ca_cert):
        raise PkiError(f"{ca_dir}/{CA_CERT_FILE} 不是证书颁发机构", f"{ca_dir}/{CA_CERT_FILE} is not a CA certificate")
    problem = _window_problem(ca_cert, now)
    if problem:
        raise PkiError(f"城市根证书{problem[0]}，不可用于签发", f"the city root CA cannot issue now: {problem[1]}")
    return ca_cert, key


def _leaf_window(ca_cert: x509.Certificate, now: datetime, days: int) -> tuple[datetime, datetime]:
    """From a little before `now` for `days`, never beyond the CA's own end."""
    if days < 1:
        raise PkiError("有效期须至少一天", f"a certificate must be valid for at least a day, got {days}")
    return now - CLOCK_SKEW, min(now + timedelta(days=days), ca_cert.not_valid_after_utc)


def subject_alt_names(hosts: list[str]) -> x509.SubjectAlternativeName:
    if not hosts:
        raise PkiError(
            "TLS 证书至少需要一个主机名或 IP", "a TLS certificate needs at least one host name or IP address"
        )
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
            continue
        except ValueError:
            pass
        if not isinstance(host, str) or not _HOST_RE.match(host):
            raise PkiError("无效的主机名", f"{host!r} is neither an IP address nor a lowercase DNS name")
        names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue_tls_cert(
    ca_dir: Path,
    passphrase: str,
    agency: str,
    hosts: list[str],
    public_key,
    now: datetime,
    days: int = 825,
) -> x509.Certificate:
    """A TLS server (and client) certificate for an agency's node.

    Subject: commonName and serialNumber are the agency id; the names the
    node answers to are in subjectAltName only (clients ignore the CN).
    """
    now = _utc(now)
    _check_id(agency)
    san = subject_alt_names(list(hosts))
    public_key = check_p256(public_key)
    ca_cert, ca_key = open_ca(ca_dir, passphrase, now)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, agency),
            x509.NameAttribute(NameOID.COMMON_NAME, agency),
        ]
    )
    extensions = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (san, False),
        *_key_ids(public_key, ca_cert),
    ]
    not_before, not_after = _leaf_window(ca_cert, now, days)
    return _build(subject, ca_cert.subject, public_key, not_before, not_after, extensions, ca_key)


def issue_signing_cert(
    ca_dir: Path,
    passphrase: str,
    agency: str,
    name_zh: str,
    name_en: str,
    public_key,
    now: datetime,
    days: int = 3650,
) -> x509.Certificate:
    """A document-signing (PAdES) certificate bound to an agency.

    Key usage digitalSignature + nonRepudiation (pyHanko requires
    nonRepudiation by default); the only extended key usage is RFC 9336
    documentSigning, so the certificate cannot double as a TLS or e-mail one.
    """
    now = _utc(now)
    _check_id(agency)
    public_key = check_p256(public_key)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _check_name("英文名称", "English name", name_en)),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, agency),
            x509.NameAttribute(NameOID.COMMON_NAME, _check_name("中文名称", "Chinese name", name_zh)),
        ]
    )
    ca_cert, ca_key = open_ca(ca_dir, passphrase, now)
    extensions = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True, content_commitment=True), True),
        (x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), False),
        *_key_ids(public_key, ca_cert),
    ]
    not_before, not_after = _leaf_window(ca_cert, now, days)
    return _build(subject, ca_cert.subject, public_key, not_before, not_after, extensions, ca_key)


# ---------------------------------------------------------------- runtime TLS files


def write_tls_files(directory: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    """Write `tls.crt` and an UNENCRYPTED `tls.key` (mode 0600) for uvicorn.

    uvicorn (the `ssl` module) cannot read sealed keys, so the key must exist
    in the clear while the server runs. `directory` must be a private
    directory made for this one server start (see `runtime_tls_files`),
    which the caller deletes on shutdown; never a node home.
    """
    directory = Path(directory)
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise PkiError("TLS 证书与密钥不符", "the TLS certificate and key do not belong together")
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_atomic(key_path, pem_key, mode=0o600, sync_dir=False)
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), sync_dir=False)
    return cert_path, key_path


@contextmanager
def runtime_tls_files(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Iterator[tuple[Path, Path]]:
    """`write_tls_files` into a fresh 0700 temp directory, removed on exit."""
    directory = Path(tempfile.mkdtemp(prefix="citychain-tls-"))
    try:
        yield write_tls_files(directory, cert, key)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

"""Enrolment by files: the agency makes its keys and a signed request; the root
checks it, registers the agency and answers with a signed response.

No private key leaves the machine it was made on, and no process needs both
homes (docs/protocol.md §9, Enrolment). Both files are canonical JSON (§1).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from citychain.clock import format_time
from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log.canonical import CanonicalError, canonical, parse_canonical
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.keys import KdfCost, Signer, load_key, public_key_from_bytes, verify
from citychain.log.keys import kid as key_id
from citychain.node.bundle import TrustBundle, export_bundle, trust_from_bundle
from citychain.node.home import Home
from citychain.node.node import Node, resolve_passphrase
from citychain.node.tls import ca_passphrase_for
from citychain.node.trust import (
    CA_SET,
    CERT_ISSUED,
    REGISTERED,
    TrustState,
    cert_issued_json,
    check_url,
    is_loopback,
    key_json,
)
from citychain.pki.ca import (
    CA_CERT_FILE,
    CLOCK_SKEW,
    PkiError,
    cert_fingerprint,
    check_p256,
    issue_signing_cert,
    issue_tls_cert,
    load_ca_cert,
    new_ec_key,
    read_sealed_public_key,
    save_cert,
    save_sealed_key,
    subject_alt_names,
    verify_issued_by,
)

REQUEST_FORMAT = "citychain-enrol-request/v1"
RESPONSE_FORMAT = "citychain-enrol-response/v1"
MAX_REQUEST = 64 * 1024
MAX_RESPONSE = 16 * 1024 * 1024
MAX_HOSTS = 16
REQUEST_COPY = "enrol-request.json"  # in HOME/tls/pending: what enrol-accept binds the response to
ANSWERS_DIR = "enrolments"  # in the root's home: each response it wrote, by request fingerprint
_REQUEST_FIELDS = {
    "format", "city", "agency", "name_zh", "name_en", "url", "hosts", "uscc",
    "public_key", "tls_csr", "seal_csr", "signature",
}  # fmt: skip
_RESPONSE_FIELDS = {
    "format", "city", "agency", "request_sha256", "tls_cert", "seal_cert", "ca_cert",
    "trust_bundle", "peers", "root_kid", "signature",
}  # fmt: skip


class EnrolError(MessageError, ValueError):
    """An enrolment file refused; nothing was written."""

    code = "BAD_ENROLMENT"


def fingerprint(data: bytes) -> str:
    """Lowercase hex SHA-256 of a request file's bytes (they are canonical)."""
    return hashlib.sha256(data).hexdigest()


def _signed(value: dict, signer: Signer) -> bytes:
    """The canonical bytes of `value` plus `signature`: Ed25519 over the
    canonical bytes of `value` without it."""
    return canonical({**value, "signature": b64encode(signer.sign(canonical(value)))})


def _open(data: bytes, fmt: str, fields: set[str], limit: int, what_zh: str, what_en: str) -> tuple[dict, bytes]:
    """The parsed document and the bytes its signature covers."""
    try:
        value = parse_canonical(data, max_bytes=limit)
    except CanonicalError as exc:
        raise EnrolError(f"{what_zh}不是规范 JSON：{exc}", f"the {what_en} is not canonical JSON: {exc}") from None
    if not isinstance(value, dict) or value.get("format") != fmt:
        raise EnrolError(f"此文件不是{what_zh}", f"this file is not a CityChain {what_en} ({fmt})")
    if set(value) - fields or any(not isinstance(value.get(k), str) for k in ("city", "agency", "signature")):
        raise EnrolError(f"{what_zh}的字段不符", f"the {what_en} has unknown or missing fields")
    body = {k: v for k, v in value.items() if k != "signature"}
    return value, canonical(body)


def _signature_ok(value: dict, message: bytes, public_raw: bytes) -> bool:
    try:
        return verify(public_key_from_bytes(public_raw), b64decode(value["signature"]), message)
    except (EncodingError, ValueError, MessageError):
        return False


# ---------------------------------------------------------------- the agency: request


def _csr(key, subject: list[x509.NameAttribute], hosts: list[str] | None) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(subject))
    if hosts is not None:
        builder = builder.add_extension(subject_alt_names(hosts), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")


def make_request(
    home: Home,
    url: str,
    hosts: list[str],
    name_zh: str,
    name_en: str,
    uscc: str | None = None,
    cost: KdfCost = KdfCost(),
) -> bytes:
    """New TLS and seal keys (sealed with the node passphrase) and the signed
    request for them, kept in HOME/tls/pending until the response is accepted.

    A home that already holds certificates asks for new ones the same way
    (renewal); its installed keys serve until then.
    """
    config = home.config()
    fields = check_fields(url, hosts, name_zh, name_en, uscc)
    passphrase = resolve_passphrase(home, config, None)
    signer = load_key(home.key_path, passphrase)
    tls_key, seal_key = new_ec_key(), new_ec_key()
    agency = config.agency
    value = {
        "format": REQUEST_FORMAT,
        "city": config.city,
        "agency": agency,
        **fields,
        "public_key": b64encode(signer.public_raw),
        "tls_csr": _csr(tls_key, _tls_subject(agency), hosts),
        "seal_csr": _csr(seal_key, _seal_subject(agency, name_zh, name_en), None),
    }
    data = _signed(value, signer)
    pending = home.pending_dir
    pending.mkdir(mode=0o700, parents=True, exist_ok=True)
    cipher = home.config().suite.cipher
    save_sealed_key(pending / home.tls_key_path.name, tls_key, passphrase, cost, cipher)
    save_sealed_key(pending / home.seal_key_path.name, seal_key, passphrase, cost, cipher)
    write_atomic(pending / REQUEST_COPY, data)
    return data


def _tls_subject(agency: str) -> list[x509.NameAttribute]:
    return [x509.NameAttribute(NameOID.SERIAL_NUMBER, agency), x509.NameAttribute(NameOID.COMMON_NAME, agency)]


def _seal_subject(agency: str, name_zh: str, name_en: str) -> list[x509.NameAttribute]:
    return [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name_en),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, agency),
        x509.NameAttribute(NameOID.COMMON_NAME, name_zh),
    ]


def check_fields(url, hosts, name_zh, name_en, uscc) -> dict:
    """The request's plain fields, checked the same way on both sides."""
    url = check_url(url)
    if (
        not isinstance(hosts, list)
        or not 1 <= len(hosts) <= MAX_HOSTS
        or any(not isinstance(h, str) for h in hosts)
        or len(set(hosts)) != len(hosts)
    ):
        raise EnrolError(
            f"主机名须为 1 至 {MAX_HOSTS} 个互不相同的值", f"give 1 to {MAX_HOSTS} distinct host names or IP addresses"
        )
    try:
        subject_alt_names(hosts)
        for label_zh, label_en, name in (("中文名称", "Chinese name", name_zh), ("英文名称", "English name", name_en)):
            if not isinstance(name, str) or not name.strip() or len(name) > 64:
                raise PkiError(f"{label_zh}须为 1 至 64 个字符", f"the {label_en} must be 1 to 64 characters")
    except PkiError as exc:
        raise EnrolError(exc.message_zh, exc.message_en) from None
    if _host_key(urlsplit(url).hostname or "") not in {_host_key(h) for h in hosts}:
        raise EnrolError("地址中的主机须在主机名之列", f"the host of {url} must be one of the hosts {hosts}")
    if uscc is not None and (not isinstance(uscc, str) or not (uscc.isascii() and uscc.isalnum()) or len(uscc) > 32):
        raise EnrolError("统一社会信用代码无效", f"the USCC {uscc!r} must be up to 32 letters and digits")
    fields = {"name_zh": name_zh, "name_en": name_en, "url": url, "hosts": hosts}
    return fields if uscc is None else {**fields, "uscc": uscc}


def _host_key(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()


# ---------------------------------------------------------------- the root: response


@dataclass(frozen=True)
class Request:
    """A request whose signature and both proofs of possession hold."""

    data: bytes
    value: dict
    public_raw: bytes
    tls_key: object
    seal_key: object

    @property
    def agency(self) -> str:
        return self.value["agency"]


def read_request(data: bytes, expected_fingerprint: str) -> Request:
    """Check a request file; refuses unless its fingerprint is the one the
    operator was given by the agency through another channel."""
    if fingerprint(data) != expected_fingerprint.strip().lower():
        raise EnrolError(
            "申请文件的指纹与给定的不符，拒绝登记", "the request's fingerprint does not match the one given; refused"
        )
    value, message = _open(data, REQUEST_FORMAT, _REQUEST_FIELDS, MAX_REQUEST, "入网申请", "enrolment request")
    fields = check_fields(
        value.get("url"), value.get("hosts"), value.get("name_zh"), value.get("name_en"), value.get("uscc")
    )
    try:
        public_raw = b64decode(value.get("public_key"))
        public_key_from_bytes(public_raw)
    except (EncodingError, ValueError, TypeError, MessageError):
        raise EnrolError("申请中的公钥无效", "the request's public key is not an Ed25519 key") from None
    if not _signature_ok(value, message, public_raw):
        raise EnrolError("申请的签名无效", "the request's signature does not verify under its own key")
    tls_csr = _load_csr(value.get("tls_csr"), "TLS")
    seal_csr = _load_csr(value.get("seal_csr"), "seal")
    try:
        sans = tls_csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    if sans != subject_alt_names(fields["hosts"]):
        raise EnrolError("TLS 证书申请中的主机名与申请不符", "the TLS CSR's names differ from the request's hosts")
    for csr in (tls_csr, seal_csr):
        if csr.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER) != [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, value["agency"])
        ]:
            raise EnrolError("证书申请中的机构标识不符", "a CSR names another agency than the request")
    return Request(data, value, public_raw, tls_csr.public_key(), seal_csr.public_key())


def _load_csr(pem, what: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(pem.encode("ascii"))
        check_p256(csr.public_key())
        ok = csr.is_signature_valid
    except (AttributeError, ValueError, UnicodeError, PkiError):
        raise EnrolError(
            f"{what} 证书申请无法解析或不是 P-256", f"the {what} CSR does not parse or is not P-256"
        ) from None
    if not ok:
        raise EnrolError(f"{what} 证书申请的签名无效（未证明持有私钥）", f"the {what} CSR's signature does not verify")
    return csr


def _clash(trust: TrustState, request: Request) -> tuple[str, str] | None:
    """Why another registered agency stands in the way, or None.

    Loopback hosts may be shared: a certificate for 127.0.0.1 only ever
    answers on the machine it is used on, so a city on one machine (the demo,
    the tests) can give every node one.
    """
    value = request.value
    hosts = {_host_key(h) for h in value["hosts"] if not is_loopback(h)}
    for agency in trust.agencies.values():
        if agency.url is None or agency.id == value["agency"]:
            continue
        if agency.url == value["url"] or _host_key(urlsplit(agency.url).hostname or "") in hosts:
            return (
                f"地址或主机已属于机构 {agency.id}（{agency.url}）",
                f"the URL or a host already belongs to agency {agency.id} ({agency.url})",
            )
    return None


def _renewal(trust: TrustState, request: Request, now: datetime) -> bool:
    """Whether the request renews a registered agency's certificates; refuses
    one that claims a registered agency without holding its key."""
    known = trust.agencies.get(request.agency)
    if known is None:
        return False
    if known.status.status != "active":
        raise EnrolError(
            f"机构 {known.id} 已被{'暂停' if known.status.status == 'suspended' else '撤销'}，不能续期",
            f"agency {known.id} is {known.status.status}; its certificates are not renewed",
        )
    if request.public_raw not in {k.public_key for k in known.current_keys(format_time(now))}:
        raise EnrolError(
            f"机构 {known.id} 已登记，且申请不是用它的现行密钥签名的",
            f"agency {known.id} is already registered and the request is not signed by its current key",
        )
    if request.value["url"] != known.url:
        raise EnrolError(
            f"续期申请的地址与信任日志不符（{known.url}）；地址变更请用 trust set-url",
            f"the renewal's URL differs from the trust log's ({known.url}); change it with trust set-url first",
        )
    return True


def enrol(
    node: Node,
    user,
    request: Request,
    permissions: list[str],
    attributes: dict[str, str],
    now,
    ca_dir: Path | None = None,
) -> bytes:
    """Register the agency (or, for one already registered, renew its
    certificates), certify both keys, and the signed response (bytes).

    Everything is checked and both certificates issued before any trust
    record is written, so a refusal leaves the trust log as it was.
    """
    config, value = node.config, request.value
    if not node.is_root:
        raise EnrolError("只有根机构的节点可以登记机构", f"{node.home.path} is not the root authority's home")
    earlier = answered_before(node.home, request)
    if earlier is not None:  # sent twice (a lost response, a second click): nothing is issued twice
        return earlier
    if value["city"] != config.city:
        raise EnrolError(f"申请属于城市 {value['city']}", f"the request is for city {value['city']}, not {config.city}")
    renewal = _renewal(node.trust, request, now)
    if renewal and (permissions or attributes):
        raise EnrolError(
            "续期不改变权限或属性；请用 trust set-permissions",
            "a renewal changes no permissions or attributes; use trust set-permissions",
        )
    clash = _clash(node.trust, request)
    if clash:
        raise EnrolError(f"拒绝登记：{clash[0]}", f"refused: {clash[1]}")
    ca_dir = ca_dir or node.home.ca_dir
    ca_passphrase = ca_passphrase_for(node.passphrase())
    agency = value["agency"]
    tls_cert = issue_tls_cert(ca_dir, ca_passphrase, agency, value["hosts"], request.tls_key, now)
    seal_cert = issue_signing_cert(
        ca_dir, ca_passphrase, agency, value["name_zh"], value["name_en"], request.seal_key, now
    )
    ca_pem = (ca_dir / CA_CERT_FILE).read_text("ascii")
    ca_cert = load_ca_cert(ca_dir)
    body = {
        "agency": agency,
        "name_zh": value["name_zh"],
        "name_en": value["name_en"],
        "keys": [key_json(key_id(request.public_raw), request.public_raw, format_time(now - CLOCK_SKEW))],
        "permissions": list(permissions),
        "url": value["url"],
    }
    attrs = {**({"uscc": value["uscc"]} if "uscc" in value else {}), **attributes}
    if attrs:
        body["attributes"] = attrs
    records = certificate_records(node.trust, agency, tls_cert, seal_cert, ca_cert)
    node.append(user, (records if renewal else [(REGISTERED, body), *records]), target=agency)
    bundle = export_bundle(node.store, config.city, config.root_agency, config.root_keys, ca_pem, config.witness_quorum)
    peers = sorted(a.url for a in node.trust.agencies.values() if a.url and a.status.status == "active")
    response = {
        "format": RESPONSE_FORMAT,
        "city": config.city,
        "agency": agency,
        "request_sha256": fingerprint(request.data),
        "tls_cert": _pem(tls_cert),
        "seal_cert": _pem(seal_cert),
        "ca_cert": ca_pem,
        "trust_bundle": b64encode(bundle.to_bytes()),
        "peers": peers,
        "root_kid": node.signer.kid,
    }
    data = _signed(response, node.signer)
    (node.home.path / ANSWERS_DIR).mkdir(mode=0o700, exist_ok=True)
    write_atomic(_answer_path(node.home, request), data, 0o600)
    return data


def answered_before(root: Home, request: Request) -> bytes | None:
    """The response this root already wrote for this very request, if any."""
    path = _answer_path(root, request)
    return path.read_bytes() if path.exists() else None


def _answer_path(root: Home, request: Request) -> Path:
    return root.path / ANSWERS_DIR / f"{fingerprint(request.data)}.json"


def certificate_records(
    trust: TrustState, agency: str, tls_cert: x509.Certificate, seal_cert: x509.Certificate, ca_cert: x509.Certificate
) -> list[tuple[str, dict]]:
    """The trust-log facts of newly issued certificates (their fingerprints, so
    they can be revoked), and the city CA's fingerprint if the log lacks it."""
    ca = cert_fingerprint(ca_cert)
    if trust.ca_fingerprint not in (None, ca):
        raise EnrolError(
            "信任日志中登记的城市根证书与本机的不同；更换根证书须专门进行",
            f"the trust log names another city CA ({trust.ca_fingerprint}) than this home's ({ca}); "
            "replacing the city CA must be a deliberate step",
        )
    records = [] if trust.ca_fingerprint else [(CA_SET, {"fingerprint": ca})]
    for use, cert in (("tls", tls_cert), ("seal", seal_cert)):
        body = cert_issued_json(agency, use, cert_fingerprint(cert), format_time(cert.not_valid_after_utc))
        records.append((CERT_ISSUED, body))
    return records


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


# ---------------------------------------------------------------- the agency: accept


@dataclass(frozen=True)
class Accepted:
    tls_cert: Path
    seal_cert: Path
    trust_size: int
    peers: tuple[str, ...]


def accept(node: Node, data: bytes, now: datetime) -> Accepted:
    """Check a response against this home (pinned root key, its own request,
    the keys it holds), then install the certificates, CA and trust log."""
    home, config = node.home, node.config
    value, message = _open(data, RESPONSE_FORMAT, _RESPONSE_FIELDS, MAX_RESPONSE, "入网答复", "enrolment response")
    if not any(_signature_ok(value, message, key) for key in config.root_keys):
        raise EnrolError(
            "答复不是由本节点固定的根密钥签名的", "the response is not signed by a root key this home pins"
        )
    pending = home.pending_dir
    request_copy = pending / REQUEST_COPY
    if not request_copy.is_file():
        raise EnrolError(
            "本节点没有待答复的申请", "this home has no enrolment request waiting (run node enrol-request)"
        )
    if value.get("request_sha256") != fingerprint(request_copy.read_bytes()):
        raise EnrolError("答复不是针对本节点的申请", "the response answers another request than this home's")
    if value["city"] != config.city or value["agency"] != config.agency:
        raise EnrolError("答复属于另一个机构", f"the response is for {value['city']}/{value['agency']}")
    try:
        ca_cert = x509.load_pem_x509_certificate(value["ca_cert"].encode("ascii"))
        certs = {
            name: x509.load_pem_x509_certificate(value[name].encode("ascii")) for name in ("tls_cert", "seal_cert")
        }
        bundle = TrustBundle.from_bytes(b64decode(value["trust_bundle"]))
    except (KeyError, AttributeError, ValueError, UnicodeError, EncodingError) as exc:
        raise EnrolError(
            "答复中的证书或信任包无法解析", f"a certificate or the trust bundle does not parse: {exc}"
        ) from None
    keys = {"tls_cert": home.tls_key_path, "seal_cert": home.seal_key_path}
    for name, key_path in keys.items():
        held = read_sealed_public_key(pending / key_path.name).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        got = (
            certs[name]
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        if got != held:
            raise EnrolError(
                "答复中的证书不是本节点持有的密钥的证书", f"the {name} is for a key this home does not hold"
            )
        verify_issued_by(certs[name], ca_cert, now)
    bundled = trust_from_bundle(bundle)  # signed checkpoint and chain, before anything is written
    if bundled.ca_fingerprint != cert_fingerprint(ca_cert):
        raise EnrolError(
            "答复中的根证书不是信任日志登记的城市根证书",
            "the response's CA certificate is not the one the trust log names",
        )
    if bundle.city_ca_pem.strip() != value["ca_cert"].strip():
        raise EnrolError("信任包中的根证书与答复不符", "the trust bundle's city CA differs from the response's")
    imported = node.import_trust_bundle(bundle)
    save_cert(home.city_ca_path, ca_cert)
    for name, cert_path in (("tls_cert", home.tls_cert_path), ("seal_cert", home.seal_cert_path)):
        os.replace(pending / keys[name].name, keys[name])
        save_cert(cert_path, certs[name])
    request_copy.unlink()
    pending.rmdir()
    peers = value.get("peers") or []
    return Accepted(home.tls_cert_path, home.seal_cert_path, imported.new_size, tuple(map(str, peers)))

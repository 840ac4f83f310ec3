"""The trust log: which agencies exist, their keys over time, what they may write.

Only the root authority's log may hold `trust.*` records. Every node replays it
(from its own pinned root keys, never from a document) into a `TrustState`, and
judges every other record against that state at the record's time. Times are
compared as strings: `clock.format_time` gives a fixed-width UTC form, so text
order is time order.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from citychain.clock import Clock, format_time, parse_time
from citychain.errors import CodedError
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.keys import kid as key_id
from citychain.log.keys import public_key_from_bytes
from citychain.log.records import ID_RE, Leaf, Record, verify_leaf_signature
from citychain.log.suite import DEFAULT, Suite, SuiteProblem, of_keys

REGISTERED = "trust.agency.registered"
KEY_ROTATED = "trust.key.rotated"
KEY_REVOKED = "trust.key.revoked"
SUSPENDED = "trust.agency.suspended"
REINSTATED = "trust.agency.reinstated"
REVOKED = "trust.agency.revoked"
PERMISSIONS_SET = "trust.permissions.set"
URL_SET = "trust.url.set"
CA_SET = "trust.ca.set"
CERT_ISSUED = "trust.cert.issued"
CERT_REVOKED = "trust.cert.revoked"
RULES_ACTIVATED = "trust.rules.activated"
TRUST_KINDS = (
    REGISTERED, KEY_ROTATED, KEY_REVOKED, SUSPENDED, REINSTATED, REVOKED, PERMISSIONS_SET, URL_SET,
    CA_SET, CERT_ISSUED, CERT_REVOKED, RULES_ACTIVATED,
)  # fmt: skip
CERT_USES = ("tls", "seal")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
ROOT_PERMISSION = "trust:root"


class TrustError(CodedError):
    """A record the trust state does not back; the code is verdict-like."""


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    public_key: bytes
    not_before: str
    not_after: str | None = None  # exclusive; None = open-ended
    revoked_from: str | None = None

    def problem_at(self, time: str) -> str | None:
        """Why this key may not sign at `time`, as a TrustError code, or None."""
        if self.revoked_from is not None and time >= self.revoked_from:
            return "KEY_REVOKED"
        if time < self.not_before:
            return "KEY_NOT_YET_VALID"
        if self.not_after is not None and time >= self.not_after:
            return "KEY_EXPIRED"
        return None


@dataclass(frozen=True)
class IssuedCert:
    """An X.509 certificate the city CA issued to an agency, known by its
    fingerprint (lowercase hex SHA-256 of its DER, `pki.ca.cert_fingerprint`)."""

    fingerprint: str
    use: str  # "tls" | "seal"
    not_after: str
    revoked_from: str | None = None
    reason: str = ""

    def revoked_at(self, time: str) -> bool:
        """Revoked for whatever is dated at or after `revoked_from` (a TLS
        handshake now, a seal by the time of its record in the ledger)."""
        return self.revoked_from is not None and time >= self.revoked_from


@dataclass(frozen=True)
class StatusChange:
    status: str  # active | suspended | revoked
    since: str
    reason: str = ""


@dataclass(frozen=True)
class Agency:
    id: str
    name_zh: str
    name_en: str
    keys: tuple[KeyInfo, ...]
    permissions: frozenset[str]
    history: tuple[StatusChange, ...]
    attributes: tuple[tuple[str, str], ...] = ()  # public, e.g. ("uscc", "1133…")
    url: str | None = None  # where its node serves (`check_url`); peers find each other by it
    certificates: tuple[IssuedCert, ...] = ()  # `trust.cert.issued`, in log order

    def certificate(self, fingerprint: str) -> IssuedCert | None:
        return next((c for c in self.certificates if c.fingerprint == fingerprint), None)

    def attribute(self, name: str) -> str | None:
        return dict(self.attributes).get(name)

    def key(self, kid: str) -> KeyInfo | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def status_at(self, time: str) -> StatusChange:
        current = self.history[0]
        for change in self.history:
            if change.since <= time:
                current = change
        return current

    @property
    def status(self) -> StatusChange:
        return self.history[-1]

    def current_keys(self, time: str) -> tuple[KeyInfo, ...]:
        return tuple(k for k in self.keys if k.problem_at(time) is None)


@dataclass
class TrustState:
    """Replayed from the trust log; mutable only through `apply`."""

    root_agency: str
    pinned_keys: frozenset[bytes]
    agencies: dict[str, Agency] = field(default_factory=dict)
    size: int = 0
    ca_fingerprint: str | None = None  # the city root CA certificate's (`trust.ca.set`)
    rules: dict[str, str] = field(default_factory=dict)  # rule set name → in force from (`trust.rules.activated`)

    @property
    def suite(self) -> Suite:
        """The city's suite, from the keys this node pins (never from a record or a document)."""
        return of_keys(self.pinned_keys)

    def agency(self, agency_id: str) -> Agency:
        agency = self.agencies.get(agency_id)
        if agency is None:
            raise TrustError(
                "UNKNOWN_ISSUER", "机构未在信任日志中登记", f"agency {agency_id!r} is not in the trust log"
            )
        return agency

    def certificate(self, fingerprint: str) -> tuple[Agency, IssuedCert] | None:
        """The agency a certificate was issued to, and its entry, if the trust log records it."""
        for agency in self.agencies.values():
            cert = agency.certificate(fingerprint)
            if cert is not None:
                return agency, cert
        return None

    def revoked_cert(self, fingerprint: str, time: str) -> tuple[Agency, IssuedCert] | None:
        """The agency and entry of a certificate revoked at `time`, or None."""
        found = self.certificate(fingerprint)
        return found if found is not None and found[1].revoked_at(time) else None

    def revoked_now(self, clock: Clock) -> Callable[[str], tuple[Agency, IssuedCert] | None]:
        """`revoked_cert` at the moment of asking: a TLS client's check of the server it reached."""
        return lambda fingerprint: self.revoked_cert(fingerprint, format_time(clock.now()))

    def judge(self, leaf: Leaf, permission: str | None) -> tuple[Agency, KeyInfo]:
        """Who signed `leaf`, if its signature holds and the trust log backs it."""
        agency, key = self._key(leaf.record, leaf.kid)
        if not verify_leaf_signature(leaf, public_key_from_bytes(key.public_key)):
            raise TrustError(
                "BAD_SIGNATURE",
                f"记录 {leaf.record.seq} 的签名无效",
                f"record {leaf.record.seq}: signature does not verify",
            )
        return self.authorise(leaf.record, leaf.kid, permission)

    def authorise(self, record: Record, kid: str, permission: str | None) -> tuple[Agency, KeyInfo]:
        """May `kid` of the record's agency write this record at its time?"""
        agency, key = self._key(record, kid)
        problem = key.problem_at(record.time)
        if problem is not None:
            raise TrustError(
                problem,
                f"记录 {record.seq}：密钥 {kid} 在 {record.time} 不可用",
                f"record {record.seq}: key {kid} is not valid at {record.time} ({problem})",
            )
        status = agency.status_at(record.time)
        if status.status != "active":
            word = {"suspended": "暂停", "revoked": "撤销"}[status.status]
            raise TrustError(
                "AGENCY_" + status.status.upper(),
                f"机构 {agency.id} 自 {status.since} 起已{word}",
                f"agency {agency.id} is {status.status} since {status.since}",
            )
        if permission is not None and permission not in agency.permissions:
            raise TrustError(
                "ISSUER_NOT_AUTHORISED",
                f"机构 {agency.id} 无权写入 {record.kind}",
                f"agency {agency.id} may not write {record.kind} (needs {permission!r})",
            )
        return agency, key

    def _key(self, record: Record, kid: str) -> tuple[Agency, KeyInfo]:
        agency = self.agency(record.log)
        key = agency.key(kid)
        if key is None:
            raise TrustError("UNKNOWN_KEY", f"密钥 {kid} 不属于 {agency.id}", f"key {kid} is not a key of {agency.id}")
        return agency, key

    def copy(self) -> TrustState:
        """A trial state for a batch; `adopt` takes it in once the batch commits."""
        return TrustState(
            self.root_agency, self.pinned_keys, dict(self.agencies), self.size, self.ca_fingerprint, dict(self.rules)
        )

    def adopt(self, other: TrustState) -> None:
        self.agencies, self.size, self.ca_fingerprint = other.agencies, other.size, other.ca_fingerprint
        self.rules = other.rules

    def rules_apply(self, name: str, time: str) -> bool:
        """Whether rule set `name` (opaque to the ledger) is in force for a record dated `time`."""
        since = self.rules.get(name)
        return since is not None and time >= since

    def apply(self, leaf: Leaf) -> None:
        """Check one trust-log leaf against the state so far, then take it in."""
        record = leaf.record
        if record.log != self.root_agency:
            raise TrustError("NOT_TRUST_LOG", f"trust records belong to {self.root_agency}'s log only")
        if record.seq != self.size:
            raise TrustError("WRONG_SEQ", f"trust record {record.seq} applied out of order (expected {self.size})")
        if record.seq == 0:
            self._apply_genesis(leaf)
        else:
            self.judge(leaf, ROOT_PERMISSION)
            handler = _HANDLERS.get(record.kind)
            if handler is None:
                raise TrustError("UNKNOWN_KIND", f"the trust log may not hold {record.kind!r}")
            updated = handler(self, record)
            if updated is not None:  # None: a fact of the city, not of one agency (`trust.ca.set`)
                self.agencies[updated.id] = updated
        self.size += 1

    def _apply_genesis(self, leaf: Leaf) -> None:
        record = leaf.record
        if record.kind != REGISTERED or record.body.get("agency") != self.root_agency:
            raise TrustError("BAD_GENESIS", "the trust log must open by registering the root authority")
        agency = _registered(self, record)
        declared = record.body.get("suite", DEFAULT.name)
        if declared != self.suite.name:
            raise TrustError(
                "SUITE_MISMATCH",
                f"信任日志声明的密码套件 {declared!r} 与本节点固定的根密钥（{self.suite.name}）不符",
                f"the trust log declares suite {declared!r}, but the root keys this node pins are {self.suite.name}",
            )
        key = agency.key(leaf.kid)
        if key is None or key.public_key not in self.pinned_keys:
            raise TrustError("UNPINNED_ROOT", "the root authority's key is not one this node pins")
        if not verify_leaf_signature(leaf, public_key_from_bytes(key.public_key)):
            raise TrustError("BAD_SIGNATURE", "the trust log's first record is not signed by its key")
        if ROOT_PERMISSION not in agency.permissions:
            raise TrustError("BAD_GENESIS", f"the root authority must hold {ROOT_PERMISSION!r}")
        self.agencies[agency.id] = agency

    def replay(self, leaves: Iterable[Leaf]) -> TrustState:
        for leaf in leaves:
            self.apply(leaf)
        return self


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise TrustError("BAD_BODY", f"field {name!r} must be a {kind.__name__}")
    return value


def _text(body: dict[str, Any], name: str, max_len: int = 200) -> str:
    value = _field(body, name, str)
    if not value.strip() or len(value) > max_len:
        raise TrustError("BAD_BODY", f"field {name!r} must be non-empty text of at most {max_len} characters")
    return value


def _time(body: dict[str, Any], name: str, optional: bool = False) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    try:
        parse_time(value)
    except ValueError as exc:
        raise TrustError("BAD_BODY", f"field {name!r}: {exc}") from exc
    return value


def _of_city_suite(state: TrustState, key: KeyInfo) -> KeyInfo:
    try:
        state.suite.check_key(key.public_key, f"key {key.kid}")
    except SuiteProblem as exc:
        raise TrustError("SUITE_MISMATCH", exc.message_zh, exc.message_en) from None
    return key


def parse_key(value: Any) -> KeyInfo:
    if not isinstance(value, dict):
        raise TrustError("BAD_BODY", "a key must be an object")
    try:
        raw = b64decode(_field(value, "public_key", str))
        public_key_from_bytes(raw)
    except (EncodingError, ValueError) as exc:
        raise TrustError("BAD_KEY", f"public_key is not a key of any suite: {exc}") from exc
    if value.get("kid") != key_id(raw):
        raise TrustError("BAD_KEY", "kid does not match the public key")
    not_before = _time(value, "not_before")
    not_after = _time(value, "not_after", optional=True)
    if not_after is not None and not_after <= not_before:
        raise TrustError("BAD_KEY", "not_after must be later than not_before")
    return KeyInfo(value["kid"], raw, not_before, not_after)


_HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: Any) -> str:
    """An agency's node address, exactly `http(s)://HOST:PORT`: nothing else a
    peer could be sent to (no path, user or query); plain http only on loopback."""
    shown = repr(url)[:120]

    def bad(why_zh: str, why_en: str) -> TrustError:
        return TrustError(
            "BAD_URL",
            f"机构地址 {shown} 无效：{why_zh}；应为 https://主机:端口（回环地址可用 http://）",
            f"agency URL {shown} is not valid: {why_en}; it must be https://HOST:PORT (http:// only on loopback)",
        )

    if not isinstance(url, str) or not url or len(url) > 200 or not url.isascii() or not url.isprintable():
        raise bad("须为不超过 200 个字符的 ASCII 文本", "it must be ASCII text of at most 200 characters")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise bad("只能以 http:// 或 https:// 开头", "it must start with http:// or https://")
    if any(c in rest for c in "/?#@ \\"):
        raise bad("不能含路径、查询、用户名或空格", "it may have no path, query, user name or spaces")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError as exc:
        raise bad("主机或端口无法解析", f"its host or port does not parse ({exc})") from exc
    if not port or rest.rsplit(":", 1)[-1] != str(port):
        raise bad("须写明端口（1–65535）", "it must give a port (1-65535)")
    if rest.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise bad("方括号内须为 IPv6 地址", "brackets must hold an IPv6 address") from exc
    elif not _HOST_NAME.fullmatch(rest.rsplit(":", 1)[0]):
        raise bad("主机名须为小写字母、数字、连字符和点", "the host must be lowercase letters, digits, '-' and '.'")
    if scheme != "https" and not is_loopback(host):
        raise bad("非回环主机须用 https://", "a host beyond loopback needs https://")
    return url


def _permissions(body: dict[str, Any]) -> frozenset[str]:
    values = _field(body, "permissions", list)
    if any(not isinstance(p, str) or not p for p in values) or len(set(values)) != len(values):
        raise TrustError("BAD_BODY", "permissions must be distinct non-empty strings")
    return frozenset(values)


def _existing(state: TrustState, body: dict[str, Any]) -> Agency:
    agency = state.agency(_field(body, "agency", str))
    if agency.status.status == "revoked":
        raise TrustError("AGENCY_REVOKED", f"agency {agency.id} is revoked for good")
    return agency


def _registered(state: TrustState, record: Record) -> Agency:
    body = record.body
    agency_id = _field(body, "agency", str)
    if not ID_RE.match(agency_id):
        raise TrustError("BAD_BODY", f"agency id {agency_id!r} must be lowercase letters, digits and '-'")
    if agency_id in state.agencies:
        raise TrustError("DUPLICATE", f"agency {agency_id} is already registered")
    keys = tuple(_of_city_suite(state, parse_key(k)) for k in _field(body, "keys", list))
    if not keys or len({k.kid for k in keys}) != len(keys):
        raise TrustError("BAD_BODY", "an agency needs at least one key, each listed once")
    history = (StatusChange("active", record.time),)
    attributes = body.get("attributes", {})
    if not isinstance(attributes, dict) or any(not isinstance(v, str) for v in attributes.values()):
        raise TrustError("BAD_BODY", "attributes must map names to text")
    return Agency(
        agency_id,
        _text(body, "name_zh"),
        _text(body, "name_en"),
        keys,
        _permissions(body),
        history,
        tuple(sorted(attributes.items())),
        None if body.get("url") is None else check_url(body["url"]),
    )


def _key_rotated(state: TrustState, record: Record) -> Agency:
    agency = _existing(state, record.body)
    new_key = _of_city_suite(state, parse_key(record.body.get("new_key")))
    if agency.key(new_key.kid) is not None:
        raise TrustError("DUPLICATE", f"key {new_key.kid} is already a key of {agency.id}")
    retire_kid = _field(record.body, "retire_kid", str)
    retire_at = _time(record.body, "retire_at")
    old = agency.key(retire_kid)
    if old is None:
        raise TrustError("UNKNOWN_KEY", f"key {retire_kid} is not a key of {agency.id}")
    ends = min(filter(None, (old.not_after, retire_at)))
    keys = tuple(replace(k, not_after=ends) if k.kid == retire_kid else k for k in agency.keys)
    return replace(agency, keys=keys + (new_key,))


def _key_revoked(state: TrustState, record: Record) -> Agency:
    agency = _existing(state, record.body)
    revoked_kid = _field(record.body, "kid", str)
    if agency.key(revoked_kid) is None:
        raise TrustError("UNKNOWN_KEY", f"key {revoked_kid} is not a key of {agency.id}")
    since = _time(record.body, "from")
    _text(record.body, "reason")
    keys = tuple(replace(k, revoked_from=since) if k.kid == revoked_kid else k for k in agency.keys)
    return replace(agency, keys=keys)


def _status(new_status: str, allowed_from: tuple[str, ...]):
    def handler(state: TrustState, record: Record) -> Agency:
        agency = _existing(state, record.body)
        if agency.id == state.root_agency:
            raise TrustError("BAD_BODY", "the root authority cannot change its own status")
        if agency.status.status not in allowed_from:
            raise TrustError("BAD_STATE", f"agency {agency.id} is {agency.status.status}; cannot become {new_status}")
        change = StatusChange(new_status, record.time, _text(record.body, "reason", 500))
        return replace(agency, history=agency.history + (change,))

    return handler


def _permissions_set(state: TrustState, record: Record) -> Agency:
    agency = _existing(state, record.body)
    return replace(agency, permissions=_permissions(record.body))


def _url_set(state: TrustState, record: Record) -> Agency:
    agency = _existing(state, record.body)
    return replace(agency, url=check_url(record.body.get("url")))


def _fingerprint(body: dict[str, Any]) -> str:
    value = _field(body, "fingerprint", str)
    if not _FINGERPRINT.fullmatch(value):
        raise TrustError("BAD_BODY", "fingerprint must be 64 lowercase hex digits (SHA-256 of the DER)")
    return value


def _ca_set(state: TrustState, record: Record) -> None:
    state.ca_fingerprint = _fingerprint(record.body)


def _rules_activated(state: TrustState, record: Record) -> None:
    """A rule set is in force from `from` (default: the record's time), never
    earlier than the record itself: records already written stay valid."""
    name = _text(record.body, "rules", 100)
    if name in state.rules:
        raise TrustError("DUPLICATE", f"rules {name!r} are already in force from {state.rules[name]}")
    since = _time(record.body, "from", optional=True) or record.time
    if since < record.time:
        raise TrustError("BAD_BODY", "rules cannot take effect before the record that activates them")
    state.rules[name] = since


def _cert_issued(state: TrustState, record: Record) -> Agency:
    agency = _existing(state, record.body)
    use = record.body.get("use")
    if use not in CERT_USES:
        raise TrustError("BAD_BODY", f"use must be one of {', '.join(CERT_USES)}")
    fingerprint = _fingerprint(record.body)
    if state.certificate(fingerprint) is not None:
        raise TrustError("DUPLICATE", f"certificate {fingerprint} is already recorded")
    not_after = _time(record.body, "not_after")
    if not_after <= record.time:
        raise TrustError("BAD_BODY", "not_after must be later than the record's time")
    return replace(agency, certificates=agency.certificates + (IssuedCert(fingerprint, use, not_after),))


def _cert_revoked(state: TrustState, record: Record) -> Agency:
    """Any certificate of the agency's, even after the agency is revoked (a
    stolen seal key outlives the agency)."""
    agency = state.agency(_field(record.body, "agency", str))
    fingerprint = _fingerprint(record.body)
    cert = agency.certificate(fingerprint)
    if cert is None:
        raise TrustError(
            "UNKNOWN_CERT",
            f"证书 {fingerprint} 不是签发给 {agency.id} 的（信任日志中无记录）",
            f"certificate {fingerprint} was not issued to {agency.id} (no trust.cert.issued record)",
        )
    if cert.revoked_from is not None:
        raise TrustError("DUPLICATE", f"certificate {fingerprint} is already revoked from {cert.revoked_from}")
    revoked = replace(cert, revoked_from=_time(record.body, "from"), reason=_text(record.body, "reason", 500))
    certificates = tuple(revoked if c.fingerprint == fingerprint else c for c in agency.certificates)
    return replace(agency, certificates=certificates)


_HANDLERS = {
    REGISTERED: _registered,
    KEY_ROTATED: _key_rotated,
    KEY_REVOKED: _key_revoked,
    SUSPENDED: _status("suspended", ("active",)),
    REINSTATED: _status("active", ("suspended",)),
    REVOKED: _status("revoked", ("active", "suspended")),
    PERMISSIONS_SET: _permissions_set,
    URL_SET: _url_set,
    CA_SET: _ca_set,
    CERT_ISSUED: _cert_issued,
    CERT_REVOKED: _cert_revoked,
    RULES_ACTIVATED: _rules_activated,
}


def key_json(kid: str, public_key: bytes, not_before: str, not_after: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kid": kid, "public_key": b64encode(public_key), "not_before": not_before}
    if not_after is not None:
        body["not_after"] = not_after
    return body


def cert_issued_json(agency: str, use: str, fingerprint: str, not_after: str) -> dict[str, Any]:
    """The body of a `trust.cert.issued` record (see `pki.ca.cert_fingerprint`)."""
    return {"agency": agency, "use": use, "fingerprint": fingerprint, "not_after": not_after}

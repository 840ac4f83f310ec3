"""Talking to a node over HTTP(S), trusting nothing it sends.

`NodeSession` is the one hardened door every caller uses (the sync loop's
`PeerClient`, the counter, the kiosk, the verifiers' status reports): the CA
file of the caller's own configuration is the only trust anchor, the
environment's proxies and CA bundles are ignored, and every request is
bounded in size and in total time — connecting, headers and body, however
slowly a node trickles them (`_Deadline`). Whatever goes wrong on the way is a
`PeerError` with a stable code; `PeerClient` also parses strictly, so anything
odd a peer sends becomes one too, which the sync loop reports and backs off on.

A node also refuses, right after the handshake, a server whose certificate the
trust log revokes (`CERT_REVOKED`, `_CheckedHTTPSConnection`): the chain to the
city CA says the CA issued it once, the trust log whether the root still
stands behind it (docs/protocol.md §9).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, LocationValueError
from urllib3.util.retry import Retry

from citychain.errors import CodedError
from citychain.log.encoding import EncodingError, b64decode

if TYPE_CHECKING:
    from citychain.node.trust import Agency, IssuedCert

MAX_RESPONSE_BYTES = 8 << 20
PAGE = 1000


class PeerError(CodedError):
    """A peer that failed or lied; it is backed off and reported. `sent` is
    False when the connection never opened, so the node cannot have acted.
    One text (the operator's English) is both messages unless `message_en` is given."""

    def __init__(self, code: str, message: str, message_en: str | None = None, *, sent: bool = True) -> None:
        super().__init__(code, message, message_en)
        self.sent = sent


@dataclass(frozen=True)
class Limits:
    """All a peer may cost us per request, in one place; tests pass smaller ones."""

    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    deadline: float = 20.0  # the whole request, however slowly it trickles
    max_bytes: int = MAX_RESPONSE_BYTES


@dataclass(frozen=True)
class Answer:
    """A node's whole answer, read within the limits."""

    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        """The body as JSON; a ValueError (or RecursionError) if it is not."""
        return json.loads(self.body)


T = TypeVar("T")
# What parsing or checking a peer's document may raise; RecursionError is deep nesting.
BAD_DOCUMENT = (ValueError, TypeError, LookupError, AttributeError, RecursionError)
_DEADLINE: ContextVar[_Deadline | None] = ContextVar("citychain_peer_deadline", default=None)
# The current request's check of the server's certificate (DER), run on every new connection.
_SERVER_CERT_CHECK: ContextVar[Callable[[bytes], None] | None] = ContextVar("citychain_server_cert", default=None)
# fingerprint (hex SHA-256 of the DER) -> (agency, entry) when the trust log revokes that certificate now
RevokedCert = Callable[[str], "tuple[Agency, IssuedCert] | None"]


class _Deadline:
    """A request's wall-clock limit, enforced even while a read blocks.

    requests and urllib3 time each socket operation only (urllib3's `Timeout`
    docs: a server streaming a byte every few seconds never trips it), and
    neither offers a total deadline; so when time is up this timer shuts the
    request's socket for reading — what urllib3's own `HTTPResponse.shutdown()`
    does — which wakes a read blocked on headers or body at once."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._shutdown: Callable[[int], None] | None = None
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._token = _DEADLINE.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done, self._shutdown = True, None
        _DEADLINE.reset(self._token)

    def watch(self, sock: socket.socket) -> None:
        """The socket this request's response arrives on (see `_Watched`)."""
        with self._lock:
            self._shutdown = sock.shutdown
            if self.expired:
                self._cut()

    def _expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired = True
                self._cut()

    def _cut(self) -> None:
        if self._shutdown is None:
            return  # still connecting (bounded by connect_timeout); `watch` cuts at once
        try:
            self._shutdown(socket.SHUT_RD)
        except OSError:
            pass  # the connection is already closed: nothing left to wake


class _Watched:
    """A connection that hands its socket to the current request's deadline
    just before it waits for the response."""

    def getresponse(self, *args: Any, **kwargs: Any):
        deadline = _DEADLINE.get()
        if deadline is not None and self.sock is not None:
            deadline.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_Watched, HTTPSConnection):
    """Once the TLS handshake has checked the chain to the city CA, the
    server's own certificate goes to the request's check (`_SERVER_CERT_CHECK`)
    before a byte of the request is sent; a refusal closes the connection."""

    def connect(self) -> None:
        super().connect()
        check = _SERVER_CERT_CHECK.get()
        if check is not None:
            try:
                check(self.sock.getpeercert(binary_form=True) or b"")
            except BaseException:
                self.close()
                raise


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections a `_Deadline` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _never_sent(exc: Exception) -> bool:
    """True when the connection never opened, so the node cannot have acted."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError (refused, no route, no name) included


def retry_reads(times: int) -> Retry:
    """Reads (GET, HEAD) tried again on a failed connection or read and on a
    502 or 504; writes only when the connection never opened, so a request the
    node may have carried out is never sent twice."""
    return Retry(
        total=times,
        connect=times,
        read=times,
        status=times,
        backoff_factor=0.2,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=(502, 504),
        raise_on_status=False,
    )


class NodeSession:
    """Requests to one node: pinned CA, no proxy, capped size, a deadline.

    `retry` is urllib3's: none by default, since only the caller knows which
    of its requests may be sent twice."""

    def __init__(
        self,
        url: str,
        ca_file: str | None = None,
        limits: Limits = Limits(),
        retry: Retry | int = 0,
        token: str | None = None,
        revoked: RevokedCert | None = None,
    ) -> None:
        """`revoked` (a node's trust log) refuses a server whose certificate it revokes."""
        self.url = url.rstrip("/")
        self.revoked = revoked
        self.limits = limits
        self.session = requests.Session()
        self.session.mount("http://", _DeadlineAdapter(max_retries=retry))
        self.session.mount("https://", _DeadlineAdapter(max_retries=retry))
        # The city root CA from the caller's own configuration is the only trust
        # anchor: environment variables (REQUESTS_CA_BUNDLE, proxies) are ignored,
        # and verify is passed per request since requests lets the environment
        # override the session's setting.
        self.session.trust_env = False
        self.verify: str | bool = str(ca_file) if ca_file else True
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, max_bytes: int | None = None, **kwargs: Any) -> Answer:
        """One exchange within `limits.deadline`, whatever the node sends;
        `max_bytes` replaces `limits.max_bytes` for an answer whose format
        bounds its size (a tile); `kwargs` go to requests (params, json, data, headers)."""
        with _Deadline(self.limits.deadline) as deadline, self._server_cert_checked():
            try:
                answer = self._exchange(method, path, max_bytes or self.limits.max_bytes, **kwargs)
            except requests.exceptions.RequestException as exc:
                error = self._too_slow() if deadline.expired else self._transport_error(exc)
                error.sent = not _never_sent(exc)
                raise error from exc
            except LocationValueError as exc:  # requests lets some bad host names through unwrapped
                raise PeerError("BAD_URL", "对等节点地址无效", f"not a valid peer URL: {self.url}", sent=False) from exc
            if deadline.expired:  # a cut read can end quietly, as if the peer had finished: what came is not the answer
                raise self._too_slow()
            return answer

    def _exchange(self, method: str, path: str, max_bytes: int, **kwargs: Any) -> Answer:
        limits = self.limits
        with self.session.request(
            method,
            self.url + path,
            stream=True,
            timeout=(limits.connect_timeout, limits.read_timeout),
            verify=self.verify,
            **kwargs,
        ) as response:
            length = response.headers.get("Content-Length", "")
            if length.isascii() and length.isdigit() and int(length) > max_bytes:
                raise PeerError("TOO_LARGE", f"{self.url} announced {length} bytes (limit {max_bytes})")
            body = bytearray()
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise PeerError("TOO_LARGE", f"{self.url} sent more than {max_bytes} bytes")
            return Answer(response.status_code, bytes(body), response.headers.get("Content-Type", ""))

    @contextmanager
    def _server_cert_checked(self) -> Iterator[None]:
        """Connections opened meanwhile check the server's certificate against `revoked`."""
        token = _SERVER_CERT_CHECK.set(self._check_server_cert if self.revoked is not None else None)
        try:
            yield
        finally:
            _SERVER_CERT_CHECK.reset(token)

    def _check_server_cert(self, der: bytes) -> None:
        found = self.revoked(hashlib.sha256(der).hexdigest())  # type: ignore[misc] - set only with `revoked`
        if found is None:
            return
        agency, cert = found
        raise PeerError(
            "CERT_REVOKED",
            f"对等节点 {self.url} 出示的 TLS 证书已被信任日志吊销（{agency.id}，自 {cert.revoked_from} 起：{cert.reason}），拒绝连接",
            f"{self.url} presents a TLS certificate the trust log revokes ({agency.id}, from {cert.revoked_from}: "
            f"{cert.reason}); refused",
            sent=False,
        )

    def _too_slow(self) -> PeerError:
        return PeerError(
            "TOO_SLOW",
            f"对等节点 {self.url} 未在 {self.limits.deadline:g} 秒内答完",
            f"{self.url} did not finish answering within {self.limits.deadline:g} s",
        )

    def _transport_error(self, exc: requests.exceptions.RequestException) -> PeerError:
        if isinstance(exc, requests.exceptions.SSLError):
            return PeerError(
                "TLS",
                f"对等节点 {self.url} 的 TLS 证书不可信：不是本市根证书签发的、已过期，或不是为该地址签发的",
                f"{self.url}: TLS certificate not trusted (not issued by the city root CA, expired, or for "
                f"another host): {exc}",
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return PeerError("TIMEOUT", f"{self.url} did not answer in time")
        return PeerError("UNREACHABLE", f"{self.url} cannot be reached: {type(exc).__name__}")


class PeerClient(NodeSession):
    """The sync loop's view of a peer: the API of docs/protocol.md §6, each answer checked."""

    def __init__(
        self,
        url: str,
        ca_file: str | None = None,
        limits: Limits = Limits(),
        token: str | None = None,
        revoked: RevokedCert | None = None,
    ) -> None:
        # Transient connection failures retry quickly; anything the peer says is final.
        retry = Retry(total=1, connect=1, read=0, status=0, backoff_factor=0, allowed_methods=None)
        super().__init__(url, ca_file, limits, retry, token, revoked)

    def _get_json(self, path: str, params: dict | None = None, read: Callable[[Any], T] = lambda value: value) -> T:
        """GET a JSON document and `read` (check) it. Whatever parsing or reading
        a peer's document raises — RecursionError from deep nesting included —
        is that peer's malformed answer, never an error of ours."""
        answer = self.request("GET", path, params=params)
        if answer.status != 200:
            raise PeerError(f"HTTP_{answer.status}", f"{self.url}{path}: HTTP {answer.status}")
        try:
            return read(answer.json())
        except PeerError:
            raise
        except BAD_DOCUMENT as exc:
            raise PeerError(
                "MALFORMED", "对等节点的应答无法读取", f"{self.url}{path}: not a valid answer ({type(exc).__name__})"
            ) from exc

    @classmethod
    def _proof(cls, where: str) -> Callable[[Any], list[bytes]]:
        return lambda value: cls._hashes(value.get("hashes") if isinstance(value, dict) else None, where)

    @staticmethod
    def _hashes(value: Any, where: str) -> list[bytes]:
        if not isinstance(value, list) or len(value) > 128:
            raise PeerError("MALFORMED", f"{where}: hashes must be a short list")
        try:
            hashes = [b64decode(h) for h in value]
        except (EncodingError, TypeError) as exc:
            raise PeerError("MALFORMED", f"{where}: bad base64") from exc
        if any(len(h) != 32 for h in hashes):
            raise PeerError("MALFORMED", f"{where}: hashes are 32 bytes")
        return hashes

    # -- the API of docs/protocol.md §6 ---------------------------------------------
    def logs(self) -> list[dict]:
        def read(value: Any) -> list[dict]:
            logs = value.get("logs") if isinstance(value, dict) else None
            if not isinstance(logs, list) or not all(
                isinstance(l, dict) and isinstance(l.get("agency"), str) for l in logs
            ):
                raise PeerError("MALFORMED", f"{self.url}/v1/logs: unexpected shape")
            return logs

        return self._get_json("/v1/logs", read=read)

    def checkpoint(self, agency: str) -> str:
        answer = self.request("GET", f"/v1/logs/{agency}/checkpoint")
        if answer.status == 404:
            raise PeerError("NO_LOG", f"{self.url} holds no log of {agency}")
        if answer.status != 200:
            raise PeerError(f"HTTP_{answer.status}", f"{self.url}: checkpoint of {agency}: HTTP {answer.status}")
        try:
            return answer.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PeerError("MALFORMED", "checkpoint is not UTF-8") from exc

    def entries(self, agency: str, start: int, end: int) -> list[bytes]:
        def read(value: Any) -> list[bytes]:
            entries = value.get("entries") if isinstance(value, dict) else None
            if not isinstance(entries, list) or not entries or len(entries) > end - start:
                raise PeerError("MALFORMED", f"{self.url}: entries {start}..{end} of {agency}: wrong count")
            try:
                return [b64decode(e) for e in entries]
            except (EncodingError, TypeError) as exc:
                raise PeerError("MALFORMED", f"{self.url}: entries of {agency}: bad base64") from exc

        return self._get_json(f"/v1/logs/{agency}/entries", {"start": start, "end": end}, read)

    def consistency(self, agency: str, old: int, new: int, full: bool = False) -> list[bytes]:
        """`full` asks for the path with the old subtree kept (see forks.py)."""
        params = {"from": old, "to": new, **({"full": 1} if full else {})}
        return self._get_json(f"/v1/logs/{agency}/proof/consistency", params, self._proof("consistency proof"))

    def inclusion(self, agency: str, index: int, size: int) -> list[bytes]:
        return self._get_json(
            f"/v1/logs/{agency}/proof/inclusion", {"index": index, "size": size}, self._proof("inclusion proof")
        )

    def add_checkpoint(self, body: str) -> tuple[int, str]:
        answer = self.request("POST", "/v1/witness/add-checkpoint", data=body.encode("utf-8"))
        return answer.status, answer.body.decode("utf-8", errors="replace")

    def notify(self, agency: str, size: int) -> None:
        self.request("POST", "/v1/notify", json={"agency": agency, "size": size})

    def status(self) -> dict:
        return self._get_json("/v1/status")

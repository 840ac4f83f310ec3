"""Talking to a peer node over HTTP(S), trusting nothing it sends.

Every response is bounded in size and in total time (a peer that trickles
bytes forever is cut off, which a per-read timeout alone would not do), and
parsed strictly; anything odd becomes a `PeerError` with a code the sync loop
reports and backs off on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .encoding import EncodingError, b64decode
from .errors import CodedError

MAX_RESPONSE_BYTES = 8 << 20
PAGE = 1000


class PeerError(CodedError):
    """A peer that failed or lied; it is backed off and reported."""


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    deadline: float = 20.0  # whole response, however slowly it trickles
    max_bytes: int = MAX_RESPONSE_BYTES


class PeerClient:
    def __init__(self, url: str, ca_file: str | None = None, limits: Limits = Limits(), token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.limits = limits
        self.session = requests.Session()
        # Transient connection failures retry quickly; anything the peer says is final.
        retry = Retry(total=1, connect=1, read=0, status=0, backoff_factor=0, allowed_methods=None)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        # The city root CA from the node's own configuration is the only trust
        # anchor: environment variables (REQUESTS_CA_BUNDLE, proxies) are ignored,
        # and verify is passed per request since requests lets the environment
        # override the session's setting.
        self.session.trust_env = False
        self.verify = ca_file if ca_file else True
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    # -- transport ---------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes, str]:
        limits = self.limits
        started = time.monotonic()
        try:
            with self.session.request(
                method, self.url + path, stream=True, timeout=(limits.connect_timeout, limits.read_timeout),
                verify=self.verify, **kwargs
            ) as response:
                length = int(response.headers.get("Content-Length") or 0)
                if length > limits.max_bytes:
                    raise PeerError("TOO_LARGE", f"{self.url} announced {length} bytes (limit {limits.max_bytes})")
                body = bytearray()
                for chunk in response.iter_content(65536):
                    body += chunk
                    if len(body) > limits.max_bytes:
                        raise PeerError("TOO_LARGE", f"{self.url} sent more than {limits.max_bytes} bytes")
                    if time.monotonic() - started > limits.deadline:
                        raise PeerError("TOO_SLOW", f"{self.url} took longer than {limits.deadline:.0f} s")
                return response.status_code, bytes(body), response.headers.get("Content-Type", "")
        except requests.exceptions.SSLError as exc:
            raise PeerError("TLS", f"{self.url}: TLS certificate not trusted: {exc}") from exc
        except requests.exceptions.Timeout as exc:
            raise PeerError("TIMEOUT", f"{self.url} did not answer in time") from exc
        except requests.exceptions.RequestException as exc:
            raise PeerError("UNREACHABLE", f"{self.url} cannot be reached: {type(exc).__name__}") from exc

    def _get_json(self, path: str, params: dict | None = None) -> Any:
        status, body, _ = self._request("GET", path, params=params)
        if status != 200:
            raise PeerError(f"HTTP_{status}", f"{self.url}{path}: HTTP {status}")
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PeerError("MALFORMED", f"{self.url}{path}: not JSON") from exc

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

    # -- the API of design §4 ---------------------------------------------
    def logs(self) -> list[dict]:
        value = self._get_json("/v1/logs")
        logs = value.get("logs") if isinstance(value, dict) else None
        if not isinstance(logs, list) or not all(isinstance(l, dict) and isinstance(l.get("agency"), str) for l in logs):
            raise PeerError("MALFORMED", f"{self.url}/v1/logs: unexpected shape")
        return logs

    def checkpoint(self, agency: str) -> str:
        status, body, _ = self._request("GET", f"/v1/logs/{agency}/checkpoint")
        if status == 404:
            raise PeerError("NO_LOG", f"{self.url} holds no log of {agency}")
        if status != 200:
            raise PeerError(f"HTTP_{status}", f"{self.url}: checkpoint of {agency}: HTTP {status}")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PeerError("MALFORMED", "checkpoint is not UTF-8") from exc

    def entries(self, agency: str, start: int, end: int) -> list[bytes]:
        value = self._get_json(f"/v1/logs/{agency}/entries", {"start": start, "end": end})
        entries = value.get("entries") if isinstance(value, dict) else None
        if not isinstance(entries, list) or not entries or len(entries) > end - start:
            raise PeerError("MALFORMED", f"{self.url}: entries {start}..{end} of {agency}: wrong count")
        try:
            return [b64decode(e) for e in entries]
        except (EncodingError, TypeError) as exc:
            raise PeerError("MALFORMED", f"{self.url}: entries of {agency}: bad base64") from exc

    def consistency(self, agency: str, old: int, new: int, full: bool = False) -> list[bytes]:
        """`full` asks for the path with the old subtree kept (see forks.py)."""
        params = {"from": old, "to": new, **({"full": 1} if full else {})}
        value = self._get_json(f"/v1/logs/{agency}/proof/consistency", params)
        return self._hashes(value.get("hashes") if isinstance(value, dict) else None, "consistency proof")

    def inclusion(self, agency: str, index: int, size: int) -> list[bytes]:
        value = self._get_json(f"/v1/logs/{agency}/proof/inclusion", {"index": index, "size": size})
        return self._hashes(value.get("hashes") if isinstance(value, dict) else None, "inclusion proof")

    def add_checkpoint(self, body: str) -> tuple[int, str]:
        status, text, _ = self._request("POST", "/v1/witness/add-checkpoint", data=body.encode("utf-8"))
        return status, text.decode("utf-8", errors="replace")

    def notify(self, agency: str, size: int) -> None:
        self._request("POST", "/v1/notify", json={"agency": agency, "size": size})

    def status(self) -> dict:
        return self._get_json("/v1/status")

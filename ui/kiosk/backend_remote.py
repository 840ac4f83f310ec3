"""The kiosk's door to a node over HTTP(S): the trust root is a trust bundle
the operator installed, the node only answers (docs/protocol.md §6), and whatever it
says about a certificate is checked against that bundle by the verifier.
The node is asked through the counter's own client of it
(`ui.remote_backend.RemoteBackend`, the core's one hardened HTTP client).

Without a node (`--trust` alone) certificates are still checked offline —
signature, issuer, embedded proof — and the verdict says revocation was not
checked; traces and fund pages then need a node and say so.
"""

from __future__ import annotations

from pathlib import Path

from certificates.verify import NodeStatus, Verifier, VerifierConfig
from citychain.clock import SystemClock

from .backend import KioskBackend

MAX_RESPONSE = 4 * 1024 * 1024


class RemoteBackend(KioskBackend):
    def __init__(
        self,
        bundle: Path,
        url: str | None,
        ca_file: str | None = None,
        timeout: float = 5.0,
        max_age_s: int = 3600,
        policy: Path | None = None,
        mirrors: tuple[str, ...] = (),
    ) -> None:
        """`mirrors`: nodes asked for a second opinion before the agencies' URLs in the bundle's trust log."""
        self.bundle = Path(bundle)
        self.url = url.rstrip("/") if url else None
        self.timeout = timeout
        config = VerifierConfig.from_bundle(self.bundle, policy)
        # The bundle's trust log refuses a node whose TLS certificate it revokes, for status and traces alike.
        revoked = config.trust.revoked_now(SystemClock())
        status = NodeStatus(self.url, ca_file, timeout, revoked) if self.url else None
        seconds = status.seconds(config.trust, mirrors) if status is not None else ()
        self.verifier = Verifier(config, status, max_age_s=max_age_s, seconds=seconds)
        if self.url:  # `timeout` per connect and per read, no retries: a person is waiting at the screen
            from ui.remote_backend import RemoteBackend as NodeDoor

            self.door = NodeDoor(
                self.url,
                ca_file,
                connect_timeout=timeout,
                read_timeout=timeout,
                retries=0,
                max_answer=MAX_RESPONSE,
                revoked=revoked,
            )
        self.ca_file = ca_file

    def where(self) -> tuple[str, str]:
        if self.url is None:
            return (
                f"信任根：{self.bundle.name}（离线，不查询撤销状态）",
                f"trust: {self.bundle.name} (offline: revocation not checked)",
            )
        return f"信任根：{self.bundle.name} · 状态：{self.url}", f"trust: {self.bundle.name} · status: {self.url}"

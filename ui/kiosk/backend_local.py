"""The kiosk's door to a node home on this machine: its trust log is the trust
root, its copy of every agency's log answers for status, and its charity
index answers traces — read only, through the node's own Python API
(`ui.local_backend.LocalBackend` opened without its key: the node may be
running and writing at the same time)."""

from __future__ import annotations

from pathlib import Path

from certificates.verify import HomeStatus, Verdict, Verifier, VerifierConfig
from citychain.clock import Clock, SystemClock

from .backend import KioskBackend


class LocalBackend(KioskBackend):
    not_found = (
        "本机所用的账本中没有这个编号的证照，请核对编号",
        "the ledgers this kiosk holds have no certificate with this number; check the number",
    )

    def __init__(
        self, home: Path, clock: Clock | None = None, max_age_s: int = 3600, policy: Path | None = None
    ) -> None:
        from ui.local_backend import LocalBackend as NodeDoor

        self.clock = clock or SystemClock()
        self.max_age_s = max_age_s
        self.policy = policy  # kiosk.toml's trust policy, else the home's own (VerifierConfig.from_home)
        self.door = NodeDoor(Path(home), clock=self.clock, sync=False, write=False)
        self.home = self.door.node.home
        self._trust_size = self.door.trust_size()
        self.verifier = self._new_verifier()

    def _new_verifier(self) -> Verifier:
        config = VerifierConfig.from_home(self.home.path, self.policy)
        status = HomeStatus(self.home.path, self.clock)  # and the mirrors its trust log names, for a second opinion
        return Verifier(config, status, self.clock, self.max_age_s, status.seconds(config.trust))

    def refresh_trust(self) -> None:
        """A kiosk runs for weeks: take up key revocations as the trust log grows."""
        size = self.door.trust_size()
        if size != self._trust_size:
            self._trust_size = size
            self.verifier = self._new_verifier()

    def verify_qr(self, text: str) -> Verdict:
        self.refresh_trust()
        return super().verify_qr(text)

    def open_file(self, kind: str, data: bytes):
        self.refresh_trust()
        return super().open_file(kind, data)

    def where(self) -> tuple[str, str]:
        agency = self.home.config().agency
        return f"信任根与状态：本机节点 {agency}", f"trust and status: this machine's node {agency}"

"""A node home: one agency's folder — configuration, encrypted key, ledger.

HOME/config.toml              city, agency, pinned trust roots, options
HOME/keys/agency.key          Ed25519 key, encrypted (see keys.py)
HOME/keys/signed-state.json   rollback guard (see guard.py)
HOME/ledger.sqlite            every log this node holds (see store.py)
HOME/private/                 domain packages' private stores
HOME/node.lock                held by the one process that writes
"""

from __future__ import annotations

import fcntl
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log.encoding import b64decode, b64encode
from citychain.log.records import ID_RE
from citychain.log.suite import Suite, of_keys

CONFIG = "config.toml"


class HomeError(MessageError, RuntimeError):
    """A node home that cannot be used as asked; most say it in English only."""

    code = "HOME_UNUSABLE"


@dataclass(frozen=True)
class Config:
    city: str
    agency: str
    root_agency: str
    root_keys: tuple[bytes, ...]  # pinned trust roots (raw public keys: Ed25519, or SM2 in an SM city)
    witness_quorum: int = 2
    passphrase_file: str | None = None  # relative to the home; demo homes only
    policy_file: str | None = None  # `[trust] policy`: a C2SP tlog-policy file, relative to the home (policies.py)
    extra: dict = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return origin(self.city, self.agency)

    @property
    def suite(self) -> Suite:
        """The city's suite, from the pinned root keys (a mixed set is refused)."""
        return of_keys(self.root_keys)

    def to_toml(self) -> bytes:
        node = {"city": self.city, "agency": self.agency}
        if self.passphrase_file:
            node["passphrase_file"] = self.passphrase_file
        trust = {
            "root_agency": self.root_agency,
            "root_keys": [b64encode(k) for k in self.root_keys],
            "witness_quorum": self.witness_quorum,
        }
        if self.policy_file:
            trust["policy"] = self.policy_file
        doc = {"node": node, "trust": trust, **self.extra}
        return tomli_w.dumps(doc).encode()

    @classmethod
    def from_toml(cls, data: bytes) -> Config:
        doc = tomllib.loads(data.decode("utf-8"))
        node, trust = doc.pop("node"), doc.pop("trust")
        config = cls(
            city=node["city"],
            agency=node["agency"],
            root_agency=trust["root_agency"],
            root_keys=tuple(b64decode(k) for k in trust["root_keys"]),
            witness_quorum=int(trust.get("witness_quorum", 2)),
            passphrase_file=node.get("passphrase_file"),
            policy_file=trust.get("policy"),
            extra=doc,
        )
        for name in (config.city, config.agency, config.root_agency):
            if not ID_RE.match(name):
                raise HomeError(f"config.toml: {name!r} is not a valid id")
        return config


def origin(city: str, agency: str) -> str:
    return f"citychain/{city}/{agency}"


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def key_path(self) -> Path:
        return self.path / "keys" / "agency.key"

    @property
    def next_key_path(self) -> Path:
        """A new key waiting for the trust log to list it (see `node new-key`)."""
        return self.path / "keys" / "next.key"

    @property
    def guard_path(self) -> Path:
        return self.path / "keys" / "signed-state.json"

    @property
    def db_path(self) -> Path:
        return self.path / "ledger.sqlite"

    @property
    def private_dir(self) -> Path:
        return self.path / "private"

    @property
    def tls_cert_path(self) -> Path:
        """This node's TLS certificate, issued by the city root CA."""
        return self.path / "tls" / "node.crt"

    @property
    def tls_key_path(self) -> Path:
        return self.path / "tls" / "node.key"  # sealed with the node passphrase

    @property
    def seal_cert_path(self) -> Path:
        """The agency's document-signing (PDF seal) certificate, from the city root CA."""
        return self.path / "tls" / "seal.crt"

    @property
    def seal_key_path(self) -> Path:
        return self.path / "tls" / "seal.key"  # sealed with the node passphrase

    @property
    def city_ca_path(self) -> Path:
        """The city root CA certificate: the node's own trust anchor for peers' HTTPS."""
        return self.path / "tls" / "city-ca.crt"

    @property
    def pending_dir(self) -> Path:
        """New TLS and seal keys and the request they were made for, until the
        root's response is accepted: the installed pair keeps serving meanwhile."""
        return self.path / "tls" / "pending"

    @property
    def ca_dir(self) -> Path:
        """The city CA (root authority only): HOME/ca, or the folder `city init
        --ca-dir` named (removable media, mounted only to enrol or renew)."""
        where = self.config().extra.get("ca", {}).get("dir") if self.exists() else None
        return Path(where) if where else self.path / "ca"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def config(self) -> Config:
        if not self.exists():
            raise HomeError(f"{self.path} is not a node home (no {CONFIG}); create one with `node init`")
        return Config.from_toml(self.config_path.read_bytes())

    def write_config(self, config: Config) -> None:
        write_atomic(self.config_path, config.to_toml())

    def create_dirs(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for sub in ("keys", "private", "tls"):
            (self.path / sub).mkdir(mode=0o700, exist_ok=True)

    def lock(self) -> WriterLock:
        return WriterLock(self.path / "node.lock")


class WriterLock:
    """One writing process per home; released when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise HomeError(
                "节点正在被其他进程使用",
                f"the node home {self.path.parent} is in use by process {holder}",
                "HOME_IN_USE",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

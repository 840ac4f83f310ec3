"""Trust bundles: the trust log and its signed checkpoint in one file.

A kiosk or a new node loads a bundle to learn the city's agencies. A node home
imports one only if it is signed under the root keys the home already pins; a
bare verifier treats the bundle given by its operator as its configuration
(root keys, city root CA, witness quorum) and still checks that every record
is signed and chained and that the log matches its signed checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, open_checkpoint
from citychain.log.encoding import b64decode, b64encode
from citychain.log.records import RecordError, check_chain, parse_leaf
from citychain.log.suite import SuiteProblem, of_keys
from citychain.node.store import Store
from citychain.node.trust import TrustError, TrustState

FORMAT = "citychain-trust-bundle/v1"


class BundleError(MessageError, ValueError):
    """A trust bundle that is not one, or does not verify."""

    code = "BAD_TRUST_BUNDLE"


@dataclass(frozen=True)
class TrustBundle:
    city: str
    root_agency: str
    origin: str
    root_keys: tuple[bytes, ...]
    checkpoint: str
    entries: tuple[bytes, ...]
    city_ca_pem: str = ""  # the city root CA certificate, for checking PDF seals
    witness_quorum: int = 2

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "city": self.city,
                "root_agency": self.root_agency,
                "origin": self.origin,
                "suite": of_keys(self.root_keys).name,  # which kind of key root_keys holds
                "root_keys": [b64encode(k) for k in self.root_keys],
                "checkpoint": self.checkpoint,
                "entries": [b64encode(e) for e in self.entries],
                "city_ca": self.city_ca_pem,
                "witness_quorum": self.witness_quorum,
            },
            ensure_ascii=False,
            indent=1,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustBundle:
        try:
            value = json.loads(data)
            if value.get("format") != FORMAT:
                raise BundleError("this file is not a CityChain trust bundle")
            root_keys = tuple(b64decode(k) for k in value["root_keys"])
            if of_keys(root_keys).name != value.get("suite", of_keys(root_keys).name):
                raise BundleError(
                    "信任包声明的密码套件与其根密钥不符", "the bundle's suite does not match the kind of its root keys"
                )
            return cls(
                value["city"],
                value["root_agency"],
                value["origin"],
                root_keys,
                value["checkpoint"],
                tuple(b64decode(e) for e in value["entries"]),
                str(value.get("city_ca", "")),
                int(value.get("witness_quorum", 2)),
            )
        except (ValueError, KeyError, TypeError, SuiteProblem) as exc:
            raise BundleError("信任包格式错误", f"malformed trust bundle: {exc}") from exc


def export_bundle(
    store: Store,
    city: str,
    root_agency: str,
    root_keys: tuple[bytes, ...],
    city_ca_pem: str = "",
    witness_quorum: int = 2,
) -> TrustBundle:
    head = store.head(root_agency)
    if head is None or not head.size:
        raise BundleError("this node holds no trust log yet")
    return TrustBundle(
        city,
        root_agency,
        head.origin,
        root_keys,
        head.checkpoint or "",
        tuple(store.iter_leaves(head.id)),
        city_ca_pem,
        witness_quorum,
    )


def trust_from_bundle(bundle: TrustBundle) -> TrustState:
    """Replay a bundle's trust log under its root keys, checking every link and
    that the records are exactly those its signed checkpoint covers."""
    try:
        signed = open_checkpoint(bundle.checkpoint, bundle.origin, list(bundle.root_keys))
        if signed.checkpoint.size != len(bundle.entries):
            raise BundleError("信任包的记录数与签名检查点不符", "the bundle's records do not match its checkpoint")
        hasher = of_keys(bundle.root_keys).hash
        if merkle.MemoryTree(bundle.entries, hasher).root() != signed.checkpoint.root:
            raise BundleError("信任包的记录与签名检查点不符", "the bundle's records do not match its checkpoint")
        state, prev = TrustState(bundle.root_agency, frozenset(bundle.root_keys)), None
        for seq, data in enumerate(bundle.entries):
            leaf = parse_leaf(data, hasher)
            check_chain(leaf, bundle.root_agency, seq, prev)
            state.apply(leaf)
            prev = leaf.hash
        return state
    except (CheckpointError, RecordError, TrustError) as exc:
        raise BundleError("信任包无效", f"the trust bundle does not verify: {exc}") from exc


def write_bundle(path: Path, bundle: TrustBundle) -> None:
    write_atomic(Path(path), bundle.to_bytes())


def read_bundle(path: Path) -> TrustBundle:
    return TrustBundle.from_bytes(Path(path).read_bytes())

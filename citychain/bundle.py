"""Trust bundles: the trust log and its signed checkpoint in one file.

A kiosk or a new node loads a bundle to learn the city's agencies. A node home
imports one only if it is signed under the root keys the home already pins; a
bare verifier treats the bundle given by its operator as its configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .encoding import b64decode, b64encode
from .files import write_atomic
from .store import Store

FORMAT = "citychain-trust-bundle/v1"


class BundleError(ValueError):
    pass


@dataclass(frozen=True)
class TrustBundle:
    city: str
    root_agency: str
    origin: str
    root_keys: tuple[bytes, ...]
    checkpoint: str
    entries: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "city": self.city,
                "root_agency": self.root_agency,
                "origin": self.origin,
                "root_keys": [b64encode(k) for k in self.root_keys],
                "checkpoint": self.checkpoint,
                "entries": [b64encode(e) for e in self.entries],
            },
            ensure_ascii=False,
            indent=1,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "TrustBundle":
        try:
            value = json.loads(data)
            if value.get("format") != FORMAT:
                raise BundleError("this file is not a CityChain trust bundle")
            return cls(
                value["city"],
                value["root_agency"],
                value["origin"],
                tuple(b64decode(k) for k in value["root_keys"]),
                value["checkpoint"],
                tuple(b64decode(e) for e in value["entries"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BundleError(f"信任包格式错误 / malformed trust bundle: {exc}") from exc


def export_bundle(store: Store, city: str, root_agency: str, root_keys: tuple[bytes, ...]) -> TrustBundle:
    head = store.head(root_agency)
    if head is None or not head.size:
        raise BundleError("this node holds no trust log yet")
    return TrustBundle(
        city, root_agency, head.origin, root_keys, head.checkpoint or "", tuple(store.iter_leaves(head.id))
    )


def write_bundle(path: Path, bundle: TrustBundle) -> None:
    write_atomic(Path(path), bundle.to_bytes())


def read_bundle(path: Path) -> TrustBundle:
    return TrustBundle.from_bytes(Path(path).read_bytes())

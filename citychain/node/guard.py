"""Rollback guard: never sign a checkpoint smaller than, or inconsistent with, one
already signed — even if the database is replaced by an older copy.

Beside the key, a small file records the last checkpoint this node signed and
the batch that produced it. It is written (and fsynced) *before* the database
commits the batch, so after any crash one of these holds on restart:

- the database equals the file: nothing to do;
- the database is exactly the file's *base* (the crash hit between the two
  writes): the batch in the file is replayed, so the signed checkpoint is
  never orphaned and never contradicted;
- the database is ahead of the file and contains its root (the rename of the
  new file was lost with the crash): the file is brought forward;
- anything else means the database was rolled back or swapped: signing is
  refused until the database is brought back to the signed checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log.encoding import b64decode, b64encode

FORMAT = "citychain-signed-state/v1"


class RollbackDetected(MessageError, RuntimeError):
    """The database is behind (or off) the last checkpoint this node signed."""

    code = "ROLLBACK_DETECTED"

    def __init__(self, db_size: int, signed_size: int, detail: str) -> None:
        self.db_size = db_size
        self.signed_size = signed_size
        super().__init__(
            f"拒绝签名：数据库（{db_size} 条）落后于或不一致于本节点已签名的检查点（{signed_size} 条）。"
            f"请恢复最新的数据库副本。",
            f"Signing refused: the database (size {db_size}) is behind or inconsistent with the last checkpoint "
            f"this node signed (size {signed_size}); {detail} Bring back the newest copy of the database.",
        )


@dataclass(frozen=True)
class Author:
    """The signed-in person behind a batch (an audit `Actor`)."""

    name: str
    role: str


@dataclass(frozen=True)
class SignedState:
    origin: str
    size: int
    root: bytes
    checkpoint: str
    base_size: int
    base_root: bytes
    batch: tuple[bytes, ...]  # leaves base_size..size-1
    # Who appended the batch and to what, so a replay writes the same audit row.
    author: Author | None = None
    target: str = ""

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "origin": self.origin,
                "size": self.size,
                "root": b64encode(self.root),
                "checkpoint": self.checkpoint,
                "base_size": self.base_size,
                "base_root": b64encode(self.base_root),
                "batch": [b64encode(leaf) for leaf in self.batch],
                "author": {"name": self.author.name, "role": self.author.role} if self.author else None,
                "target": self.target,
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedState:
        value = json.loads(data)
        if value.get("format") != FORMAT:
            raise ValueError("not a CityChain signed-state file")
        return cls(
            value["origin"],
            int(value["size"]),
            b64decode(value["root"]),
            value["checkpoint"],
            int(value["base_size"]),
            b64decode(value["base_root"]),
            tuple(b64decode(leaf) for leaf in value["batch"]),
            Author(**author) if (author := value.get("author")) else None,
            value.get("target", ""),
        )


class Reconcile(Enum):
    IN_STEP = "in_step"
    REPLAY = "replay"  # apply state.batch to the database
    ADVANCE = "advance"  # the database is ahead; rewrite the file from it


def load(path: Path) -> SignedState | None:
    return SignedState.from_bytes(path.read_bytes()) if path.exists() else None


def save(path: Path, state: SignedState) -> None:
    # No directory fsync: if the rename is lost, the old file is seen and the
    # database is then ahead of it, which `reconcile` accepts.
    write_atomic(path, state.to_bytes(), mode=0o600, sync_dir=False)


def reconcile(state: SignedState | None, db_size: int, db_root: bytes, root_at: Callable[[int], bytes]) -> Reconcile:
    """What to do at open, given the database's head; raises on a rollback."""
    if state is None:
        return Reconcile.ADVANCE
    if db_size == state.size:
        if db_root == state.root:
            return Reconcile.IN_STEP
        raise RollbackDetected(db_size, state.size, "the tree root differs at the same size.")
    if db_size > state.size:
        if root_at(state.size) == state.root:
            return Reconcile.ADVANCE
        raise RollbackDetected(db_size, state.size, "the database does not contain the signed tree.")
    if db_size == state.base_size and db_root == state.base_root:
        return Reconcile.REPLAY
    raise RollbackDetected(db_size, state.size, "entries the node signed are missing.")

"""A log this node holds, read as C2SP tlog-tiles (docs/protocol.md §13).

Only what the log's latest complete checkpoint covers is served: a mirror
may hold entries past it (a catch-up in progress) that no signature vouches
for yet. Tiles come straight from the stored tree nodes and leaves; the node
route and the static publisher both read through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from citychain.log import tiles
from citychain.log.checkpoint import parse_checkpoint
from citychain.log.note import parse_note
from citychain.node.store import Store


@dataclass(frozen=True)
class TiledLog:
    """A log's id in the store, its origin, and the checkpoint its tiles are served for."""

    log_id: int
    agency: str
    origin: str
    checkpoint: str  # the signed note, with the co-signatures the node holds
    size: int  # the checkpoint's tree size
    root: bytes


def tiled_log(store: Store, agency: str) -> TiledLog | None:
    """The log of `agency` as its checkpoint stands, or None (no such log, no checkpoint yet)."""
    head = store.head(agency)
    if head is None or not head.checkpoint:
        return None
    checkpoint = parse_checkpoint(parse_note(head.checkpoint).text)
    return TiledLog(head.id, head.agency, head.origin, head.checkpoint, checkpoint.size, checkpoint.root)


def read_tile(store: Store, log: TiledLog, tile: tiles.Tile) -> bytes:
    """The bytes of `tile`; LookupError for one the checkpoint does not cover."""
    if not tiles.exists_in(tile, log.size):
        raise LookupError(f"{tile.path} is beyond tree size {log.size}")
    level, start, end = tile.node_range()
    if tile.is_entries:
        leaves = store.leaves(log.log_id, start, end)
        if len(leaves) != end - start:
            raise LookupError(f"log {log.agency} lacks entries in [{start}, {end})")
        return tiles.encode_bundle(leaves)
    return b"".join(store.node_range(log.log_id, level, start, end))

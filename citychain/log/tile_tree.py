"""A tree read from its C2SP hash tiles, for proofs computed by whoever reads them.

A reader of a tiled log gets no proofs from the log: it fetches the tiles a
proof needs and computes it (docs/protocol.md §13.7). `TileTree` is a
`merkle.NodeReader` over the tiles of one tree size, so `merkle`'s own proof
functions run on it unchanged. Nothing here is trusted: a proof built from
wrong tiles simply fails to verify against the signed checkpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from citychain.log import merkle
from citychain.log.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, TileError

HASH_SIZE = 32


def tile_width(level: int, index: int, size: int) -> int:
    """The width tile `index` of tile level `level` has in a tree of `size`
    leaves (0: the tree has no such tile); entry bundles are level 0's."""
    hashes = size >> (TILE_HEIGHT * max(level, 0))
    return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))


class TileTree:
    """The perfect-subtree hashes of a tree of `size` leaves, from its hash tiles.

    `fetch(tile)` returns the tile's bytes (any source); each tile is fetched
    once. Node (8L + r, i) is the hash of 2^r consecutive hashes of a tile at
    level L, the levels between tile levels being rebuilt by hashing, as the
    spec says, with `hasher` (the tree's: SHA-256, or SM3 in an SM3 city)."""

    def __init__(self, size: int, fetch: Callable[[Tile], bytes], hasher: merkle.Hasher = hashlib.sha256) -> None:
        self.size = size
        self.hasher = hasher  # what proofs built from these nodes hash with (merkle.hasher_of)
        self._fetch = fetch
        self._tiles: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise LookupError(f"a tree of size {self.size} has no node ({level}, {index})")
        tile_level, rise = divmod(level, TILE_HEIGHT)
        first = index << rise  # the node's first hash in its tile level
        data = self._tile(tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        hashes = [data[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(offset, offset + (1 << rise))]
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1], self.hasher) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(level, index) for level, index in coords]

    def _tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._tiles:
            tile = Tile(level, index, tile_width(level, index, self.size))
            data = self._fetch(tile)
            if len(data) != tile.width * HASH_SIZE:
                raise TileError(f"{tile.path} is {len(data)} bytes, not {tile.width} hashes")
            self._tiles[key] = data
        return self._tiles[key]

"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): which tiles a tree has, their paths, their bytes.

Hash `i` of tile `N` at tile level `L` is MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]),
the perfect subtree (8L, N·256+i) a node already stores (`merkle`): a tile is
read from the store, never computed. An entry bundle holds the leaves under a
level-0 tile, each behind its big-endian uint16 length. Pure functions only;
docs/protocol.md §13 is the byte-level description with vectors.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from citychain.errors import CodedError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
ENTRIES = -1  # the level of entry bundles in a Tile (Go's sumdb/tlog does the same)
MAX_ENTRY_BYTES = 0xFFFF  # what a uint16 length prefix can say
_LENGTH = struct.Struct(">H")
# tile/<L or entries>/<N as x-prefixed 3-digit groups>[.p/<W>]; at most 7 groups (N < 10^21)
_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/){0,6}[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


class TileError(CodedError):
    """A tile path or an entry bundle that breaks tlog-tiles (English, for operators)."""

    code = "BAD_TILE"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


@dataclass(frozen=True, slots=True)
class Tile:
    """Tile `index` of tile level `level` (ENTRIES for an entry bundle), `width` hashes or entries wide."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not (self.level == ENTRIES or 0 <= self.level <= MAX_LEVEL):
            raise TileError(f"tile level {self.level} is not from 0 to {MAX_LEVEL}")
        if self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"tile {self.index} of width {self.width} does not exist")

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        return self.level == ENTRIES

    @property
    def path(self) -> str:
        """The path under the log's prefix, e.g. `tile/1/x001/234.p/17`."""
        level = "entries" if self.is_entries else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    @property
    def partial_dir(self) -> str:
        """The folder that holds this tile's partial versions (`<N>.p`)."""
        level = "entries" if self.is_entries else str(self.level)
        return f"tile/{level}/{encode_index(self.index)}.p"

    def node_range(self) -> tuple[int, int, int]:
        """(tree level, first index, end index) of the perfect subtrees this tile
        holds; for an entry bundle, the level-0 ones its entries hash to."""
        start = self.index * TILE_WIDTH
        return TILE_HEIGHT * max(self.level, 0), start, start + self.width

    def entry_range(self) -> tuple[int, int]:
        """The leaves [start, end) the tile's hashes (or bundle's entries) cover."""
        _, start, end = self.node_range()
        span = 1 << (TILE_HEIGHT * max(self.level, 0))
        return start * span, end * span


def encode_index(index: int) -> str:
    """`1234067` → `x001/x234/067`: zero-padded 3-digit groups, all but the last behind an `x`."""
    if index < 0:
        raise TileError(f"tile index {index} is negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if not index:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + groups[-1:])


def parse_path(path: str) -> Tile:
    """The tile a path under a log's prefix names; only the one spelling the
    spec gives each tile is accepted (no `x000/` groups, no leading zeros)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TileError(f"{path[:80]!r} is not a tlog-tiles path")
    level_text, index_text, width_text = match.groups()
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_index(index) != index_text:
        raise TileError(f"{path[:80]!r} does not spell its index the one way the spec allows")
    if width_text and int(width_text) >= TILE_WIDTH:
        raise TileError(f"a partial tile is 1 to {TILE_WIDTH - 1} wide, not {width_text}")
    width = int(width_text) if width_text else TILE_WIDTH
    return Tile(ENTRIES if level_text == "entries" else int(level_text), index, width)


def exists_in(tile: Tile, size: int) -> bool:
    """Whether a tree of `size` leaves holds all of the tile's hashes (or entries).

    Such a tile never changes as the tree grows: a node may serve it, partial or
    not, for any size it has a checkpoint of or beyond."""
    return tile.entry_range()[1] <= size


def tiles_of(size: int, since: int = 0) -> Iterator[Tile]:
    """Every hash tile of a tree of `size`, level by level, left to right, but
    the full tiles a tree of `since` leaves already had: what to publish when
    a log grows from `since` to `size` (all of them when `since` is 0)."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        yield from _level(level, size, since)
        level += 1


def bundles_of(size: int, since: int = 0) -> Iterator[Tile]:
    """The entry bundles `tiles_of` would give at level 0, as bundles."""
    for tile in _level(0, size, since):
        yield Tile(ENTRIES, tile.index, tile.width)


def _level(level: int, size: int, since: int) -> Iterator[Tile]:
    shift = TILE_HEIGHT * level
    for index in range((since >> shift) // TILE_WIDTH, (size >> shift) // TILE_WIDTH):
        yield Tile(level, index)
    width = (size >> shift) % TILE_WIDTH
    if width:
        yield Tile(level, (size >> shift) // TILE_WIDTH, width)


# -- entry bundles ------------------------------------------------------------


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Each entry behind its length as a big-endian uint16."""
    out = []
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise TileError(f"entry {i} is {len(entry)} bytes; a tlog-tiles entry is at most {MAX_ENTRY_BYTES}")
        out += (_LENGTH.pack(len(entry)), entry)
    return b"".join(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; refuses one cut short."""
    entries, at = [], 0
    while at < len(data):
        if at + _LENGTH.size > len(data):
            raise TileError(f"entry bundle ends inside the length of entry {len(entries)}")
        (length,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        if at + length > len(data):
            raise TileError(f"entry bundle ends inside entry {len(entries)}")
        entries.append(data[at : at + length])
        at += length
    return entries

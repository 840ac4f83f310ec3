"""Where a mirror reads a peer's log: its C2SP tiles, or the older /v1/logs routes.

Both give the sync loop the same three things — the signed checkpoint, the
entries, and consistency proofs — and the loop verifies them the same way,
whichever served them (docs/protocol.md §6 and §13.7). From tiles, the
entries come in bundles and every proof is computed here from the hash tiles
(`TileTree`): a peer serving tiles, or a plain web server holding a copy of
them, answers nothing but static files. A peer that serves no tiles (404 on
the tiles prefix) is read through the routes, as before.

Every fetch goes through the peer's `PeerClient`: its pinned CA, deadline and
size limits; a tile's limit is what the format allows it.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from citychain.log import merkle, tiles
from citychain.log.checkpoint import CheckpointError, parse_checkpoint
from citychain.log.note import NoteError, parse_note
from citychain.log.tile_tree import HASH_SIZE, TileTree, tile_width
from citychain.net.client import PAGE, PeerClient, PeerError

BUNDLE_ENTRY_BYTES = 2 + tiles.MAX_ENTRY_BYTES  # an entry and its uint16 length
ACCEPT = {"Accept-Encoding": "gzip, identity"}  # what tlog-tiles asks a client to accept
PARALLEL = 3  # bundle requests in flight at once


class LogSource(Protocol):
    """One log of one peer, as the sync loop reads it."""

    via: str
    page: int  # entries worth asking for at once

    def checkpoint(self) -> str: ...

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries from `start`, at least one and at most up to `end`."""
        ...

    def consistency(self, old: int, new: int, full: bool = False) -> list[bytes]: ...


class RouteSource:
    """The /v1/logs/<agency>/… routes of docs/protocol.md §6."""

    via = "routes"
    page = PAGE

    def __init__(self, client: PeerClient, agency: str) -> None:
        self.client, self.agency = client, agency

    def checkpoint(self) -> str:
        return self.client.checkpoint(self.agency)

    def entries(self, start: int, end: int) -> list[bytes]:
        return self.client.entries(self.agency, start, end)

    def consistency(self, old: int, new: int, full: bool = False) -> list[bytes]:
        return self.client.consistency(self.agency, old, new, full)


class TileSource:
    """A log's tiles under `prefix` (a path on the peer's URL, ending in `/`),
    for the checkpoint `note` read from there: only tiles its size requires
    are fetched, as the spec asks."""

    via = "tiles"
    page = PARALLEL * tiles.TILE_WIDTH * 4

    def __init__(self, client: PeerClient, prefix: str, note: str, hasher: merkle.Hasher = hashlib.sha256) -> None:
        self.client, self.prefix, self.note = client, prefix, note
        try:  # the sync verifies this same note before it asks for anything below
            self.size = parse_checkpoint(parse_note(note).text).size
        except (CheckpointError, NoteError, ValueError) as exc:
            raise PeerError("BAD_CHECKPOINT", f"{client.url}{prefix}checkpoint: not a checkpoint: {exc}") from exc
        self._tree = TileTree(self.size, self._hash_tile, hasher)

    def checkpoint(self) -> str:
        return self.note

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries [start, end), their bundles fetched `PARALLEL` at a time (the
        spec's advice: while the peer reads and compresses one, another travels)."""
        if not 0 <= start < end <= self.size:
            raise PeerError("GAP", f"no entries [{start}, {end}) in a tree of {self.size}")
        cuts = [start, *range((start // tiles.TILE_WIDTH + 1) * tiles.TILE_WIDTH, end, tiles.TILE_WIDTH), end]
        spans = list(zip(cuts, cuts[1:], strict=False))
        if len(spans) == 1:
            return self._bundle_part(*spans[0])
        with ThreadPoolExecutor(min(PARALLEL, len(spans)), thread_name_prefix="citychain-tiles") as pool:
            return [entry for part in pool.map(lambda span: self._bundle_part(*span), spans) for entry in part]

    def _bundle_part(self, start: int, end: int) -> list[bytes]:
        """Entries [start, end) of the one bundle that holds them."""
        index = start // tiles.TILE_WIDTH
        width = tile_width(0, index, self.size)
        bundle = tiles.Tile(tiles.ENTRIES, index, width)
        try:
            data = self._fetch(bundle, width * BUNDLE_ENTRY_BYTES)
            entries = tiles.decode_bundle(data)
        except tiles.TileError as exc:
            raise PeerError("BAD_TILE", f"{self.client.url}{self.prefix}{bundle.path}: {exc}") from exc
        if len(entries) != width:
            raise PeerError("BAD_TILE", f"{self.client.url}{self.prefix}{bundle.path}: {len(entries)} entries")
        first = index * tiles.TILE_WIDTH
        return entries[start - first : end - first]

    def consistency(self, old: int, new: int, full: bool = False) -> list[bytes]:
        """Computed from the tiles of the checkpoint's tree (`new` is its size)."""
        if new != self.size:
            raise PeerError("SIZE_MISMATCH", f"tiles are read for size {self.size}, not {new}")
        try:
            if full and 0 < old < new:
                return merkle.full_consistency_path(self._tree, old, new)
            return merkle.consistency_proof(self._tree, old, new)
        except tiles.TileError as exc:
            raise PeerError("BAD_TILE", f"{self.client.url}{self.prefix}: {exc}") from exc
        except (LookupError, merkle.ProofError) as exc:
            raise PeerError("BAD_PROOF", f"no consistency proof {old} → {new} from tiles: {exc}") from exc

    def _hash_tile(self, tile: tiles.Tile) -> bytes:
        data = self._fetch(tile, tile.width * HASH_SIZE)
        return data[: tile.width * HASH_SIZE]  # a full tile standing in for its partial: the spec allows it

    def _fetch(self, tile: tiles.Tile, max_bytes: int) -> bytes:
        """A tile or bundle; a partial one that is gone (a newer full one
        replaced it) is read from the full one, whose prefix it is."""
        answer = self.client.request("GET", self.prefix + tile.path, max_bytes=max_bytes, headers=ACCEPT)
        if answer.status == 404 and not tile.full:
            full = tiles.Tile(tile.level, tile.index)
            answer = self.client.request(
                "GET", self.prefix + full.path, max_bytes=max_bytes * tiles.TILE_WIDTH // tile.width, headers=ACCEPT
            )
            if answer.status == 200 and tile.is_entries:
                try:
                    return tiles.encode_bundle(tiles.decode_bundle(answer.body)[: tile.width])
                except tiles.TileError as exc:
                    raise PeerError("BAD_TILE", f"{self.client.url}{self.prefix}{full.path}: {exc}") from exc
        if answer.status != 200:
            raise PeerError(f"HTTP_{answer.status}", f"{self.client.url}{self.prefix}{tile.path}: HTTP {answer.status}")
        return answer.body


def tiles_prefix(client: PeerClient, agency: str, listed: dict[str, Any] | None = None) -> str:
    """The path of a log's tiles on the peer: the `tiles` URL `/v1/logs` gives
    when it lies under the peer's own URL (we fetch only from the peer we were
    told to), else `/tlog/<agency>/`, where nodes and `log publish` put them."""
    url = listed.get("tiles") if listed else None
    if isinstance(url, str) and url.startswith(client.url + "/") and url.endswith("/") and ".." not in url:
        return url[len(client.url) :]
    return f"/tlog/{agency}/"


def open_source(
    client: PeerClient, agency: str, prefix: str, routes: bool = True, hasher: merkle.Hasher = hashlib.sha256
) -> LogSource:
    """The log's tiles if the peer serves them, else (`routes`) its /v1/logs routes;
    `hasher` is the tree's (the mirror's own suite)."""
    answer = client.request("GET", prefix + "checkpoint")
    if answer.status == 200:
        try:
            return TileSource(client, prefix, answer.body.decode("utf-8"), hasher)
        except UnicodeDecodeError as exc:
            raise PeerError("MALFORMED", "checkpoint is not UTF-8") from exc
    if answer.status != 404:
        raise PeerError(f"HTTP_{answer.status}", f"{client.url}{prefix}checkpoint: HTTP {answer.status}")
    if not routes:
        raise PeerError("NO_LOG", f"{client.url} holds no log of {agency}")
    return RouteSource(client, agency)

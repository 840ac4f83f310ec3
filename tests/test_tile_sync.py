"""Mirrors catch up by reading C2SP tiles (docs/protocol.md §13.7): from a node,
from a published folder served by nginx alone, through the /v1/logs routes
when the peer serves no tiles, and a tampered tile or bundle stores nothing."""

from __future__ import annotations

import gzip
import re
import shutil
import threading
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
import uvicorn
from conftest import quiet_demo_city
from ledger_kit import TEST_PLUGIN, note, open_node, sign_in
from nodes import LoopbackServer, free_port, wait_for
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from test_tiles import Nginx, nginx_binary, protocol_section

from citychain.clock import FakeClock
from citychain.log import merkle, tiles
from citychain.log.tile_tree import TileTree
from citychain.net.api import make_app
from citychain.net.bundle_cache import BundleCache, compress
from citychain.net.service import NodeService
from citychain.net.sync import Syncer
from citychain.node.publish import publish_home
from citychain.node.store import Store

MARKET = "market-regulation"
MIRRORS = ("civil-affairs", "public-security", "disabled-federation", "charity-federation")
GROWTH = 1_300  # past one page (1,000): the first chunk's consistency proof comes from tiles too


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The demo city whose mirrors hold market-regulation's log with its
    checkpoint, then the log grown by GROWTH notes that no mirror holds yet."""
    city = quiet_demo_city(
        tmp_path_factory.mktemp("tile-sync") / "city", clock=FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    )
    with open_node(city, MARKET) as node:
        node.append(sign_in(node, "clerk"), [note(i) for i in range(300)])
    with node_served(city) as (url, _):
        for mirror in MIRRORS:
            catch_up(city, mirror, url)
    with open_node(city, MARKET) as node:
        node.append(sign_in(node, "clerk"), [note(i) for i in range(300, 300 + GROWTH)])
    return city


def market_head(city, agency: str):
    with closing(Store(city.home(agency) / "ledger.sqlite")) as store:
        return store.head(MARKET)


@contextmanager
def node_served(city, refuse_tiles: bool = False):
    """market-regulation's node served from this process; every path asked
    is recorded, and with `refuse_tiles` it answers 404 under /tlog/ (a node
    from before tiles)."""
    node = open_node(city, MARKET)
    app, paths = make_app(NodeService(node, (TEST_PLUGIN,), interval=3600)), []

    async def recorded(scope, receive, send):
        if scope["type"] == "http":
            paths.append(scope["path"])
            if refuse_tiles and scope["path"].startswith("/tlog/"):
                return await PlainTextResponse("not found", 404)(scope, receive, send)
        await app(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(recorded, host="127.0.0.1", port=0, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), timeout=10)
        assert server.started
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", paths
    finally:
        server.should_exit = True
        thread.join(10)
        node.close()


class StaticCopy(LoopbackServer):
    """A folder of published tiles served as plain files (no /v1 routes at all)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()

    def app(self) -> Starlette:
        return Starlette(routes=[Mount("/", StaticFiles(directory=self.root))])


def catch_up(city, mirror: str, url: str) -> tuple[list[str], Syncer]:
    with open_node(city, mirror) as node:
        syncer = Syncer(node, peers=[url])
        return syncer.run_round(), syncer


def caught_up(city, mirror: str) -> bool:
    want, got = market_head(city, MARKET), market_head(city, mirror)
    return (got.size, got.root, got.checkpoint) == (want.size, want.root, want.checkpoint)


def fetch(tree: merkle.MemoryTree, fetched: list[str], tile: tiles.Tile) -> bytes:
    fetched.append(tile.path)
    level, start, end = tile.node_range()
    return b"".join(tree.node(level, i) for i in range(start, end))


def test_a_tree_read_from_tiles_gives_every_node_and_proof_the_tree_has():
    leaves = [b"leaf %d" % i for i in range(70_000)]
    tree = merkle.MemoryTree(leaves)
    for size in (1, 255, 256, 257, 4_097, 65_536, 70_000):
        fetched: list[str] = []
        tiled = TileTree(size, partial(fetch, tree, fetched))
        assert merkle.root_at(tiled, size) == merkle.root_at(tree, size)
        for old in {1, size // 3, size - 1} - {0, size}:
            assert merkle.full_consistency_path(tiled, old, size) == merkle.full_consistency_path(tree, old, size)
        assert len(fetched) == len(set(fetched))  # each tile fetched once
        assert all(tiles.exists_in(tiles.parse_path(p), size) for p in fetched)  # only tiles the size requires
        with pytest.raises(LookupError):
            tiled.node(0, size)


def test_the_documented_tiles_of_a_proof_hold():
    vector = re.search(
        r"size ([0-9,]+) and a mirror holding ([0-9,]+) entries,\n(.*?)`tests/", protocol_section(13), re.S
    )
    size, old = (int(n.replace(",", "")) for n in vector.groups()[:2])
    documented = re.findall(r"`(tile/[^`]+)`", vector.group(3))
    for prove in (merkle.full_consistency_path, merkle.consistency_proof):
        fetched: list[str] = []
        prove(TileTree(size, partial(zero_tile, fetched)), old, size)
        assert sorted(fetched) == sorted(documented)
    assert f"({len(merkle.consistency_ranges(old, size, full=True))} hashes)" in vector.group(3)


def zero_tile(fetched: list[str], tile: tiles.Tile) -> bytes:
    fetched.append(tile.path)
    return bytes(32 * tile.width)


def test_a_mirror_catches_up_from_a_node_s_tiles(city):
    before = market_head(city, "civil-affairs")
    assert 0 < before.size < market_head(city, MARKET).size - 1_000  # a stored checkpoint, a long way behind
    with node_served(city) as (url, paths):
        report, syncer = catch_up(city, "civil-affairs", url)
    assert f"{url}: {MARKET} {before.size} → {before.size + GROWTH}" in report, (report, syncer.peers)
    assert caught_up(city, "civil-affairs")
    prefix = f"/tlog/{MARKET}/tile/"
    assert any(p.startswith(prefix + "entries/") for p in paths) and any(p.startswith(prefix + "0/") for p in paths)
    assert not [p for p in paths if p.startswith(f"/v1/logs/{MARKET}/")], paths  # no entries or proofs by route


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (scripts/setup.sh installs it)")
def test_a_mirror_catches_up_from_a_published_folder_served_by_nginx_alone(city, tmp_path):
    www = tmp_path / "www"
    publish_home(city.home(MARKET) / "ledger.sqlite", www)
    server = Nginx(nginx_binary(), www, tmp_path / "nginx")
    try:
        server.wait_ready()
        report, syncer = catch_up(city, "public-security", server.url)
    finally:
        server.stop()
    assert caught_up(city, "public-security"), (report, syncer.peers)
    state = syncer.peers[server.url]
    assert state.static and state.error_code == "", state  # no /v1/logs, no witness asked: not a failure


def test_a_peer_serving_no_tiles_is_read_through_the_routes(city):
    with node_served(city, refuse_tiles=True) as (url, paths):
        report, syncer = catch_up(city, "disabled-federation", url)
    assert caught_up(city, "disabled-federation"), (report, syncer.peers)
    assert f"/tlog/{MARKET}/checkpoint" in paths  # tiles asked first …
    assert f"/v1/logs/{MARKET}/entries" in paths and f"/v1/logs/{MARKET}/proof/consistency" in paths  # … then routes
    assert not [p for p in paths if "/tile/" in p]


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


def test_a_tampered_bundle_or_tile_is_refused_and_nothing_is_stored(city, tmp_path):
    mirror = "charity-federation"
    before = market_head(city, mirror)
    www = tmp_path / "www"
    publish_home(city.home(MARKET) / "ledger.sqlite", www)
    prefix = www / "tlog" / MARKET
    pristine = tmp_path / "pristine"
    shutil.copytree(prefix, pristine)
    bundle = prefix / tiles.Tile(tiles.ENTRIES, before.size // 256 + 1).path  # inside the first chunk
    entries = tiles.decode_bundle(bundle.read_bytes())
    entries[7] = entries[7].replace(b'"amount":', b'"amount":1', 1)  # still canonical JSON, no longer signed
    bundle.write_bytes(tiles.encode_bundle(entries))
    hash_tiles = [p for p in prefix.glob("tile/[0-9]*/**/*") if p.is_file()]

    with StaticCopy(www) as copy:
        report, syncer = catch_up(city, mirror, copy.url)
        assert syncer.peers[copy.url].error_code == "BAD_SIGNATURE", report
        assert market_head(city, mirror) == before

        shutil.rmtree(prefix)
        shutil.copytree(pristine, prefix)
        for path in hash_tiles:
            flip_last_byte(path)
        report, syncer = catch_up(city, mirror, copy.url)
        assert syncer.peers[copy.url].error_code == "BAD_PROOF", report
        assert market_head(city, mirror) == before

        shutil.rmtree(prefix)
        shutil.copytree(pristine, prefix)
        report, syncer = catch_up(city, mirror, copy.url)  # the same copy untouched: it was the tampering
    assert caught_up(city, mirror), (report, syncer.peers)


def test_full_bundles_are_gzipped_once_and_the_cache_keeps_to_its_budget():
    reads: list[int] = []

    def read(i: int) -> bytes:
        reads.append(i)
        return tiles.encode_bundle([b'{"n":%d}' % (i * 1000 + j) for j in range(256)])

    cache = BundleCache(budget=2 * len(compress(read(0))) + 100)
    reads.clear()
    first = [cache.gzipped(("o", i), partial(read, i)) for i in (0, 1)]
    assert [gzip.decompress(g) for g in first] == [read(0), read(1)] and reads == [0, 1, 0, 1]
    reads.clear()
    assert cache.gzipped(("o", 0), partial(read, 0)) == first[0] and reads == []  # from memory
    cache.gzipped(("o", 2), partial(read, 2))  # over budget: the least recently used (1) goes
    reads.clear()
    cache.gzipped(("o", 0), partial(read, 0))
    cache.gzipped(("o", 1), partial(read, 1))
    assert reads == [1]


def test_partial_tiles_that_are_gone_are_read_from_the_full_ones(city, tmp_path):
    """A copy whose rightmost partial tile and bundle were replaced by full ones
    (a newer checkpoint's) still serves the older size: their first W hashes or entries."""
    www = tmp_path / "www"
    publish_home(city.home(MARKET) / "ledger.sqlite", www)
    prefix, size = www / "tlog" / MARKET, market_head(city, MARKET).size
    index, width = divmod(size, 256)
    assert width, "the log must end in a partial tile for this test"
    for partial_tile, filler in (
        (tiles.Tile(0, index, width), bytes(32)),
        (tiles.Tile(tiles.ENTRIES, index, width), None),
    ):
        path = prefix / partial_tile.path
        data = path.read_bytes()
        if filler is None:  # entries past the width: well-formed, never looked at
            entries = tiles.decode_bundle(data)
            data = tiles.encode_bundle(entries + entries[:1] * (256 - width))
        else:
            data += filler * (256 - width)
        shutil.rmtree(path.parent)
        (prefix / tiles.Tile(partial_tile.level, index).path).write_bytes(data)
    with StaticCopy(www) as copy:
        report, syncer = catch_up(city, "city-root", copy.url)
    assert caught_up(city, "city-root"), (report, syncer.peers)

"""C2SP tlog-tiles: paths and contents against the spec and first principles;
a log published as static files and read only through nginx verifies end to
end; the node's own /tlog routes serve the same bytes (docs/protocol.md §13)."""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import re
import shutil
import subprocess
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from conftest import quiet_demo_city
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from ledger_kit import TEST_PLUGIN, note, open_node, sign_in
from nodes import free_port, serving, wait_for
from test_cli import cli

from citychain.cli import cmd_node_serve
from citychain.clock import FakeClock
from citychain.log import merkle, tiles
from citychain.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from citychain.log.records import parse_leaf, signing_message
from citychain.net.service import NodeService
from citychain.node.bundle import read_bundle, trust_from_bundle
from citychain.node.publish import PublishError, publish_home, publish_log
from citychain.node.store import Store
from democity import spec
from democity.build import BUNDLE_FILE
from main import build_parser

ROOT = Path(__file__).resolve().parent.parent
NGINX_SNIPPET = ROOT / "docs" / "nginx-tlog.conf"
MARKET = "market-regulation"


# -- from first principles ---------------------------------------------------------------------
def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 §2.1 over leaf hashes, straight from its recursion."""
    return mth_ranges(hashes)(0, len(hashes))


def mth_ranges(hashes: list[bytes]):
    """MTH(D[lo:hi]) by the same recursion, each range hashed once (big trees stay cheap)."""

    @functools.cache
    def of(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return hashes[lo]
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        return sha(b"\x01" + of(lo, lo + k) + of(lo + k, hi))

    return of


def expected_tile(of, level: int, index: int, width: int) -> bytes:
    """The spec's formula: hash i is MTH(D[(n·256+i)·256^l : (n·256+i+1)·256^l])."""
    span = 256**level
    return b"".join(of((index * 256 + i) * span, (index * 256 + i + 1) * span) for i in range(width))


def root_from_tiles(size: int, fetch) -> bytes:
    """What a stock tlog-tiles client does (Go's tlog.TreeHash over tiles): split
    the tree into its perfect subtrees, find each inside the tile that holds
    its level, hash the tile's hashes up to it, fold the subtrees."""
    parts, start = [], 0
    for height in range(size.bit_length() - 1, -1, -1):
        if not size >> height & 1:
            continue
        level, rest = divmod(height, 8)
        first = start >> (8 * level)  # index of its first hash within the tile level
        tile_index, at = divmod(first, 256)
        full = (size >> (8 * level)) // 256 > tile_index
        width = 256 if full else (size >> (8 * level)) % 256
        data = fetch(tiles.Tile(level, tile_index, width).path)
        assert len(data) == 32 * width
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        parts.append(mth(hashes[at : at + (1 << rest)]))
        start += 1 << height
    return merkle.fold(parts)


# -- paths ---------------------------------------------------------------------------------------
def test_paths_are_spelt_as_the_spec_says_and_only_so():
    assert tiles.encode_index(1234067) == "x001/x234/067"  # the spec's example
    assert [tiles.encode_index(n) for n in (0, 7, 999, 1000, 1000000)] == [
        "000",
        "007",
        "999",
        "x001/000",
        "x001/x000/000",
    ]
    assert tiles.Tile(0, 1234067).path == "tile/0/x001/x234/067"
    assert tiles.Tile(2, 5, 17).path == "tile/2/005.p/17"
    assert tiles.Tile(tiles.ENTRIES, 1000, 1).path == "tile/entries/x001/000.p/1"
    for tile in (tiles.Tile(0, 0), tiles.Tile(63, 10**9, 255), tiles.Tile(tiles.ENTRIES, 1234067, 3)):
        assert tiles.parse_path(tile.path) == tile
    for bad in (
        "tile/0/0",  # groups are three digits
        "tile/0/x000/001",  # no leading zero group
        "tile/0/x001",  # the last group has no x
        "tile/00/000",  # no leading zeros in the level
        "tile/64/000",  # levels 0..63
        "tile/0/000.p/0",  # widths 1..255
        "tile/0/000.p/256",
        "tile/0/000.p/010",
        "tile/-1/000",
        "tile/entries/000/",
        "tile/0/000.p",
        "tiles/0/000",
    ):
        with pytest.raises(tiles.TileError):
            tiles.parse_path(bad)


def test_which_tiles_a_tree_has_as_in_the_spec_examples():
    paths = [t.path for t in tiles.tiles_of(70_000)]
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile,
    # one partial level 1 tile of width 17, and one partial level 2 tile of width 1"
    assert paths == [tiles.Tile(0, n).path for n in range(273)] + [
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]
    assert [t.path for t in tiles.tiles_of(256)] == ["tile/0/000", "tile/1/000.p/1"]
    assert list(tiles.tiles_of(0)) == list(tiles.bundles_of(0)) == []
    # growing from 70,000 to 70,300 adds one full level-0 tile; the partials are all new
    assert [t.path for t in tiles.tiles_of(70_300, since=70_000)] == [
        "tile/0/273",
        "tile/0/274.p/156",
        "tile/1/001.p/18",
        "tile/2/000.p/1",
    ]
    assert [t.path for t in tiles.bundles_of(70_300, since=70_000)] == ["tile/entries/273", "tile/entries/274.p/156"]


# -- contents from first principles ------------------------------------------------------------
def tree_of(size: int) -> tuple[list[bytes], list[bytes], merkle.MemoryTree]:
    """Leaves (every third one empty), their RFC 6962 leaf hashes, and our tree built from those hashes."""
    leaves = [i.to_bytes(4, "big") * (i % 3) for i in range(size)]
    leaf_hashes = [sha(b"\x00" + d) for d in leaves]
    return leaves, leaf_hashes, merkle.MemoryTree.from_hashes(leaf_hashes)


def tile_from_tree(tree: merkle.MemoryTree, tile: tiles.Tile) -> bytes:
    level, start, end = tile.node_range()
    return b"".join(tree.node(level, i) for i in range(start, end))


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65_537])
def test_every_tile_and_bundle_holds_what_the_spec_says(size):
    leaves, leaf_hashes, tree = tree_of(size)
    of = mth_ranges(leaf_hashes)
    served = {t.path: tile_from_tree(tree, t) for t in tiles.tiles_of(size)}
    for path, data in served.items():
        tile = tiles.parse_path(path)
        assert data == expected_tile(of, tile.level, tile.index, tile.width), path
        assert tiles.exists_in(tile, size)
        if not tile.full:  # the widest there is: one more hash, or the full tile, is not there yet
            assert not tiles.exists_in(tiles.Tile(tile.level, tile.index, tile.width + 1), size)
    assert root_from_tiles(size, served.__getitem__) == tree.root() == (of(0, size) if size else sha(b""))
    bundles = list(tiles.bundles_of(size))
    assert [b.entry_range() for b in bundles] == [(256 * n, min(256 * n + 256, size)) for n in range(len(bundles))]
    for bundle in bundles:
        start, end = bundle.entry_range()
        entries = tiles.decode_bundle(tiles.encode_bundle(leaves[start:end]))
        assert entries == leaves[start:end]
        level0 = served[tiles.Tile(0, bundle.index, bundle.width).path]
        assert b"".join(leaf_hashes[start:end]) == level0  # each entry hashes (RFC 6962) to its level-0 hash


def test_bundles_refuse_what_a_uint16_cannot_carry_or_a_cut_short_body():
    assert tiles.encode_bundle([b"", b"ab"]) == b"\x00\x00\x00\x02ab"
    assert tiles.decode_bundle(tiles.encode_bundle([b"x" * 65_535])) == [b"x" * 65_535]
    with pytest.raises(tiles.TileError):
        tiles.encode_bundle([b"x" * 65_536])
    for cut in (b"\x00", b"\x00\x03ab"):
        with pytest.raises(tiles.TileError):
            tiles.decode_bundle(cut)


# -- a real log, published and read through nginx ----------------------------------------------
def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


class Nginx:
    """nginx on 127.0.0.1 serving `root` with docs/nginx-tlog.conf, in the foreground, in its own folder."""

    def __init__(self, binary: str, root: Path, work: Path) -> None:
        self.port, self.work = free_port(), work
        work.mkdir()
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""  # read 0700 test folders
        temp = " ".join(
            f"{kind}_temp_path {work}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (work / "nginx.conf").write_text(
            f"""{user} daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; {temp}
  server {{ listen 127.0.0.1:{self.port}; root {root}; include {NGINX_SNIPPET}; }} }}
"""
        )
        self.proc = subprocess.Popen(
            [binary, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        def up() -> bool:
            assert self.proc.poll() is None, (self.work / "error.log").read_text()
            try:
                requests.get(self.url + "/", timeout=1)
                return True
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=10, step=0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    """The demo city, whose market-regulation log the tests grow past one full tile."""
    path = tmp_path_factory.mktemp("tiles")
    return quiet_demo_city(path / "city", clock=FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)))


def store_of(city) -> closing[Store]:
    return closing(Store(city.home(MARKET) / "ledger.sqlite"))


def append_notes(city, count: int, start: int) -> int:
    with open_node(city, MARKET) as node:
        node.append(sign_in(node, "clerk"), [note(start + i) for i in range(count)])
        return node.store.head(MARKET).size


def read_log_through(url: str, origin: str, keys: dict[str, bytes]) -> tuple[int, list[bytes], dict]:
    """A reader with nothing but HTTP and the agency's keys from the trust bundle:
    check the checkpoint, rebuild its root from tiles, check every entry."""
    session = requests.Session()
    got = session.get(f"{url}/checkpoint", timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"] == "text/plain; charset=utf-8", got.headers
    signed = open_checkpoint(got.text, origin, list(keys.values())).checkpoint
    fetched: dict[str, bytes] = {}

    def fetch(path: str) -> bytes:
        answer = session.get(f"{url}/{path}", timeout=10, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, (path, answer.status_code)
        assert answer.headers["Content-Type"] == "application/octet-stream"
        assert "immutable" in answer.headers["Cache-Control"] and answer.headers["Access-Control-Allow-Origin"] == "*"
        fetched[path] = answer.content  # requests undoes the gzip
        return answer.content

    assert root_from_tiles(signed.size, fetch) == signed.root
    entries = []
    for bundle in tiles.bundles_of(signed.size):
        data = tiles.decode_bundle(fetch(bundle.path))
        level0 = fetched.get(tiles.Tile(0, bundle.index, bundle.width).path) or fetch(
            tiles.Tile(0, bundle.index, bundle.width).path
        )
        assert b"".join(map(merkle.leaf_hash, data)) == level0
        entries += data
    for seq, data in enumerate(entries):
        leaf = parse_leaf(data)
        assert leaf.record.seq == seq
        Ed25519PublicKey.from_public_bytes(keys[leaf.kid]).verify(leaf.sig, signing_message(leaf.record_bytes))
    return signed.size, entries, {"checkpoint": got}


def agency_keys(city, agency: str) -> dict[str, bytes]:
    trust = trust_from_bundle(read_bundle(city.path / BUNDLE_FILE))
    return {key.kid: key.public_key for key in trust.agencies[agency].keys}


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (scripts/setup.sh installs it)")
def test_a_published_log_read_only_through_nginx_verifies_and_full_tiles_never_change(market, tmp_path):
    out = tmp_path / "www"
    with store_of(market) as store:
        head = store.head(MARKET)
    keys, origin = agency_keys(market, MARKET), head.origin
    size = append_notes(market, 250 - head.size, 0)
    assert {p.agency for p in publish_home(market.home(MARKET) / "ledger.sqlite", out)} >= {MARKET, "city-root"}
    prefix = out / "tlog" / MARKET
    assert not (prefix / "tile" / "0" / "000").exists() and (prefix / "tile" / "0" / "000.p" / str(size)).exists()
    size = append_notes(market, 10, 1000)  # 260: the first full tile and bundle appear
    with store_of(market) as store:
        publish_log(store, MARKET, out)
    full = {p: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns) for p in prefix.rglob("*") if p.is_file()}
    full = {p: v for p, v in full.items() if ".p" not in p.parent.name and p.name != "checkpoint"}
    assert {p.relative_to(prefix).as_posix() for p in full} == {"tile/0/000", "tile/entries/000"}
    assert not (prefix / "tile" / "0" / "000.p").exists()  # its partial versions are gone
    size = append_notes(market, 5, 2000)
    server = Nginx(nginx_binary(), out, tmp_path / "nginx")
    try:
        server.wait_ready()
        url = f"{server.url}/tlog/{MARKET}"
        assert read_log_through(url, origin, keys)[0] == size - 5  # not yet published
        done = cli("log", "publish", "--home", str(market.home(MARKET)), "--out", str(out))  # as an operator would
        assert done.returncode == 0 and f"{MARKET}: size {size}," in done.stdout, done.stderr
        read, entries, answers = read_log_through(url, origin, keys)
        assert read == size and len(entries) == size
        assert answers["checkpoint"].headers["Cache-Control"] == "public, max-age=5"
        assert requests.get(f"{url}/.checkpoint.tmp", timeout=5).status_code == 404
        gzipped = requests.get(f"{url}/tile/entries/000", headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
        assert gzipped.headers.get("Content-Encoding") == "gzip"
    finally:
        server.stop()
    for path, (data, inode, mtime) in full.items():  # never rewritten across appends
        assert (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns) == (data, inode, mtime)
    with store_of(market) as store:
        assert publish_log(store, MARKET, out).written == 0  # nothing new: nothing written


def test_publishing_refuses_another_log_a_newer_state_or_a_fork_in_the_folder(market, tmp_path):
    out = tmp_path / "www"
    publish_home(market.home(MARKET) / "ledger.sqlite", out)
    path = out / "tlog" / MARKET / "checkpoint"
    with store_of(market) as store:
        head, key = store.head(MARKET), Ed25519PrivateKey.generate()  # publishing trusts no signature: any key will do
        for checkpoint, why in (
            (Checkpoint("citychain/demo/elsewhere", 1, head.root), "another log"),
            (Checkpoint(head.origin, head.size + 1, head.root), "newer checkpoint"),
            (Checkpoint(head.origin, head.size - 1, head.root), "a fork"),
        ):
            path.write_text(sign_checkpoint(checkpoint, key))
            with pytest.raises(PublishError, match=why):
                publish_log(store, MARKET, out)


# -- the node's own routes ---------------------------------------------------------------------
@pytest.fixture
def served(market, tmp_path):
    """The market node served from this process with `--publish`."""
    node = open_node(market, MARKET)
    service = NodeService(node, (TEST_PLUGIN,), interval=3600, publish=tmp_path / "published")
    service.publisher.start()  # as `serve` does once the sync loop runs
    try:
        with serving(service) as url:
            yield node, url, tmp_path / "published"
    finally:
        node.close()


def test_node_serve_takes_a_folder_to_publish_to():
    args = build_parser().parse_args(["node", "serve", "--home", "h", "--publish", "www"])
    assert args.publish == "www" and args.func is cmd_node_serve


def test_the_node_serves_the_same_tiles_it_publishes_with_cors_on_reads_only(served, market):
    node, url, published = served
    size = node.store.head(MARKET).size
    prefix = published / "tlog" / MARKET
    wait_for(lambda: (prefix / "checkpoint").exists() and f"\n{size}\n" in (prefix / "checkpoint").read_text())
    logs = requests.get(url + "/v1/logs", timeout=5)
    assert logs.headers["Access-Control-Allow-Origin"] == "*"
    tiles_url = next(log["tiles"] for log in logs.json()["logs"] if log["agency"] == MARKET)
    assert tiles_url == f"{url}/tlog/{MARKET}/"
    read, entries, _ = read_log_through(tiles_url.rstrip("/"), node.config.origin, agency_keys(market, MARKET))
    assert read == size
    for path in [t.path for t in tiles.tiles_of(size)] + [b.path for b in tiles.bundles_of(size)]:
        assert requests.get(tiles_url + path, timeout=5).content == (prefix / path).read_bytes(), path
    for odd in (
        "tile/0/x000/000",
        "tile/0/999",
        f"tile/0/{size // 256:03d}.p/{size % 256 + 1}",
        "tile/entries/000.p/0",
        "tile/0/000/",
    ):
        refused = requests.get(tiles_url + odd, timeout=5)
        assert refused.status_code == 404 and refused.json()["error"] == "NO_TILE", odd
        assert "immutable" not in refused.headers.get("Cache-Control", "")
    assert requests.get(f"{url}/tlog/nobody/checkpoint", timeout=5).json()["error"] == "NO_LOG"
    # writes never carry CORS, nor do the operators' pages
    for method, path in (("POST", "/v1/records"), ("POST", "/v1/login"), ("GET", "/v1/status")):
        assert "Access-Control-Allow-Origin" not in requests.request(method, url + path, timeout=5).headers
    # an append is published at once (the publisher wakes on it)
    token = requests.post(url + "/v1/login", json={"user": "clerk", "password": spec.PASSWORDS["clerk"]}, timeout=10)
    assert token.status_code == 200, token.text
    added = requests.post(
        url + "/v1/records",
        json={"records": [{"kind": k, "body": b} for k, b in [note(9000)]]},
        headers={"Authorization": "Bearer " + token.json()["token"]},
        timeout=10,
    )
    assert added.status_code == 201, added.text
    wait_for(lambda: f"\n{size + 1}\n" in (prefix / "checkpoint").read_text(), timeout=10)


# -- the vectors of docs/protocol.md §13.6 -----------------------------------------------------
def protocol_section(number: int) -> str:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_the_documented_vectors_hold():
    section = protocol_section(13)
    rfc_leaves = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")]
    rfc_leaves.append(bytes.fromhex("606162636465666768696a6b6c6d6e6f"))
    tree = merkle.MemoryTree(rfc_leaves)
    bundle_hex = re.search(r"bundle `tile/entries/000\.p/8`, 50 bytes:\n\n((?:      .*\n)+)", section).group(1)
    assert tiles.encode_bundle(rfc_leaves) == bytes.fromhex("".join(bundle_hex.split()))
    [tile] = tiles.tiles_of(8)
    data = tile_from_tree(tree, tile)
    assert tile.path == "tile/0/000.p/8" and f"SHA-256\n  `{sha(data).hex()}`" in section
    root = tree.root().hex()
    assert root_from_tiles(8, {tile.path: data}.__getitem__).hex() == root and f"`{root[:8]}…{root[-5:]}`" in section
    leaf = re.search(r"leaf bytes\n\n    (\{.*\})\n", protocol_section(2)).group(1).encode()
    assert tiles.encode_bundle([leaf])[:2].hex() in section and f"({len(leaf)})" in section
    leaf_hash = merkle.leaf_hash(leaf).hex()
    assert f"`{leaf_hash[:8]}…{leaf_hash[-6:]}`" in section and leaf_hash in protocol_section(2)

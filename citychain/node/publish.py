"""Write the logs a node holds as static tlog-tiles files (docs/protocol.md §13).

`OUT/tlog/<agency>/` gets the same files the node serves under
`/tlog/<agency>/`, so any web server, object store or CDN pointed at OUT
serves the logs without our code. Each file is written to a temporary name and
renamed into place; tiles first, their folders synced, the checkpoint last, so
a reader never sees a checkpoint whose tiles are missing. A full tile or bundle
that exists is never written again; the partial ones it replaces are removed
once the new checkpoint is in place (the spec allows it, and a client may fall
back to the full tile).

`Publisher` keeps a folder up to date while the node serves (`node serve
--publish DIR`); `publish_home`, for `log publish` on a stopped node, does one pass.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from citychain.errors import CityChainError, MessageError
from citychain.files import fsync_dir, write_atomic
from citychain.log import merkle, tiles
from citychain.log.checkpoint import parse_checkpoint
from citychain.log.note import parse_note
from citychain.node.store import Store
from citychain.node.tiled import TiledLog, read_tile, tiled_log

log = logging.getLogger("citychain.publish")


class PublishError(MessageError):
    """The output folder holds something this log must not overwrite."""

    code = "PUBLISH_REFUSED"


@dataclass(frozen=True)
class Published:
    agency: str
    size: int
    written: int  # files written in this pass (tiles, bundles, the checkpoint)
    prefix: Path


def log_prefix(out: Path, agency: str) -> Path:
    """Where a log's files go: its URL prefix `/tlog/<agency>/` under the web root `out`."""
    return Path(out) / "tlog" / agency


def publish_log(store: Store, agency: str, out: Path) -> Published | None:
    """Bring `out`'s copy of one log up to its latest checkpoint (None: no checkpoint yet)."""
    tiled = tiled_log(store, agency)
    if tiled is None:
        return None
    prefix = log_prefix(out, agency)
    since = _published_size(store, tiled, prefix / "checkpoint")
    written, folders, full = 0, set(), []
    for tile in chain(tiles.tiles_of(tiled.size, since), tiles.bundles_of(tiled.size, since)):
        path = prefix / tile.path
        if path.exists():  # a tile's bytes never change: nothing to gain, a full tile is never rewritten
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, read_tile(store, tiled, tile), sync_dir=False)
        written += 1
        folders.add(path.parent)
        if tile.full:
            full.append(tile)
    for folder in folders:
        fsync_dir(folder)
    if _read(prefix / "checkpoint") != tiled.checkpoint:
        prefix.mkdir(parents=True, exist_ok=True)
        write_atomic(prefix / "checkpoint", tiled.checkpoint.encode("utf-8"))
        written += 1
    for tile in full:
        shutil.rmtree(prefix / tile.partial_dir, ignore_errors=True)
    return Published(agency, tiled.size, written, prefix)


def publish_all(store: Store, out: Path) -> list[Published]:
    """Every log the store holds that has a checkpoint."""
    done = (publish_log(store, head.agency, out) for head in store.heads())
    return [p for p in done if p is not None]


def publish_home(db_path: Path, out: Path) -> list[Published]:
    store = Store(db_path)
    try:
        return publish_all(store, out)
    finally:
        store.close()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _published_size(store: Store, tiled: TiledLog, path: Path) -> int:
    """The size of the checkpoint already in the folder (0 if none), once it is
    shown to be an earlier state of this very log: another log's tiles, a
    newer state or a fork are never written over."""
    text = _read(path)
    if text is None:
        return 0
    try:
        old = parse_checkpoint(parse_note(text).text)
    except CityChainError as exc:
        raise PublishError(f"{path} 不是检查点", f"{path} is not a checkpoint: {exc}") from exc
    if old.origin != tiled.origin:
        raise PublishError(f"{path} 属于另一个日志 {old.origin}", f"{path} belongs to another log, {old.origin}")
    if old.size > tiled.size:
        raise PublishError(
            f"{path} 已有更新的检查点（{old.size} 条 > {tiled.size} 条），拒绝倒退",
            f"{path} already holds a newer checkpoint ({old.size} > {tiled.size} entries); refusing to go back",
        )
    if merkle.root_at(store.reader(tiled.log_id), old.size) != old.root:
        raise PublishError(
            f"{path} 的根哈希与本节点在 {old.size} 条时的不同（分叉？）",
            f"{path} has another root at size {old.size} than this node's log (a fork?)",
        )
    return old.size


class Publisher:
    """Keeps `out` up to date with every log of the node's database, on its own
    thread and its own connection: at each new checkpoint (or new co-signatures)
    of any log, checked every `interval` seconds and at once on `wake`."""

    def __init__(self, db_path: Path, out: Path, interval: float = 1.0) -> None:
        self.db_path, self.out, self.interval = Path(db_path), Path(out), interval
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, str] = {}  # agency → the checkpoint note last published
        self._errors: dict[str, str] = {}  # agency → the failure last logged

    def start(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._loop, name="citychain-publish", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self) -> None:
        store = Store(self.db_path)
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.run_once(store)
                except sqlite3.Error as exc:
                    self._failed("*", exc)
                self._wake.wait(self.interval)
        finally:
            store.close()

    def run_once(self, store: Store) -> None:
        """One pass; a log that fails is tried again on the next pass, never fatal."""
        for head in store.heads():
            if not head.checkpoint or self._seen.get(head.agency) == head.checkpoint:
                continue
            try:
                publish_log(store, head.agency, self.out)
            except (CityChainError, OSError, LookupError, sqlite3.Error) as exc:
                self._failed(head.agency, exc)
                continue
            self._seen[head.agency] = head.checkpoint
            self._errors.pop(head.agency, None)

    def _failed(self, agency: str, exc: BaseException) -> None:
        """Log a failure once, not at every pass while it lasts."""
        if self._errors.get(agency) != str(exc):
            self._errors[agency] = str(exc)
            log.warning("publishing %s to %s failed: %s", agency, self.out, exc)

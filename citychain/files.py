"""Durable small-file writes: either the old or the new content survives a crash."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644, sync_dir: bool = True) -> None:
    """Write to a temporary file, fsync it, then rename over `path`.

    `sync_dir=False` skips the directory fsync for callers whose recovery
    accepts either version after a crash (it costs one more fsync).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    if sync_dir:
        fsync_dir(path.parent)

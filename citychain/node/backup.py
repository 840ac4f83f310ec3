"""Backup and restore of a whole node home.

A backup is a tar file: the config, the encrypted keys and the rollback guard,
the private store, and a consistent copy of the database made with SQLite's
online backup API (so a running node need not stop), plus a manifest with the
SHA-256 of every member. The guard is copied *before* the database, so the copy
is never behind its own guard. Restoring over an existing home keeps that
home's guard when it is newer: the node then refuses to sign until its log is
brought back to what it last signed.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from citychain.errors import MessageError
from citychain.node import guard
from citychain.node.home import Home
from citychain.node.store import Store

MANIFEST = "manifest.json"
FORMAT = "citychain-backup/v1"


class BackupError(MessageError, RuntimeError):
    """A backup that cannot be read or restored; the operator is told why."""

    code = "BAD_BACKUP"


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size_bytes: int
    summary: str


@dataclass(frozen=True)
class Restored:
    summary: str
    warning: str = ""


def _summary(store: Store) -> str:
    return ", ".join(f"{h.agency}={h.size}" for h in store.heads()) or "no logs"


def _files_of(home: Home) -> list[Path]:
    """Everything but the databases, their WAL files and the lock."""
    skip = {"node.lock"} | {db.name + suffix for db in _databases(home) for suffix in ("", "-wal", "-shm")}
    return sorted(p for p in home.path.rglob("*") if p.is_file() and p.name not in skip and not p.name.startswith("."))


def _databases(home: Home) -> list[Path]:
    """SQLite files, copied with the online backup API rather than as bytes."""
    return [home.db_path, home.private_dir / "store.sqlite"]


def _copy_database(source: Path, tmp: Path) -> bytes:
    copy = tmp / source.name
    origin_conn, target = sqlite3.connect(source), sqlite3.connect(copy)
    with target:
        origin_conn.backup(target)
    target.execute("PRAGMA journal_mode=DELETE")
    target.close()
    origin_conn.close()
    return copy.read_bytes()


def make_backup(node, out: Path) -> BackupMade:
    home: Home = node.home
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        members: dict[str, bytes] = {}
        for path in _files_of(home):
            members[str(path.relative_to(home.path))] = path.read_bytes()
        for db in _databases(home):
            if db.exists():
                members[str(db.relative_to(home.path))] = _copy_database(db, Path(tmp))
    manifest = {
        "format": FORMAT,
        "agency": node.config.agency,
        "logs": {h.agency: h.size for h in node.store.heads()},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    members[MANIFEST] = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
    tmp_out = out.with_name(out.name + ".part")
    with tarfile.open(tmp_out, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    tmp_out.replace(out)
    return BackupMade(out, out.stat().st_size, _summary(node.store))


def _read_members(source: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(source, "r") as tar:
            members = {}
            for info in tar.getmembers():
                name = info.name
                if not info.isfile() or name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError(f"the backup holds an unsafe entry: {name!r}")
                members[name] = tar.extractfile(info).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError("备份文件无法读取", f"the backup cannot be read: {exc}") from exc
    manifest = json.loads(members.pop(MANIFEST, b"{}") or b"{}")
    if manifest.get("format") != FORMAT:
        raise BackupError("this file is not a CityChain backup (no manifest)")
    listed = manifest["files"]
    if set(listed) != set(members):
        raise BackupError("the backup's files do not match its manifest")
    for name, digest in listed.items():
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise BackupError("备份已损坏", f"the backup is damaged: {name} does not match its checksum")
    return members


def restore_backup(source: Path, target: Path, user: str, password: str, force: bool = False) -> Restored:
    """Restore into `target`; an admin of the backed-up node must sign in."""
    from citychain.accounts.audit import AuditTrail
    from citychain.accounts.users import (  # the restored copy's own users decide
        Permissions,
        Users,
    )

    members = _read_members(Path(source))
    home = Home(Path(target))
    if home.exists() and not force:
        raise BackupError(f"{target} already holds a node home; add --force to replace it", code="HOME_EXISTS")
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home.path.parent if home.path.parent.exists() else None))
    try:
        for name, data in members.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        store = Store(staging / home.db_path.name)
        try:
            if store.conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the backed-up database fails SQLite's integrity check")
            audit = AuditTrail(store.db)
            users = Users(store.db, Permissions(), audit=audit)
            admin = users.authenticate(user, password)
            users.require(admin, "node.restore")
            audit.record(admin, "node.restore", "ok", target=Path(source).name)
            summary = _summary(store)
        finally:
            store.close()
        warning = _keep_newer_guard(home, Home(staging))
        if home.path.exists():
            shutil.rmtree(home.path)
        staging.replace(home.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Restored(summary, warning)


def _keep_newer_guard(current: Home, restored: Home) -> str:
    """A restore must not lower what this home has already signed."""
    if not current.guard_path.exists():
        return ""
    mine, theirs = guard.load(current.guard_path), guard.load(restored.guard_path)
    if theirs is not None and mine.size <= theirs.size:
        return ""
    shutil.copy2(current.guard_path, restored.guard_path)
    return (
        f"注意：本节点曾签名到 {mine.size} 条，备份只有 {theirs.size if theirs else 0} 条；在补回之前节点将拒绝签名。 / "
        f"Note: this node had signed up to size {mine.size}, the backup holds less; it will refuse to sign "
        f"until its log is brought back to that size."
    )

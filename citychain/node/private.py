"""The node's private store: what must never reach the shared ledger in the
clear (a certificate's seed and field values, a donor's name), encrypted at rest.

Each value is a JSON object sealed with AES-256-GCM (SM4-GCM in an SM2/SM3
city: the key's length says which) under one random data key;
the key itself is sealed with the node passphrase (`private/store.key`). The
row's namespace and key are bound in as associated data, so rows cannot be
swapped. Erasing a row (a deletion request) overwrites it in the file
(`secure_delete`) and empties the write-ahead log, so only the ledger's
unlinkable commitments remain.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from citychain.files import write_atomic
from citychain.log.keys import Aead, KdfCost, KeyFileInvalid, open_secret, seal_secret
from citychain.log.suite import DEFAULT, Suite

LABEL = "private-store data key"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sealed (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    nonce BLOB NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (ns, key)
) WITHOUT ROWID;
"""


class PrivateStore:
    def __init__(self, directory: Path, passphrase: str, cost: KdfCost = KdfCost(), suite: Suite = DEFAULT) -> None:
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_path = directory / "store.key"
        if not key_path.exists():
            sealed = seal_secret(Aead.new(suite).key, passphrase, LABEL, cost, suite)
            write_atomic(key_path, sealed, mode=0o600)
        self._aead = Aead(open_secret(key_path, passphrase, LABEL))
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(directory / "store.sqlite", check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    @staticmethod
    def _aad(ns: str, key: str) -> bytes:
        return f"citychain/private/v1\n{ns}\n{key}".encode()

    def put(self, ns: str, key: str, value: dict[str, Any]) -> None:
        nonce = os.urandom(12)
        data = self._aead.encrypt(nonce, json.dumps(value, ensure_ascii=False).encode(), self._aad(ns, key))
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO sealed VALUES (?, ?, ?, ?)", (ns, key, nonce, data))

    def get(self, ns: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT nonce, data FROM sealed WHERE ns = ? AND key = ?", (ns, key)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(self._aead.decrypt(row[0], row[1], self._aad(ns, key)))
        except InvalidTag:
            raise KeyFileInvalid(
                f"私有数据 {ns}/{key} 已损坏", f"private record {ns}/{key} is damaged or was moved"
            ) from None

    def erase(self, ns: str, key: str) -> bool:
        with self._lock:
            gone = self._conn.execute("DELETE FROM sealed WHERE ns = ? AND key = ?", (ns, key)).rowcount > 0
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

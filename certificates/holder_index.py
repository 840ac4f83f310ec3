"""Finding certificates by their holder without keeping holders in the clear.

The names and ID numbers a counter searches by live only in the node's
encrypted private store. This index keeps, per certificate, keyed hashes
(HMAC-SHA256 under a random key sealed in that same private store) of each
name and number, and the masked name a screen may show (张**). A search
hashes what the clerk typed and looks the hash up, so it finds exact names and
numbers in one index seek and nothing in the file reads back as a person.

The file sits beside the node's database (`<home>/counter/index.sqlite`) and
is attached to the desk's read connections, so a records search is one SQL
statement over both. A deletion request drops the certificate's rows with its
seed: an erased holder can no longer be found by name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from citychain.log.encoding import b64decode, b64encode
from citychain.log.masking import mask_name

from .types import BY_ID, RESIDENT_ID, USCC, LicenceType

KEY_NS, KEY_NAME = "counter", "holder-index-key"
SCHEMA = """
CREATE TABLE IF NOT EXISTS holders (
    cert_id TEXT PRIMARY KEY,
    masked TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    token BLOB NOT NULL,
    cert_id TEXT NOT NULL,
    PRIMARY KEY (token, cert_id)
) WITHOUT ROWID;
"""
# Which fields a holder may be found by, and which one names them on screen.
SEARCHABLE = ("holder_name", "holder_id", "spouse_name", "spouse_id", "legal_rep", "company_name", "uscc")
SHOWN = ("holder_name", "company_name")


def index_path(home: Path) -> Path:
    return Path(home) / "counter" / "index.sqlite"


def forget(home: Path, cert_id: str) -> None:
    """A deletion request: the certificate keeps its row (so catching up does
    not index it again) but loses its tokens and masked name."""
    path = index_path(home)
    if not path.exists():
        return
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM tokens WHERE cert_id = ?", (cert_id,))
        conn.execute("UPDATE holders SET masked = '' WHERE cert_id = ?", (cert_id,))
        conn.execute("COMMIT")
    finally:
        conn.close()


def normalise(text: str) -> str:
    """What a clerk typed and what was stored compare equal after this."""
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


def index_key(private) -> bytes:
    """The HMAC key, made on first use and kept sealed in the private store."""
    sealed = private.get(KEY_NS, KEY_NAME)
    if sealed is None:
        private.put(KEY_NS, KEY_NAME, {"key": b64encode(os.urandom(32))})
        sealed = private.get(KEY_NS, KEY_NAME)
    return b64decode(sealed["key"])


def shown_holder(licence: LicenceType, values: Mapping[str, Any]) -> str:
    """The masked name for the records table: the person's, else the company's."""
    for name in SHOWN:
        if name in values:
            field = licence.field(name)
            return mask_name(str(values[name])) if field.personal else str(values[name])
    return ""


class HolderIndex:
    def __init__(self, path: Path, key: bytes, hasher=hashlib.sha256) -> None:
        """`hasher`: the city's hash (HMAC-SM3 in an SM2/SM3 city)."""
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._key = key
        self._hasher = hasher
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def token(self, text: str) -> bytes:
        return hmac.new(self._key, normalise(text).encode(), self._hasher).digest()[:16]

    def _rows(self, cert_id: str, licence: LicenceType | None, values: Mapping[str, Any] | None):
        tokens = set()
        if licence is not None and values is not None:
            for name in SEARCHABLE:
                if name in values and any(f.name == name for f in licence.fields):
                    text = str(values[name])
                    kind = licence.field(name).kind
                    tokens.add(self.token(text.upper() if kind in (RESIDENT_ID, USCC) else text))
        masked = shown_holder(licence, values) if licence is not None and values is not None else ""
        return masked, [(t, cert_id) for t in tokens]

    def add_many(self, items: Iterable[tuple[str, LicenceType | None, Mapping[str, Any] | None]]) -> int:
        """Index certificates: (id, type, clear values or None when erased)."""
        holders, tokens = [], []
        for cert_id, licence, values in items:
            masked, rows = self._rows(cert_id, licence, values)
            holders.append((cert_id, masked))
            tokens.extend(rows)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR REPLACE INTO holders VALUES (?, ?)", holders)
                self._conn.executemany("INSERT OR IGNORE INTO tokens VALUES (?, ?)", tokens)
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()
        return len(holders)

    def add(self, cert_id: str, licence: LicenceType, values: Mapping[str, Any]) -> None:
        self.add_many([(cert_id, licence, values)])

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM holders").fetchone()[0]

    def certificates(self, text: str) -> list[str]:
        """The certificates naming exactly `text` (a name or number, as `add` indexed it)."""
        with self._lock:
            rows = self._conn.execute("SELECT cert_id FROM tokens WHERE token = ?", (self.token(text),))
            return [cert_id for (cert_id,) in rows]

    def catch_up(self, conn: sqlite3.Connection, log_id: int, sealed: Callable[[str], Mapping | None]) -> None:
        """Index the log's certificates issued through any door (a desk, the CLI,
        the demo) since last time; `sealed(id)` gives the private store's entry."""
        (have,) = conn.execute("SELECT COUNT(*) FROM certificates WHERE log = ?", (log_id,)).fetchone()
        if have == self.count():
            return
        with self._lock:
            indexed = {cert_id for (cert_id,) in self._conn.execute("SELECT cert_id FROM holders")}
        rows = conn.execute("SELECT id, type FROM certificates WHERE log = ?", (log_id,))
        missing = [(cert_id, type_id) for cert_id, type_id in rows if cert_id not in indexed]
        for start in range(0, len(missing), 1000):
            items = []
            for cert_id, type_id in missing[start : start + 1000]:
                entry = sealed(cert_id)
                items.append((cert_id, BY_ID[type_id], entry["values"] if entry else None))
            self.add_many(items)

    def attach_to(self, conn: sqlite3.Connection, schema: str = "idx") -> None:
        conn.execute(f"ATTACH DATABASE ? AS {schema}", (str(self.path),))

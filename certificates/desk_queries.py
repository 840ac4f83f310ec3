"""What a counter may read about this agency's certificates — a records
search, one certificate's detail, and its clear values — for both counters:
the HTTP desk of a hall node and the app's embedded node.

The JSON matches the counter's `ui.backend` data field for field (RecordPage,
CertificateDetail …), so a remote counter shows what an embedded one shows:
holders masked (张**, 330*************12) for every role, clear values only for
roles allowed `log.read_private`. A holder search matches what the clerk typed
exactly, through keyed hashes (`holder_index`), never by handing out clear
values.

Reads go through the calling thread's own SQLite connection (`readers`), so a
search never waits behind an append; clear values come from the node's
encrypted private store.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from datetime import date
from typing import Any

from citychain.accounts.users import User
from citychain.errors import RequestError
from citychain.log import merkle
from citychain.log.encoding import b64encode
from citychain.log.masking import mask_id_number, mask_name
from citychain.log.records import parse_leaf
from citychain.net.desk_api import whole_number
from citychain.net.status import own_cosigners

from . import kinds
from .desk import PRIVATE_NS, display_value
from .holder_index import HolderIndex, index_key, index_path
from .identifiers import parse_certificate_id
from .types import BY_ID, RESIDENT_ID, TYPES, USCC, Field, LicenceType

PRIVATE_ACTION = "log.read_private"
STATUSES = ("valid", "suspended", "revoked", "superseded")
# Rows of one log are inserted in log order, so rowid order is seq order — and
# walking the table's own b-tree backwards needs no sort of 100,000 rows.
SORTS = {
    "seq": "c.rowid",
    "id": "c.id",
    "type": "c.type",
    "valid_from": "c.valid_from",
    "valid_until": "c.valid_until",
    "status": "c.status",
}
MAX_LIMIT = 1000
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ID_FRAGMENT = re.compile(r"[0-9A-Za-z.]{3,}\Z")  # worth looking for inside certificate numbers
_CERT_KINDS = (kinds.ISSUED, kinds.REVOKED, kinds.SUSPENDED, kinds.REINSTATED, kinds.SUPERSEDED)


def shown_value(licence: LicenceType, field: Field, value: Any) -> str:
    """A field as a screen shows it: names and ID numbers masked."""
    if field.personal:
        return mask_id_number(str(value)) if field.kind in (RESIDENT_ID, USCC) else mask_name(str(value))
    return display_value(licence, field.name, value)


def query_from_params(params: Mapping[str, str]) -> dict[str, Any]:
    """The query string of `GET /v1/certificates`, checked."""

    def number(name: str, default: int, top: int) -> int:
        number = whole_number(params.get(name, str(default)), top)
        if number is None:
            raise RequestError(
                f"参数 {name} 须为 0–{top} 的整数", f"{name} must be a whole number 0–{top}", fields=(name,)
            )
        return number

    query = {
        "text": params.get("text", "")[:120].strip(),
        "type": params.get("type", ""),
        "status": params.get("status", ""),
        "date_from": params.get("date_from", "").strip(),
        "date_to": params.get("date_to", "").strip(),
        "sort": params.get("sort", "seq"),
        "descending": params.get("descending", "1") != "0",
        "offset": number("offset", 0, 10**9),
        "limit": max(1, number("limit", 200, MAX_LIMIT)),
    }
    if query["type"] and query["type"] not in BY_ID:
        raise RequestError(
            f"未知的证照类型 {query['type']}", f"unknown licence type {query['type']!r}", fields=("type",)
        )
    if query["status"] and query["status"] not in STATUSES:
        raise RequestError(
            f"未知的状态 {query['status']}", f"status is one of {', '.join(STATUSES)}", fields=("status",)
        )
    if query["sort"] not in SORTS:
        raise RequestError(f"不能按 {query['sort']} 排序", f"sort is one of {', '.join(SORTS)}", fields=("sort",))
    for name in ("date_from", "date_to"):
        if query[name] and not _is_date(query[name]):
            raise RequestError(
                "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD", 422, "INVALID_FIELDS", (name,)
            )
    return query


def _is_date(text: str) -> bool:
    try:
        return bool(_DATE_RE.match(text)) and date.fromisoformat(text) is not None
    except ValueError:
        return False


class DeskQueries:
    """`readers.store()` gives the calling thread its own Store: a search never
    waits behind an append. The holder index opens on first use (its key is in
    the private store, whose passphrase check is slow)."""

    def __init__(self, node, readers) -> None:
        self.node = node
        self.readers = readers
        self._index: HolderIndex | None = None
        self._index_lock = threading.Lock()
        self._local = threading.local()
        self._indexed_at = -1  # own log size when the index was last found complete

    @property
    def index(self) -> HolderIndex:
        with self._index_lock:
            if self._index is None:
                with self.node.lock:
                    key = index_key(self.node.private())
                self._index = HolderIndex(index_path(self.node.home.path), key, self.node.config.suite.hash)
            return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def _own(self):
        store = self.readers.store()
        return store, store.head(self.node.config.agency)

    def issuable(self) -> list[str]:
        """Licence types the trust log lets this agency issue, in the catalogue's order."""
        agency = self.node.trust.agencies.get(self.node.config.agency)
        granted = agency.permissions if agency else frozenset()
        return [t.id for t in TYPES if t.permission in granted]

    def _sealed(self, cert_id: str) -> dict[str, Any] | None:
        return self.node.private().get(PRIVATE_NS, cert_id)

    def own_row(self, conn, cert_id: str) -> tuple:
        row = conn.execute(
            "SELECT c.id, c.type, c.seq, c.valid_from, c.valid_until, c.status, c.superseded_by "
            "FROM certificates c JOIN logs l ON l.id = c.log WHERE c.id = ? AND l.own = 1",
            (cert_id,),
        ).fetchone()
        if row is None:
            raise RequestError(
                f"本机构没有签发过证照 {cert_id}", f"this agency has not issued certificate {cert_id}", 404, "NOT_FOUND"
            )
        return row

    # -- search ---------------------------------------------------------------------
    def _reader(self):
        """The thread's Store, the holder index attached to its connection once."""
        store = self.readers.store()
        if getattr(self._local, "attached", None) is not store.conn:
            self.index.attach_to(store.conn)
            self._local.attached = store.conn
        return store

    def _catch_up(self, conn, log_id: int, size: int) -> None:
        """Index certificates issued through any door (this desk, the CLI, the demo) since last time."""
        if size == self._indexed_at:
            return
        self.index.catch_up(conn, log_id, self._sealed)
        self._indexed_at = size

    def search(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """A RecordPage: `text` is a holder's exact name or number (through the
        keyed-hash index) or part of a certificate number."""
        store = self._reader()
        head = store.head(self.node.config.agency)
        if head is None:
            return {"rows": [], "offset": query["offset"], "total": 0}
        conn = store.conn
        self._catch_up(conn, head.id, head.size)
        clauses, args = ["c.log = ?"], [head.id]
        if query["text"]:
            found, args = ["SELECT cert_id FROM idx.tokens WHERE token = ?"], args + [self.index.token(query["text"])]
            if _ID_FRAGMENT.match(query["text"]):
                escaped = query["text"].upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                found.append("SELECT id FROM certificates WHERE id LIKE ? ESCAPE '\\'")
                args.append(f"%{escaped}%")
            clauses.append(f"c.id IN ({' UNION ALL '.join(found)})")
        # The unary + keeps SQLite from reaching for the date index to filter: a date range usually holds most of
        # a log, and walking the index for it costs five times the plain scan. The index still serves date sorts.
        for column, value in (
            ("c.type = ?", query["type"]),
            ("c.status = ?", query["status"]),
            ("+c.valid_from >= ?", query["date_from"]),
            ("+c.valid_from <= ?", query["date_to"]),
        ):
            if value:
                clauses.append(column)
                args.append(value)
        where = " AND ".join(clauses)
        order = SORTS[query["sort"]] + (" DESC" if query["descending"] else " ASC")
        rows = conn.execute(
            "SELECT c.id, c.type, c.seq, c.valid_from, c.valid_until, c.status, COALESCE(h.masked, '') "
            f"FROM certificates c LEFT JOIN idx.holders h ON h.cert_id = c.id WHERE {where} "
            f"ORDER BY {order}, c.rowid DESC LIMIT ? OFFSET ?",
            (*args, query["limit"], query["offset"]),
        ).fetchall()
        (total,) = conn.execute(f"SELECT COUNT(*) FROM certificates c WHERE {where}", args).fetchone()
        keys = ("cert_id", "type", "seq", "valid_from", "valid_until", "status", "holder")
        return {"rows": [dict(zip(keys, row)) for row in rows], "offset": query["offset"], "total": total}

    def detail(self, cert_id: str) -> dict[str, Any]:
        """A CertificateDetail: status, masked fields, the ledger entry, its proof,
        the co-signers of the checkpoint it leads to, and its history."""
        store, head = self._own()
        _, type_id, seq, valid_from, valid_until, status, superseded_by = self.own_row(store.conn, cert_id)
        leaf = parse_leaf(store.leaves(head.id, seq, seq + 1)[0], store.hasher)
        path = merkle.inclusion_proof(store.reader(head.id), seq, head.size)
        licence, sealed = BY_ID[type_id], self._sealed(cert_id)
        fields = (
            []
            if sealed is None
            else [
                [f.name, shown_value(licence, f, sealed["values"][f.name])]
                for f in licence.fields
                if f.name in sealed["values"]
            ]
        )
        return {
            "cert_id": cert_id,
            "type": type_id,
            "status": status,
            "superseded_by": superseded_by,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "issued_at": leaf.record.time,
            "fields": fields,
            "erased": sealed is None,
            "leaf": json.loads(leaf.data),
            "leaf_hash": leaf.hash_hex,
            "log_size": head.size,
            "inclusion": [b64encode(h) for h in path],
            "checkpoint": head.checkpoint or "",
            "cosigners": list(self.cosigners(head.checkpoint)[0]),
            "history": self.history(store, head, cert_id, seq),
        }

    def values(self, cert_id: str) -> dict[str, str]:
        """Clear values, to start a supersession from (the caller checked the role)."""
        store, _ = self._own()
        self.own_row(store.conn, cert_id)
        sealed = self._sealed(cert_id)
        if sealed is None:
            raise RequestError(
                "此证照的个人数据已按申请删除", "this certificate's personal data was erased on request", 410, "ERASED"
            )
        return {name: str(value) for name, value in sealed["values"].items()}

    def cosigners(self, checkpoint: str | None) -> tuple[tuple[str, ...], int | None]:
        """Witness agencies with a valid co-signature, and the newest one's time."""
        found = own_cosigners(self.node, checkpoint, self.node.clock.now().timestamp())
        return tuple(sorted(name.rsplit("/", 1)[-1] for name in found)), max(found.values(), default=None)

    def history(self, store, head, cert_id: str, issue_seq: int) -> list[dict[str, Any]]:
        """The records about this certificate, with who appended each (the audit trail)."""
        parsed = parse_certificate_id(cert_id)
        targets = [cert_id]
        if int(parsed.version) > 1:
            before = type(parsed)(parsed.type_code, parsed.issuer_uscc, parsed.serial, f"{int(parsed.version) - 1:03d}")
            targets.append(str(before))
        who: dict[int, tuple[str, str]] = {}
        for user, role, detail in store.conn.execute(
            "SELECT user, role, detail FROM audit WHERE action = 'log.append' AND outcome = 'ok' "
            f"AND target IN ({', '.join('?' * len(targets))}) ORDER BY id",
            targets,
        ):
            detail = json.loads(detail)
            first = detail.get("first_seq", 0)
            for seq in range(first, first + detail.get("count", 0)):
                who[seq] = (user, role)
        entries = []
        for seq in sorted(s for s in set(who) | {issue_seq} if s < head.size):
            record = parse_leaf(store.leaves(head.id, seq, seq + 1)[0]).record
            body = record.body
            if record.kind not in _CERT_KINDS or body.get("id") != cert_id:
                continue
            other = (
                body.get("by", "")
                if record.kind == kinds.SUPERSEDED
                else (targets[1] if len(targets) > 1 and record.kind == kinds.ISSUED else "")
            )
            user, role = who.get(seq, ("", ""))
            entries.append(
                {
                    "seq": seq,
                    "kind": record.kind,
                    "time": record.time,
                    "user": user,
                    "role": role,
                    "reason": body.get("reason", ""),
                    "other": other,
                }
            )
        return entries


def sees_private(node, user: User) -> bool:
    return node.permissions.allows(str(user.role), PRIVATE_ACTION)

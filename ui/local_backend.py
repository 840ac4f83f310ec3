"""The counter's node in this process: `Backend` on an embedded `Node`.

Writes go through the node (roles, rules, audit) and the certificate and
charity desks; reads run on per-thread read-only connections with the holder
index attached, so a records search never waits for the writer and a page of
the table is one SQL statement. The sync loop runs on its own thread, as in
`node serve`; "sync now" runs one round on the caller's (a task's) thread.
"""

from __future__ import annotations

import functools
import re
import secrets
import sqlite3
import threading
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from certificates import kinds as cert_kinds
from certificates.desk import CertificateDesk
from certificates.desk_queries import PRIVATE_ACTION, DeskQueries
from certificates.identifiers import parse_certificate_id
from certificates.types import TYPES, licence_type
from citychain.clock import format_time
from citychain.node import Node
from citychain.sync import Syncer

from . import backend as api
from .backend import (
    BackendError, CertificateDetail, IssuedCertificate, LogStatus, NodeInfo, NodeStatus, PeerStatus,
    RecordPage, RecordQuery, RecordRow, Session, SyncReport,
)
from .backend_json import from_json
from .errors import translated
from .holder_index import HolderIndex, index_key
from .local_charity import CharityMethods

CHANGES = {"revoke": cert_kinds.REVOKED, "suspend": cert_kinds.SUSPENDED, "reinstate": cert_kinds.REINSTATED}
# Rows of one log are inserted in log order, so rowid order is seq order — and
# walking the table's own b-tree backwards needs no sort of 100,000 rows.
_SORT_SQL = {"seq": "c.rowid", "id": "c.id", "type": "c.type", "valid_from": "c.valid_from",
             "valid_until": "c.valid_until", "status": "c.status"}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ID_FRAGMENT = re.compile(r"[0-9A-Za-z.]{3,}\Z")  # worth looking for inside certificate numbers
MAX_PAGE = 1000


def default_plugins() -> tuple:
    """Every domain package the counter serves."""
    from certificates.kinds import PLUGIN as certificates
    from charity.kinds import PLUGIN as charity

    return (certificates, charity)


def _checked(method: Callable) -> Callable:
    """Every failure a person can act on leaves as a BackendError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with translated():
            return method(self, *args, **kwargs)

    return wrapper


class _NodeReaders:
    """DeskQueries reads through `readers.store()`; here that is the node's own
    store, used under the node's lock."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def store(self):
        return self.node.store


class LocalBackend(CharityMethods):
    def __init__(self, home: Path, plugins: Sequence | None = None, *, clock=None, argon2=None,
                 sync: bool = True, sync_interval: float = 30.0, passphrase: str | None = None) -> None:
        self.home = Path(home)
        with translated():
            self.node = Node.open(self.home, default_plugins() if plugins is None else plugins, passphrase,
                                  clock=clock, argon2=argon2)
        self.desk = CertificateDesk(self.node)
        self.queries = DeskQueries(self.node, _NodeReaders(self.node))
        ca = self.node.home.city_ca_path
        self.syncer = Syncer(self.node, str(ca) if ca.exists() else None, sync_interval)
        if sync:
            self.syncer.start()
        self._sessions: dict[str, Any] = {}
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._index: HolderIndex | None = None
        self._index_lock = threading.Lock()
        self._checked_size = -1  # own log size when the holder index was last found complete
        self.query_hook: Callable[[str], None] | None = None  # tests count the SQL a screen runs

    # -- plumbing -------------------------------------------------------------------
    @property
    def index(self) -> HolderIndex:
        """Opened on first use: its key needs the private store, whose passphrase check is slow."""
        with self._index_lock:
            if self._index is None:
                with self.node.lock:  # Node.private() opens the store once
                    key = index_key(self.node.private())
                self._index = HolderIndex(self.home / "counter" / "index.sqlite", key)
            return self._index

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.node.home.db_path}?mode=ro", uri=True, check_same_thread=False)
            self.index.attach_to(conn)
            conn.set_trace_callback(lambda sql: self.query_hook(sql) if self.query_hook else None)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _user(self, session: Session):
        user = self._sessions.get(session.token)
        if user is None:
            raise BackendError(api.UNAUTHENTICATED, "登录已失效，请重新登录", "you are signed out; please sign in again")
        return user

    def _own_log(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT id FROM logs WHERE agency = ? AND own = 1", (self.node.config.agency,)).fetchone()
        return row[0] if row else -1

    # -- the node and signing in ---------------------------------------------------------
    @_checked
    def info(self) -> NodeInfo:
        config = self.node.config
        agency = self.node.trust.agencies.get(config.agency)
        permissions = agency.permissions if agency else frozenset()
        return NodeInfo(
            config.city, config.agency, agency.name_zh if agency else config.agency,
            agency.name_en if agency else config.agency,
            tuple(t.id for t in TYPES if t.permission in permissions),
            "charity:organisation" in permissions, "charity:acknowledge" in permissions, str(self.home),
            agencies=tuple((a.id, a.name_zh, a.name_en) for a in self.node.trust.agencies.values()),
            beneficiaries=tuple(a.id for a in self.node.trust.agencies.values()
                                if "charity:acknowledge" in a.permissions),
        )

    @_checked
    def sign_in(self, user: str, password: str) -> Session:
        with self.node.lock:
            found = self.node.users.authenticate(user.strip(), password)
        actions = tuple(sorted(r.action for r in self.node.permissions.rules() if found.role in r.roles))
        token = secrets.token_urlsafe(24)
        self._sessions[token] = found
        return Session(found.name, found.display_name, str(found.role), actions, token)

    def sign_out(self, session: Session) -> None:
        self._sessions.pop(session.token, None)

    # -- certificates --------------------------------------------------------------------
    def _issued(self, issued) -> IssuedCertificate:
        body = issued.leaf.record.body
        self.index.add(issued.cert_id, licence_type(body["type"]), issued.values)
        return IssuedCertificate(issued.cert_id, body["type"], issued.leaf.record.seq, body["valid_from"],
                                 body.get("valid_until"))

    @_checked
    def issue(self, session: Session, type_id: str, form: Mapping[str, str], valid_from: str | None = None,
              valid_until: str | None = None) -> IssuedCertificate:
        user = self._user(session)
        return self._issued(self.desk.issue(user, type_id, dict(form), valid_from or None, valid_until or None))

    @_checked
    def certificate_pdf(self, session: Session, cert_id: str) -> bytes:
        self._user(session)
        cert_id = str(parse_certificate_id(cert_id))
        with self.node.lock:
            return self.desk.pdf(cert_id)

    def _catch_up(self, conn: sqlite3.Connection, log: int) -> None:
        """Index certificates issued by other doors (the CLI, the demo) since last time."""
        (size,) = conn.execute("SELECT size FROM logs WHERE id = ?", (log,)).fetchone() or (0,)
        if size == self._checked_size:
            return
        (have,) = conn.execute("SELECT COUNT(*) FROM certificates WHERE log = ?", (log,)).fetchone()
        self._checked_size = size
        if have == self.index.count():
            return
        missing = conn.execute("SELECT id, type FROM certificates WHERE log = ? AND id NOT IN "
                               "(SELECT cert_id FROM idx.holders)", (log,)).fetchall()
        with self.node.lock:
            private = self.node.private()
        for start in range(0, len(missing), 1000):
            items = []
            for cert_id, type_id in missing[start:start + 1000]:
                sealed = private.get("certificate", cert_id)
                items.append((cert_id, licence_type(type_id), sealed["values"] if sealed else None))
            self.index.add_many(items)

    def _where(self, query: RecordQuery, log: int) -> tuple[str, list[Any]]:
        clauses, args = ["c.log = ?"], [log]
        text = query.text.strip()
        if text:  # a holder (exact, through the keyed hash) or part of a certificate number
            found, args = ["SELECT cert_id FROM idx.tokens WHERE token = ?"], args + [self.index.token(text)]
            if _ID_FRAGMENT.match(text):
                found.append("SELECT id FROM certificates WHERE id LIKE ? ESCAPE '\\'")
                args.append("%" + text.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
            clauses.append(f"c.id IN ({' UNION ALL '.join(found)})")
        if query.type:
            clauses.append("c.type = ?")
            args.append(query.type)
        if query.status:
            clauses.append("c.status = ?")
            args.append(query.status)
        for name, op in (("date_from", ">="), ("date_to", "<=")):
            value = getattr(query, name).strip()
            if value and not _is_date(value):
                raise BackendError(api.INVALID_FIELDS, "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD",
                                   {name: ("日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD")})
            if value:  # unary +: a date range holds most of a log, scanning beats walking the date index
                clauses.append(f"+c.valid_from {op} ?")
                args.append(value)
        return " AND ".join(clauses), args

    @_checked
    def find_certificates(self, session: Session, query: RecordQuery, offset: int = 0,
                          limit: int = 200) -> RecordPage:
        self._user(session)
        conn = self._reader()
        log = self._own_log(conn)
        self._catch_up(conn, log)
        where, args = self._where(query, log)
        order = _SORT_SQL.get(query.sort, "c.rowid") + (" DESC" if query.descending else " ASC")
        rows = conn.execute(
            "SELECT c.id, c.type, c.seq, c.valid_from, c.valid_until, c.status, COALESCE(h.masked, '') "
            f"FROM certificates c LEFT JOIN idx.holders h ON h.cert_id = c.id WHERE {where} "
            f"ORDER BY {order}, c.rowid DESC LIMIT ? OFFSET ?", (*args, max(1, min(limit, MAX_PAGE)), max(0, offset)),
        ).fetchall()
        (total,) = conn.execute(f"SELECT COUNT(*) FROM certificates c WHERE {where}", args).fetchone()
        return RecordPage(tuple(RecordRow(*row) for row in rows), offset, total)

    @_checked
    def certificate(self, session: Session, cert_id: str) -> CertificateDetail:
        """What a hall node's desk serves, read here under the node's lock: one implementation for both counters."""
        self._user(session)
        cert_id = str(parse_certificate_id(cert_id))
        with self.node.lock:
            return from_json(CertificateDetail, self.queries.detail(cert_id))

    @_checked
    def certificate_values(self, session: Session, cert_id: str) -> dict[str, str]:
        user = self._user(session)
        cert_id = str(parse_certificate_id(cert_id))
        with self.node.lock:
            self.node.users.require(user, PRIVATE_ACTION)
            return self.queries.values(cert_id)

    @_checked
    def change_status(self, session: Session, cert_id: str, change: str, reason: str) -> CertificateDetail:
        user = self._user(session)
        if change not in CHANGES:
            raise BackendError("BAD_REQUEST", f"未知的操作 {change}", f"unknown change {change!r}")
        self.desk.change(user, CHANGES[change], cert_id, reason)
        return self.certificate(session, cert_id)

    @_checked
    def supersede(self, session: Session, cert_id: str, form: Mapping[str, str], reason: str,
                  valid_from: str | None = None, valid_until: str | None = None) -> IssuedCertificate:
        user = self._user(session)
        return self._issued(self.desk.supersede(user, cert_id, dict(form), reason, valid_from or None,
                                                valid_until or None))

    # -- the node panel ---------------------------------------------------------------------
    @_checked
    def node_status(self) -> NodeStatus:
        conn = self._reader()
        config = self.node.config
        heads = conn.execute("SELECT agency, size, status, status_detail, own, checkpoint FROM logs ORDER BY id").fetchall()
        own = next((h for h in heads if h[4]), None)
        cosigners, newest = self.queries.cosigners(own[5] if own else None)
        when = format_time(datetime.fromtimestamp(newest, timezone.utc)) if newest else None
        refusal = self.node.own.refusal if self.node.own else "read-only"
        now = datetime.now(timezone.utc).timestamp()
        peers = []
        for url in self.node.peer_urls():
            state = self.syncer.state(url).to_json(now)
            peers.append(PeerStatus(state["url"], state["last_contact"], state["seconds_since_contact"],
                                    state["error"], state["error_code"], state["failures"],
                                    state["lag_entries"], state["lag_seconds"]))
        forks = conn.execute("SELECT agency, detected, source FROM forks ORDER BY id").fetchall()
        return NodeStatus(
            config.agency, own[1] if own else 0, own[5] if own else None, when, cosigners, config.witness_quorum,
            refusal is None, refusal, tuple(peers), tuple(LogStatus(a, s, st, d) for a, s, st, d, *_ in heads),
            tuple({"agency": a, "detected": d, "source": s} for a, d, s in forks),
        )

    @_checked
    def sync_now(self) -> SyncReport:
        return SyncReport(tuple(self.syncer.run_round()))

    def close(self) -> None:
        self.syncer.stop()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        if self._index is not None:
            self._index.close()
        self.node.close()


def _is_date(text: str) -> bool:
    try:
        return bool(_DATE_RE.match(text)) and date.fromisoformat(text) is not None
    except ValueError:
        return False


"""The node in this process: `Backend` (the counter) and `PublicDoor` (the
kiosk, `write=False`: a home another process may be running) on an embedded
`Node`.

Writes go through the node (roles, rules, audit) and the certificate and
charity desks; certificate reads go through `DeskQueries`, the very code a hall
node's desk routes serve, on per-thread connections, so a records search never
waits for the writer. The sync loop runs on its own thread, as in `node serve`;
"sync now" runs one round on the caller's (a task's) thread. Sign-ins live in
the node's one session store (`node.users.sessions`), as the HTTP API's do.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from certificates import kinds as cert_kinds
from certificates.desk import CertificateDesk
from certificates.desk_queries import PRIVATE_ACTION, DeskQueries, query_from_params
from certificates.identifiers import parse_certificate_id
from certificates.status import certificate_leaf
from certificates.types import TYPES, licence_type
from citychain.accounts.users import AuthError, check_session
from citychain.net.status import node_status
from citychain.net.sync import Syncer
from citychain.node.node import Node, replay_trust
from citychain.node.store import Store

from . import backend as api
from .backend import (
    BackendError,
    CertificateDetail,
    IssuedCertificate,
    NodeInfo,
    NodeStatus,
    RecordPage,
    RecordQuery,
    Session,
    SyncReport,
)
from .backend_json import from_json, record_query_params
from .errors import translated
from .local_charity import CharityMethods

CHANGES = {"revoke": cert_kinds.REVOKED, "suspend": cert_kinds.SUSPENDED, "reinstate": cert_kinds.REINSTATED}


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


class _Readers:
    """One Store per thread for reads, so a search never waits for the writer;
    `hook` sees every statement they run (tests count them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hook: Callable[[str], None] | None = None
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path)
            store.conn.set_trace_callback(lambda sql: self.hook(sql) if self.hook else None)
            with self._lock:
                self._stores.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()


class LocalBackend(CharityMethods):
    def __init__(
        self,
        home: Path,
        plugins: Sequence | None = None,
        *,
        clock=None,
        argon2=None,
        sync: bool = True,
        sync_interval: float = 30.0,
        passphrase: str | None = None,
        write: bool = True,
    ) -> None:
        """`write=False` (a kiosk): no key, no passphrase, no sync loop, public reads only."""
        self.home = Path(home)
        with translated():
            self.node = Node.open(
                self.home,
                default_plugins() if plugins is None else plugins,
                passphrase,
                clock=clock,
                write=write,
                argon2=argon2,
            )
        self.desk = CertificateDesk(self.node)
        self.readers = _Readers(self.node.home.db_path)
        self._trust_size = -1
        self.queries = DeskQueries(self.node, self.readers)
        ca = self.node.home.city_ca_path
        self.syncer = Syncer(self.node, str(ca) if ca.exists() else None, sync_interval)
        if sync and write:
            self.syncer.start()

    # -- plumbing -------------------------------------------------------------------
    def _user(self, session: Session):
        sessions = self.node.users.sessions
        signed = sessions.signed_in(session.token)
        if signed is None:
            raise BackendError(
                api.UNAUTHENTICATED, "登录已失效，请重新登录", "you are signed out; please sign in again"
            )
        try:  # a password change, disable or role change by any door ends this session too
            with self.node.lock:
                check_session(self.node.store.conn, signed)
        except AuthError:
            sessions.close(session.token)
            raise
        return signed.user

    # -- the node and signing in ---------------------------------------------------------
    @_checked
    def info(self) -> NodeInfo:
        config = self.node.config
        agency = self.node.trust.agencies.get(config.agency)
        permissions = agency.permissions if agency else frozenset()
        return NodeInfo(
            config.city,
            config.agency,
            agency.name_zh if agency else config.agency,
            agency.name_en if agency else config.agency,
            tuple(t.id for t in TYPES if t.permission in permissions),
            "charity:organisation" in permissions,
            "charity:acknowledge" in permissions,
            str(self.home),
            agencies=tuple((a.id, a.name_zh, a.name_en) for a in self.node.trust.agencies.values()),
            beneficiaries=tuple(
                a.id for a in self.node.trust.agencies.values() if "charity:acknowledge" in a.permissions
            ),
        )

    @_checked
    def sign_in(self, user: str, password: str) -> Session:
        signed = self.node.users.sign_in(user.strip(), password, lock=self.node.lock)
        found = signed.user
        actions = tuple(sorted(r.action for r in self.node.permissions.rules() if found.role in r.roles))
        token = self.node.users.sessions.open(signed)
        return Session(found.name, found.display_name, str(found.role), actions, token)

    def sign_out(self, session: Session) -> None:
        self.node.users.sessions.close(session.token)

    # -- certificates --------------------------------------------------------------------
    def _issued(self, issued) -> IssuedCertificate:
        body = issued.leaf.record.body
        self.queries.index.add(issued.cert_id, licence_type(body["type"]), issued.values)
        return IssuedCertificate(
            issued.cert_id, body["type"], issued.leaf.record.seq, body["valid_from"], body.get("valid_until")
        )

    @_checked
    def issue(
        self,
        session: Session,
        type_id: str,
        form: Mapping[str, str],
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate:
        user = self._user(session)
        return self._issued(self.desk.issue(user, type_id, dict(form), valid_from or None, valid_until or None))

    @_checked
    def certificate_pdf(self, session: Session, cert_id: str) -> bytes:
        self._user(session)
        cert_id = str(parse_certificate_id(cert_id))
        with self.node.lock:
            return self.desk.pdf(cert_id)

    @_checked
    def find_certificates(self, session: Session, query: RecordQuery, offset: int = 0, limit: int = 200) -> RecordPage:
        self._user(session)
        return from_json(RecordPage, self.queries.search(query_from_params(record_query_params(query, offset, limit))))

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
    def supersede(
        self,
        session: Session,
        cert_id: str,
        form: Mapping[str, str],
        reason: str,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate:
        user = self._user(session)
        return self._issued(
            self.desk.supersede(user, cert_id, dict(form), reason, valid_from or None, valid_until or None)
        )

    # -- public reads (the kiosk) -------------------------------------------------------------
    @_checked
    def certificate_leaf(self, agency: str, cert_id: str) -> bytes | None:
        return certificate_leaf(self.readers.store(), agency, str(parse_certificate_id(cert_id)))

    @_checked
    def trace_timeline(self, receipt: str) -> dict[str, Any]:
        from charity.trace_json import timeline

        return timeline(self.readers.store(), self.trace(receipt).data)

    @_checked
    def public_funds(self) -> tuple[dict[str, Any], ...]:
        from charity.disclosure import city_today
        from charity.trace_json import funds_report

        return tuple(funds_report(self.readers.store().conn, today=city_today(self.node.clock.now())))

    def trust_size(self) -> int:
        """The trust log's size; when another process has grown it, the node
        takes up the new state (a kiosk runs for weeks beside its node)."""
        config = self.node.config
        head = self.readers.store().head(config.root_agency)
        size = head.size if head is not None else 0
        if size != self._trust_size:
            if self._trust_size >= 0 and self.node.own is None:
                self.node.trust = replay_trust(self.readers.store(), config)
            self._trust_size = size
        return size

    # -- the node panel ---------------------------------------------------------------------
    @_checked
    def node_status(self) -> NodeStatus:
        return NodeStatus.from_status(node_status(self.node, self.syncer, self.readers.store()))

    @_checked
    def sync_now(self, session: Session) -> SyncReport:
        self._user(session)
        return SyncReport(tuple(self.syncer.run_round()))

    def close(self) -> None:
        self.syncer.stop()
        self.readers.close()
        self.queries.close()
        self.node.close()

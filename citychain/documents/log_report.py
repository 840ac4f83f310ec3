"""What a node knows about one position of an agency's log, for a verifier:
the log's status, the checkpoint it holds, how fresh its copy is, the leaf
hash at that position and the inclusion proof of it.

Domain plug-ins add their own part (a certificate's status, a donation's
refunds) and name it in a `ReportKind`, which serves the whole as JSON and
asks for it from a home on disk or a running node; the verifier checks the
checkpoint and the proof itself (`citychain.documents.checks.check_node_report`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citychain.clock import Clock, format_time
from citychain.log import merkle
from citychain.log.encoding import b64encode
from citychain.node.home import Home
from citychain.node.store import LogHead, Store

if TYPE_CHECKING:
    from citychain.net.client import RevokedCert
    from citychain.node.trust import TrustState


def log_report(store: Store, agency: str, seq: int, now: str) -> tuple[dict[str, Any], LogHead | None]:
    """(report, the log's head or None). `as_of` is now for the node's own log,
    else the last time a peer showed this node the same head of that log."""
    head = store.head(agency)
    if head is None:
        return {"agency": agency, "log_status": "absent"}, None
    report: dict[str, Any] = {
        "agency": agency,
        "log_status": head.status,
        "log_detail": head.status_detail,
        "size": head.size,
        "checkpoint": head.checkpoint or "",
        "as_of": now if head.own else store.get_meta(f"checked:{agency}"),
        "own": bool(head.own),
        "leaf_hash": None,
        "inclusion": None,
    }
    if 0 <= seq < head.size:
        report["leaf_hash"] = merkle.leaf_hash(store.leaves(head.id, seq, seq + 1)[0], store.hasher).hex()
        report["inclusion"] = [b64encode(h) for h in merkle.inclusion_proof(store.reader(head.id), seq, head.size)]
    return report, head


# -- asking for a report ----------------------------------------------------------
Build = Callable[[Store, str, str, int, str], dict[str, Any]]


@dataclass(frozen=True)
class ReportKind:
    """One kind of document's report: `GET <route>?agency=&<key>=&seq=` on a
    node, or `build(store, agency, name, seq, now)` on a home on disk."""

    route: str
    key: str  # the query parameter naming the document ("id", "receipt")
    max_length: int
    build: Build
    from_log: bool = False  # answers folded from log records alone: served even while derived tables differ

    def http_route(self, service) -> Any:
        """The public route a plug-in serves (reads only, like /v1/logs)."""
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        from citychain.errors import RequestError
        from citychain.net.api import handler
        from citychain.net.reconcile import FromLog

        @handler
        def report(request: Request) -> JSONResponse:
            query = request.query_params
            try:
                seq = int(query.get("seq", "-1"))
            except ValueError:
                raise RequestError("seq 须为整数", "seq must be an integer", fields=("seq",)) from None
            agency, name = query.get("agency", ""), query.get(self.key, "")
            if not agency or not name or len(name) > self.max_length:
                raise RequestError(f"请给出 agency、{self.key} 和 seq", f"give agency, {self.key} and seq")
            now = format_time(service.node.clock.now())
            return JSONResponse(self.build(service.readers.store(), agency, name, seq, now))

        return (FromLog if self.from_log else Route)(self.route, report)


class HomeReports:
    """Reports from a node home on this machine, read directly (the node may be running)."""

    kind: ReportKind  # set by each document's subclass

    def __init__(self, path: Path, clock: Clock) -> None:
        self.home, self.clock = Home(Path(path)), clock

    @property
    def name(self) -> str:
        """How a verdict names this node: its home's folder."""
        return str(self.home.path)

    def seconds(self, trust: TrustState, given: Sequence[str] = (), timeout: float = 5.0) -> tuple[NodeReports, ...]:
        """Other nodes to ask for a second opinion: those `given`, then the
        agencies' URLs in the trust log (unless the home's config turns those
        off, `[sync] trust_log_peers = false`), never this home's own node."""
        from citychain.node.peers import trust_log_urls, uses_trust_log

        config = self.home.config()
        mirrors = trust_log_urls(trust, config.agency) if uses_trust_log(config) else {}
        ca = str(self.home.city_ca_path) if self.home.city_ca_path.exists() else None
        revoked = trust.revoked_now(self.clock)
        return tuple(_same_kind(self, NodeReports(u, ca, timeout, revoked)) for u in dict.fromkeys([*given, *mirrors]))

    def report(self, agency: str, name: str, seq: int) -> dict[str, Any]:
        store = Store(self.home.db_path)
        try:
            return self.kind.build(store, agency, name, seq, format_time(self.clock.now()))
        finally:
            store.close()


class NodeReports:
    """Reports from a running node over HTTP(S), checked against the verifier's
    own CA file (never the system's or the environment's proxies), through the
    core's one hardened client; any failure raises (`checks.ask_node` makes it
    an outage, never a verdict)."""

    kind: ReportKind  # set by each document's subclass
    MAX_BYTES = 1024 * 1024

    def __init__(
        self, url: str, ca_file: str | None = None, timeout: float = 5.0, revoked: RevokedCert | None = None
    ) -> None:
        """`revoked` (the verifier's own trust log) refuses a node whose TLS certificate it revokes."""
        from citychain.net.client import Limits, NodeSession  # loads requests: only verifiers that ask a node

        self.url, self.timeout = url.rstrip("/"), timeout
        self.ca_file, self.revoked = ca_file, revoked
        # `timeout` per connect and per read, as before; the whole answer within both.
        self.http = NodeSession(
            self.url, ca_file, Limits(timeout, timeout, 2 * timeout, self.MAX_BYTES), revoked=revoked
        )

    @property
    def name(self) -> str:
        """How a verdict names this node: its URL."""
        return self.url

    def seconds(
        self, trust: TrustState, given: Sequence[str] = (), timeout: float | None = None
    ) -> tuple[NodeReports, ...]:
        """Other nodes to ask for a second opinion: those `given`, then every
        active agency's URL in the verifier's own trust log; never this node again."""
        from citychain.node.peers import trust_log_urls

        urls = [u.rstrip("/") for u in (*given, *trust_log_urls(trust, ""))]
        others = [u for u in dict.fromkeys(urls) if u != self.url]
        return tuple(
            _same_kind(self, NodeReports(u, self.ca_file, timeout or self.timeout, self.revoked)) for u in others
        )

    def report(self, agency: str, name: str, seq: int) -> dict[str, Any]:
        from citychain.net.client import PeerError

        params = {"agency": agency, self.kind.key: name, "seq": seq}
        answer = self.http.request("GET", self.kind.route, params=params)
        if answer.status != 200:
            raise PeerError(f"HTTP_{answer.status}", f"{self.url}{self.kind.route}: HTTP {answer.status}")
        return answer.json()


def _same_kind(first: HomeReports | NodeReports, node: NodeReports) -> NodeReports:
    """A second-opinion node asked about the same kind of document as the first."""
    if hasattr(first, "kind"):
        node.kind = first.kind
    return node

"""A running agency node: the HTTP API, the sync loop and the witness, together.

`serve` opens the home, checks with its peers that this home is not a stale
copy (restore safety), then serves until SIGTERM / Ctrl-C, when uvicorn
finishes the requests in flight and the sync loop and database close cleanly.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import uvicorn

from citychain.net.api import Readers, make_app
from citychain.net.client import Limits, PeerError
from citychain.net.foreign_witnesses import ForeignWitnesses
from citychain.net.reconcile import DerivedCheck
from citychain.net.status import node_status
from citychain.net.sync import MAX_PARALLEL, Syncer
from citychain.net.witness import Witness
from citychain.node.home import HomeError, origin
from citychain.node.kinds import Plugin
from citychain.node.node import Node, resolve_passphrase
from citychain.node.publish import Publisher
from citychain.node.trust import is_loopback
from citychain.pki.ca import load_cert, load_sealed_key, runtime_tls_files

log = logging.getLogger("citychain.service")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line. Messages carry ids and counts only, never names
    or ID numbers: nothing in citychain logs record bodies."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("citychain")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class NodeService:
    def __init__(
        self,
        node: Node,
        plugins: Sequence[Plugin] = (),
        ca_file: str | None = None,
        interval: float = 5.0,
        limits: Limits = Limits(),
        publish: Path | None = None,
    ) -> None:
        self.node = node
        self.plugins = tuple(plugins)
        self.ca_file = ca_file
        self.readers = Readers(node.home.db_path)
        self.sessions = node.users.sessions  # the node's one session store
        self.syncer = Syncer(node, ca_file, interval, limits)
        # witnesses the home's trust policy names that are not the city's agencies (tlog-witness)
        self.foreign = ForeignWitnesses(node, self.syncer.merge_cosignatures, limits)
        self.derived: DerivedCheck | None = None  # the start-up re-derivation, once `_run` starts it
        self.witness = Witness(
            lambda: self.readers.store().conn,
            node.signer,
            node.config.origin,
            lambda: node.trust,
            self.agency_of_origin,
            lambda: int(node.clock.now().timestamp()),  # the node's clock (a test may offset it)
        )
        self._notifier = ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="citychain-notify")
        # every door's writes (the desks' routes too, not only /v1/records) tell the peers at once
        node.after_append.append(lambda appended: self._notifier.submit(self.notify_peers, appended.size))
        # `--publish DIR`: the logs as static tlog-tiles files, at each new checkpoint of any of them
        self.publisher = Publisher(node.home.db_path, publish) if publish is not None else None
        if self.publisher is not None:
            node.after_append.append(lambda appended: self.publisher.wake())

    def agency_of_origin(self, text: str) -> str | None:
        city = self.node.config.city
        return next((a for a in self.node.trust.agencies if origin(city, a) == text), None)

    def authenticate(self, name: str, password: str):
        """A `SignedIn`; the node's lock is held around the database steps only,
        not while Argon2 runs, so wrong-password floods do not stall appends."""
        return self.node.users.sign_in(name, password, lock=self.node.lock)

    def append(self, user, items):
        return self.node.append(user, items)  # the peers hear of it through `node.after_append`

    def notified(self, body: bytes) -> None:
        """A peer's `/v1/notify`: pull from that agency's node at once, or, for
        a notice naming no agency we know the node of, sync with every peer
        (unsigned, a notice can only hasten a sync)."""
        try:
            agency = json.loads(body).get("agency")
            url = self.node.trust.agencies[agency].url if isinstance(agency, str) else None
        except (ValueError, AttributeError, KeyError):
            url = None
        if url:
            self.syncer.pull_now(url.rstrip("/"))
        else:
            self.syncer.wake()

    def notify_peers(self, size: int) -> None:
        """Tell peers our log grew so they pull at once, each in a task of its own
        (a slow peer delays no other's notice); then gather co-signatures."""
        for url in self.node.peer_urls():
            self._notifier.submit(self._notify, url, size)
        self.syncer.wake()
        self.foreign.wake()

    def _notify(self, url: str, size: int) -> None:
        client = self.syncer.client(url)
        try:
            client.notify(self.node.config.agency, size)
        except PeerError as exc:
            log.info("notify %s failed: %s", url, exc.code)
        finally:
            client.close()

    def status(self) -> dict:
        self.syncer.revive()  # a sync thread found dead is started again, and the status says so
        derived = self.derived.to_json() if self.derived else {"state": "not checked"}
        return node_status(self.node, self.syncer, self.readers.store()) | {"derived": derived}

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
        self.syncer.stop()
        self.foreign.stop()
        self._notifier.shutdown(wait=True, cancel_futures=True)


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise HomeError(f"--listen must be HOST:PORT, got {listen!r}")
    return host.strip("[]"), int(port)


def serve(
    home: Path,
    listen: str,
    peers: Sequence[str] = (),
    plugins: Sequence[Plugin] = (),
    interval: float = 5.0,
    tls: bool = False,
    ca_file: str | None = None,
    limits: Limits = Limits(),
    clock=None,
    publish: Path | None = None,
) -> int:
    host, port = parse_listen(listen)
    if not is_loopback(host) and not tls:
        raise HomeError(
            "在回环地址以外监听需要 HTTPS（--tls，证书由城市根 CA 签发）",
            "listening beyond loopback needs --tls (a certificate from the city root CA, see `node tls`)",
            "TLS_REQUIRED",
        )
    configure_logging()
    node = Node.open(Path(home), plugins, clock=clock)
    if ca_file is None and node.home.city_ca_path.exists():
        ca_file = str(node.home.city_ca_path)
    service = NodeService(node, plugins, ca_file, interval, limits, publish)
    try:
        for url in peers:
            node.add_peer(url)
        with ExitStack() as stack:
            tls_files = stack.enter_context(_runtime_tls(node)) if tls else (None, None)
            _run(service, host, port, tls_files)
    finally:
        service.close()
        node.close()
    print("node stopped cleanly", flush=True)
    return 0


def _runtime_tls(node: Node):
    """uvicorn reads a plain PEM key; it lives in a private temporary folder
    only while the server runs."""
    home = node.home
    if not home.tls_cert_path.exists():
        raise HomeError(f"{home.path} has no TLS certificate; issue one with `node tls`")
    passphrase = resolve_passphrase(home, node.config, None)
    return runtime_tls_files(load_cert(home.tls_cert_path), load_sealed_key(home.tls_key_path, passphrase))


def _run(service: NodeService, host: str, port: int, tls_files) -> None:
    """Hear from peers first (restore safety), then serve until asked to stop."""
    node = service.node
    cert_file, key_file = (str(p) if p else None for p in tls_files)
    service.derived = DerivedCheck(node.home.db_path, service.plugins, lambda: node.trust)
    service.derived.start()  # re-derive the tables from the logs, trusting no marker (`reconcile`)
    for line in service.syncer.run_round():
        log.info(line)
    config = uvicorn.Config(
        make_app(service),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=cert_file,
        ssl_keyfile=key_file,
        timeout_graceful_shutdown=5,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; with our
    # handler in place that only asks it to stop, so the node closes cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    service.syncer.start()
    service.foreign.start(service.syncer.interval)
    if service.publisher is not None:
        service.publisher.start()
    scheme = "https" if cert_file else "http"
    print(f"node {node.config.agency} serving on {scheme}://{host}:{port}", flush=True)
    threading.Thread(target=_announce_when_up, args=(service, server), daemon=True).start()
    server.run()


def _announce_when_up(service: NodeService, server: uvicorn.Server, wait: float = 30.0) -> None:
    """Once listening, tell the peers we are here: those that backed off while
    we were away, or refused the certificate we served before, pull at once."""
    deadline = time.monotonic() + wait
    while not server.started:
        if server.should_exit or time.monotonic() > deadline:
            return
        time.sleep(0.05)
    agency = service.node.config.agency
    head = service.readers.store().head(agency)
    service.notify_peers(head.size if head else 0)

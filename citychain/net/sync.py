"""Pulling every log from peers, verifying all of it, and witnessing.

One round, per peer: its list of logs (the trust log first, since every other
log is judged by it); per log, its checkpoint — signature checked against the
trust log — then either a fork check against what we hold, or the missing
entries in pages, each page verified and stored atomically, proven consistent
with the checkpoint. Any peer may serve any log. Logs are read from the peer's
C2SP tiles when it serves them, else from its /v1/logs routes (`log_sources`);
a peer with no /v1/logs at all is a static copy of tiles (a web server), read
for every log our trust log names. A peer that fails or lies is
backed off (exponentially) and reported, never trusted. Our own checkpoints are
sent to peers for co-signature (tlog-witness), except to a static copy.

The loop gives each peer its own turn in a bounded pool, so a slow peer holds
only its own worker; whatever goes wrong in a turn is that peer's failure, and
the loop itself is supervised: if it fails, /v1/status says so and it restarts.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from citychain.clock import format_time, format_timestamp
from citychain.errors import CityChainError
from citychain.log import merkle
from citychain.log.checkpoint import (
    CheckpointError,
    add_cosignatures,
    open_checkpoint,
    parse_checkpoint,
)
from citychain.log.forks import ForkEvidence
from citychain.log.note import NoteError, parse_note
from citychain.net.client import PAGE, Limits, PeerClient, PeerError
from citychain.net.log_sources import LogSource, open_source, tiles_prefix
from citychain.net.witness import request_body
from citychain.node.home import origin as origin_of
from citychain.node.mirror import MirrorRejected, log_keys
from citychain.node.witnesses import witnessed_by

log = logging.getLogger("citychain.sync")
CHUNK = 10 * PAGE  # entries verified and stored per transaction during catch-up
MAX_BACKOFF = 60.0
MAX_PARALLEL = 8
WITNESSED_SIZE = re.compile(r"[0-9]{1,19}")  # a tlog-witness 409 body: the size it last co-signed


@dataclass
class PeerState:
    url: str
    last_contact: float | None = None
    last_error: str = ""
    error_code: str = ""
    failures: int = 0
    backoff_until: float = 0.0
    lag: dict[str, int] = field(default_factory=dict)
    behind_since: dict[str, float] = field(default_factory=dict)
    cosigned_size: int = 0
    static: bool = False  # serves tiles only (no /v1/logs): a web server holding a copy, no witness

    def set_lag(self, agency: str, entries: int) -> None:
        self.lag[agency] = entries
        if entries:
            self.behind_since.setdefault(agency, time.time())
        else:
            self.behind_since.pop(agency, None)

    def to_json(self, now: float) -> dict:
        return {
            "url": self.url,
            "last_contact": format_timestamp(self.last_contact),
            "seconds_since_contact": None if self.last_contact is None else round(now - self.last_contact, 1),
            "error": self.last_error,
            "error_code": self.error_code,
            "failures": self.failures,
            "backoff_seconds": max(0.0, round(self.backoff_until - now, 1)),
            "lag_entries": dict(self.lag),
            "lag_seconds": {agency: round(now - since, 1) for agency, since in self.behind_since.items()},
        }


@dataclass(frozen=True)
class LoopHealth:
    """The sync loop itself, for /v1/status: a loop that failed must never look
    like peers with nothing new."""

    running: bool = False
    restarts: int = 0
    error: str = ""
    failed_at: float | None = None
    passed_at: float | None = None  # the end of its last full pass over the peers

    @property
    def failing(self) -> bool:
        """Failed, and no full pass since: /v1/health says not ready."""
        return self.failed_at is not None and (self.passed_at is None or self.passed_at < self.failed_at)

    def to_json(self) -> dict:
        return {
            "running": self.running,
            "restarts": self.restarts,
            "error": self.error,
            "failed_at": format_timestamp(self.failed_at),
        }


def _size(note: str | None) -> str:
    """A checkpoint's size for the log line; only sizes and names are ever logged."""
    try:
        return str(parse_checkpoint(parse_note(note).text).size)
    except (CheckpointError, NoteError, ValueError, TypeError):
        return "?"


def describe(exc: BaseException) -> str:
    """An unexpected exception in one line for logs and /v1/status: its type,
    message (cut short) and the line that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{where}"


LOG_WAIT = 1.0  # seconds a peer's sync waits for a log another peer's sync is bringing in


class Syncer:
    def __init__(
        self,
        node,
        ca_file: str | None = None,
        interval: float = 5.0,
        limits: Limits = Limits(),
        peers: list[str] | None = None,
    ) -> None:
        self.node = node
        self.limits = limits
        self._fixed_peers = peers
        self.ca_file = ca_file
        self.interval = interval
        self.peers: dict[str, PeerState] = {}
        self._log_locks: dict[str, threading.Lock] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._busy_lock = threading.Lock()
        self._busy: set[str] = set()  # peers queued or being synced by the loop
        self._again: set[str] = set()  # … and to sync again when done: we were woken meanwhile
        self._health = LoopHealth()

    # -- peers -------------------------------------------------------------
    def peer_urls(self) -> list[str]:
        return self._fixed_peers if self._fixed_peers is not None else self.node.peer_urls()

    def state(self, url: str) -> PeerState:
        return self.peers.setdefault(url, PeerState(url))

    def client(self, url: str) -> PeerClient:
        """A peer's client that refuses a server certificate our trust log revokes (now, by our clock)."""
        node = self.node
        return PeerClient(
            url,
            self.ca_file,
            self.limits,
            revoked=lambda fp: node.trust.revoked_cert(fp, format_time(node.clock.now())),
        )

    # -- the loop ------------------------------------------------------------
    def start(self) -> None:
        with self._start_lock:
            self._start_thread()

    def _start_thread(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="citychain-peer")
        self._thread = threading.Thread(target=self._supervise, name="citychain-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # each request in flight ends by its deadline

    def wake(self) -> None:
        self._wake.set()

    def pull_now(self, url: str) -> None:
        """A peer says its log grew: sync with that peer at once (and only it:
        waking every peer's sync for each write costs a loaded node seconds).
        A back-off its being away or its certificate caused (up to a minute)
        ends here: it is back, perhaps with a renewed certificate."""
        state = self.peers.get(url)
        if state is not None and state.error_code in ("UNREACHABLE", "TLS", "CERT_REVOKED"):
            state.backoff_until = 0.0
        if self._pool is None or url not in self.peer_urls():
            self.wake()
        else:
            self._schedule(url, True)

    def health(self) -> LoopHealth:
        thread = self._thread
        return replace(self._health, running=thread is not None and thread.is_alive())

    def revive(self) -> None:
        """Start the loop thread again if it died after all (`_supervise` lets
        only non-`Exception`s through), and say so in /v1/status."""
        thread = self._thread
        if thread is None or thread.is_alive() or self._stop.is_set():
            return
        with self._start_lock:
            if self._thread is thread:
                self._loop_failed("同步线程已终止 / the sync thread had died")
                self._start_thread()

    def _supervise(self) -> None:
        """The loop thread. Peers' failures are caught per peer; whatever still
        escapes a pass (a local fault) is logged, shown in /v1/status, and the
        loop starts again after a pause: syncing never stops silently."""
        while not self._stop.is_set():
            try:
                self._loop()
            except Exception as exc:  # noqa: BLE001 - supervised: any fault restarts the loop and is reported
                self._loop_failed(describe(exc))
                self._stop.wait(self.interval)

    def _loop_failed(self, why: str) -> None:
        health = self._health
        self._health = replace(health, restarts=health.restarts + 1, error=why, failed_at=time.time())
        log.error("同步循环出错，已重新启动 / sync loop failed and restarts: %s", why)

    def _loop(self) -> None:
        """Each peer on its own schedule, never waiting for another: a peer still
        busy keeps its worker and is skipped — or, if we were woken (a peer's
        log grew), goes again as soon as it is done."""
        woken = False
        while not self._stop.is_set():
            self._wake.clear()
            for url in self.peer_urls():
                self._schedule(url, woken)
            self._health = replace(self._health, passed_at=time.time())
            woken = self._wake.wait(self.interval)

    def _schedule(self, url: str, again: bool) -> None:
        with self._busy_lock:
            if url in self._busy:
                if again:
                    self._again.add(url)
                return
            self._busy.add(url)
        self._pool.submit(self._sync_scheduled, url)

    def _sync_scheduled(self, url: str) -> None:
        try:
            self._sync_one(url)
        finally:
            with self._busy_lock:
                self._busy.discard(url)
                again = url in self._again
                self._again.discard(url)
            if again and not self._stop.is_set():
                self._schedule(url, False)

    def run_round(self) -> list[str]:
        """One pass over every peer, peers in parallel (a dead peer must not delay
        the others; each request ends by its deadline); returns what happened, a
        line per event."""
        urls = self.peer_urls()
        if not urls:
            return []
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(urls)), thread_name_prefix="citychain-peer") as pool:
            return [line for lines in pool.map(self._sync_one, urls) for line in lines]

    def _sync_one(self, url: str) -> list[str]:
        """One peer's turn; whatever goes wrong is that peer's failure, never the caller's."""
        state = self.state(url)
        if self._stop.is_set():
            return []
        if time.time() < state.backoff_until:
            return [f"{url}: backing off ({state.error_code})"]
        client = None
        try:
            client = self.client(url)
            report = self.sync_peer(client, state) + self.gather_cosignatures(client, state)
            state.last_contact, state.failures, state.last_error, state.error_code = time.time(), 0, "", ""
            return report
        except (PeerError, MirrorRejected) as exc:
            self._failed(state, exc.code, str(exc))
            return [f"{url}: {exc.code}: {exc}"]
        except Exception as exc:  # noqa: BLE001 - a fault no check foresaw: still only this peer's turn that failed
            self._failed(
                state,
                "INTERNAL",
                f"同步此对等节点时出现意外错误 / unexpected error while syncing this peer: {describe(exc)}",
                logging.ERROR,
            )
            return [f"{url}: INTERNAL: {state.last_error}"]
        finally:
            if client is not None:
                client.close()

    def _failed(self, state: PeerState, code: str, message: str, level: int = logging.WARNING) -> None:
        state.failures += 1
        state.error_code = code
        state.last_error = message
        state.backoff_until = time.time() + min(MAX_BACKOFF, 0.5 * 2**state.failures)
        log.log(level, "peer %s: %s: %s", state.url, code, message)

    # -- pulling ---------------------------------------------------------------
    def sync_peer(self, client: PeerClient, state: PeerState) -> list[str]:
        node = self.node
        listed = self._listed(client, state)
        root = node.config.root_agency
        order = sorted(listed, key=lambda agency: agency != root)
        report = []
        for agency in order:
            if agency not in node.trust.agencies and agency != root:
                continue  # not (yet) in our trust log: nothing to judge it by
            if agency == node.config.agency:
                report.extend(self.check_own_log(client, listed[agency], routes=not state.static))
                continue
            report.extend(self.sync_log(client, state, agency, listed[agency]))
        return report

    def _listed(self, client: PeerClient, state: PeerState) -> dict[str, str]:
        """The peer's logs with entries, each with the path of its tiles. A
        peer without /v1/logs is a static copy of tiles: every log our trust
        log names is looked for there (those it lacks answer 404)."""
        try:
            logs = client.logs()
        except PeerError as exc:
            if exc.code != "HTTP_404":
                raise
            state.static = True
            agencies = {self.node.config.root_agency, *self.node.trust.agencies}
            return {agency: tiles_prefix(client, agency) for agency in agencies}
        state.static = False
        return {
            entry["agency"]: tiles_prefix(client, entry["agency"], entry) for entry in logs if entry.get("size") != 0
        }

    def _open(self, note: str, agency: str):
        origin = origin_of(self.node.config.city, agency)
        try:
            return open_checkpoint(note, origin, log_keys(self.node.trust, agency)), origin
        except (CheckpointError, ValueError) as exc:
            raise PeerError("BAD_CHECKPOINT", f"checkpoint of {agency} does not verify: {exc}") from exc

    def sync_log(self, client: PeerClient, state: PeerState, agency: str, prefix: str | None = None) -> list[str]:
        """Only one peer at a time brings in a given log. Another waits a moment
        for it (a write's notice wakes every peer's sync at once, and the one
        holding the log may be a peer that does not have the write yet), then
        skips it this round: a long catch-up holds up no one for longer."""
        lock = self._log_locks.setdefault(agency, threading.Lock())
        if not lock.acquire(timeout=LOG_WAIT):
            return []
        try:
            try:
                source = open_source(
                    client, agency, prefix or tiles_prefix(client, agency), not state.static, self.node.store.hasher
                )
            except PeerError as exc:
                if state.static and exc.code == "NO_LOG":
                    return []  # a static copy holds the logs it holds: the others are not its failure
                raise
            return self._sync_log(client.url, source, state, agency)
        finally:
            lock.release()

    def _sync_log(self, url: str, source: LogSource, state: PeerState, agency: str) -> list[str]:
        node = self.node
        signed, origin = self._open(source.checkpoint(), agency)
        theirs = signed.checkpoint
        with node.lock:
            head = node.store.ensure_log(agency, origin)
        if head.status != "ok":
            return []
        ours = parse_checkpoint(parse_note(head.checkpoint).text) if head.checkpoint else None
        state.set_lag(agency, max(0, theirs.size - head.size))
        if ours is not None and theirs.size <= ours.size:
            self._compare_smaller(head, ours, signed, url)
            if theirs.size == ours.size:
                self._checked(agency)
            return []
        if ours is not None and ours.size:
            path = source.consistency(ours.size, theirs.size, full=True)
            self._check_extends(head, ours, signed, path, url)
        report = self._fetch(url, source, agency, head.size, signed, partial(self.node.import_log, agency, origin))
        state.set_lag(agency, 0)
        self._checked(agency)
        return report

    def _checked(self, agency: str) -> None:
        """A peer has just shown us this log's head matching ours: how fresh our
        copy is, for verifiers (`checked:<agency>` in meta)."""
        with self.node.lock:
            self.node.store.set_meta(f"checked:{agency}", format_time(self.node.clock.now()))

    def _compare_smaller(self, head, ours, signed, source: str) -> None:
        theirs = signed.checkpoint
        with self.node.lock:  # the writer's connection: an append on another thread must not interleave
            reader = self.node.store.reader(head.id)
            forked = merkle.root_at(reader, theirs.size) != theirs.root
            path = (
                ()
                if not forked or theirs.size == ours.size
                else tuple(merkle.full_consistency_path(reader, theirs.size, ours.size))
            )
        if forked:
            self.record_fork(ForkEvidence(head.agency, head.origin, signed.note_text, head.checkpoint, path), source)
        elif theirs.size == ours.size:
            self.merge_cosignatures(head, signed)

    def _check_extends(self, head, ours, signed, path: list[bytes], source: str) -> None:
        """Their newer checkpoint must extend ours. The peer's full consistency
        path must lead to its signed root; if it also shows a different tree at
        our size, that is a fork, and the path is the evidence."""
        theirs = signed.checkpoint
        try:
            old_root, new_root = merkle.consistency_roots(ours.size, theirs.size, path, self.node.store.hasher)
        except merkle.ProofError as exc:
            raise PeerError("BAD_PROOF", f"{head.agency}: malformed consistency proof: {exc}") from exc
        if new_root != theirs.root:
            raise PeerError("BAD_PROOF", f"{head.agency}: the consistency proof does not match the peer's checkpoint")
        if old_root != ours.root:
            self.record_fork(
                ForkEvidence(head.agency, head.origin, head.checkpoint, signed.note_text, tuple(path)), source
            )
            raise PeerError("FORK", f"{head.agency}: the peer's checkpoint forks from ours")

    def _fetch(self, url: str, source: LogSource, agency: str, start: int, signed, store: Callable) -> list[str]:
        """Bring in [start, checkpoint size) in chunks; the next chunk downloads
        while `store(position, chunk, note, proof)` verifies and keeps this one."""
        target = signed.checkpoint

        def download(position: int) -> tuple[int, list[bytes], list[bytes] | None]:
            size = PAGE if position == start else CHUNK  # a short first chunk: verifying starts at once
            chunk: list[bytes] = []
            while len(chunk) < size and position + len(chunk) < target.size:
                first = position + len(chunk)
                chunk += source.entries(first, min(first + source.page, position + size, target.size))
            end = position + len(chunk)
            return position, chunk, None if end == target.size else source.consistency(end, target.size)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="citychain-fetch") as fetcher:
            pending = fetcher.submit(download, start) if start < target.size else None
            while pending is not None:
                position, chunk, proof = pending.result()
                end = position + len(chunk)
                pending = fetcher.submit(download, end) if end < target.size else None
                store(position, chunk, signed.note_text, proof)
        with self.node.lock:
            head = self.node.store.head(agency)
        self.merge_cosignatures(head, signed)
        log.debug("%s: %s %d → %d from its %s", url, agency, start, target.size, source.via)
        return [f"{url}: {agency} {start} → {target.size}"] if target.size > start else []

    # -- co-signatures -----------------------------------------------------
    def merge_cosignatures(self, head, signed) -> None:
        """Keep every valid co-signature we see for the checkpoint we hold."""
        now = int(self.node.clock.now().timestamp())  # the node's clock (a test may offset it)
        policy = getattr(self.node, "policy", None)  # a home's trust policy may add foreign witnesses (policies.py)
        valid = witnessed_by(signed, self.node.trust, self.node.config.city, head.agency, now, policy)
        new = [s for s in signed.note.signatures if s.name in valid]
        with self.node.lock:
            current = self.node.store.head(head.agency)
            if current.checkpoint is None or parse_note(current.checkpoint).text != signed.note.text:
                return
            merged = add_cosignatures(current.checkpoint, new)
            if merged != current.checkpoint:
                with self.node.store.transaction():  # both copies of the note, or neither (a kill between them)
                    self.node.store.update_checkpoint_note(current.id, signed.checkpoint.size, merged)

    def gather_cosignatures(self, client: PeerClient, state: PeerState) -> list[str]:
        """Ask a peer, as a witness, to co-sign our newest checkpoint."""
        node = self.node
        with node.lock:
            own = node.store.head(node.config.agency)
        if own is None or not own.size or node.own is None or state.static:
            return []
        note = own.checkpoint
        size = parse_checkpoint(parse_note(note).text).size
        for _ in range(2):
            old = min(state.cosigned_size, size)
            with node.lock:
                proof = [] if old in (0, size) else merkle.consistency_proof(node.store.reader(own.id), old, size)
            status, text = client.add_checkpoint(request_body(old, proof, note))
            if status == 409 and WITNESSED_SIZE.fullmatch(text.strip()):  # str.isdigit() also takes "²"
                state.cosigned_size = int(text.strip())
                if state.cosigned_size > size:
                    raise PeerError(
                        "AHEAD", f"the peer co-signed our log up to {state.cosigned_size}, beyond our {size}"
                    )
                continue
            if status != 200:
                raise PeerError(f"WITNESS_{status}", f"witness refused our checkpoint: {text.strip()[:200]}")
            try:
                reply = parse_note(parse_note(note).text + "\n" + text).signatures
                signed = open_checkpoint(add_cosignatures(note, reply), own.origin, [node.signer.public_key])
            except (CheckpointError, NoteError, ValueError) as exc:
                raise PeerError("MALFORMED", f"witness reply is not a co-signature: {exc}") from exc
            state.cosigned_size = size
            self.merge_cosignatures(own, signed)
            return []
        return []

    # -- our own log: restore safety --------------------------------------
    def check_own_log(self, client: PeerClient, prefix: str | None = None, routes: bool = True) -> list[str]:
        """A peer holding a newer (or different) checkpoint of OUR log means this
        home was restored from an old copy: refuse to sign, and recover what we
        can from the peer (from its tiles, or its routes)."""
        node = self.node
        agency = node.config.agency
        try:
            source = open_source(client, agency, prefix or tiles_prefix(client, agency), routes, node.store.hasher)
            signed, origin = self._open(source.checkpoint(), agency)
        except PeerError as exc:
            if exc.code == "NO_LOG":
                return []
            raise
        theirs = signed.checkpoint
        with node.lock:
            head = node.store.head(agency)
            if head.status != "ok":
                return []  # forked: the evidence is kept once, and nothing more is signed or taken in
            if theirs.size <= head.size:
                if merkle.root_at(node.store.reader(head.id), theirs.size) != theirs.root:
                    node.own.refuse(
                        CityChainError(
                            "OWN_LOG_CONTRADICTED",
                            f"a peer holds a checkpoint of our log (size {theirs.size}) that our database contradicts",
                        )
                    )
                    self.record_fork(
                        ForkEvidence(
                            agency,
                            origin,
                            signed.note_text,
                            head.checkpoint,
                            tuple(merkle.full_consistency_path(node.store.reader(head.id), theirs.size, head.size))
                            if theirs.size < head.size
                            else (),
                        ),
                        client.url,
                    )
                    return [f"{client.url}: OUR LOG CONFLICTS with the peer's copy"]
                if theirs.size == head.size:
                    self.merge_cosignatures(head, signed)
                return []
            node.own.refuse(
                CityChainError(
                    "OWN_LOG_BEHIND",
                    f"拒绝签名：对等节点持有本机构日志 {theirs.size} 条，本地只有 {head.size} 条",
                    f"signing refused: a peer holds {theirs.size} entries of our own log, this home only {head.size}",
                )
            )
        if head.checkpoint:  # what we signed must be a prefix of their tree, or this home signed a fork
            ours = parse_checkpoint(parse_note(head.checkpoint).text)
            try:
                path = source.consistency(ours.size, theirs.size, full=True)
                self._check_extends(head, ours, signed, path, client.url)
            except PeerError as exc:
                if exc.code != "FORK":
                    raise
                return [f"{client.url}: OUR LOG CONFLICTS with the peer's copy"]  # our fault, not the peer's
        self._fetch(client.url, source, agency, head.size, signed, node.recover_own)
        return [f"{client.url}: recovered our own log {head.size} → {theirs.size}"]

    def record_fork(self, evidence: ForkEvidence, source: str) -> None:
        with self.node.lock:
            self.node.record_fork(evidence, source)
        log.error(
            "检测到分叉 / FORK DETECTED in the log of %s via %s: checkpoints of size %s and %s, both signed by "
            "the agency, contradict each other; the log takes no more entries (`log forks`)",
            evidence.agency,
            source,
            _size(evidence.note_a),
            _size(evidence.note_b),
        )

"""Pulling every log from peers, verifying all of it, and witnessing.

One round, per peer: its list of logs (the trust log first, since every other
log is judged by it); per log, its checkpoint — signature checked against the
trust log — then either a fork check against what we hold, or the missing
entries in pages, each page verified and stored atomically, proven consistent
with the checkpoint. Any peer may serve any log. A peer that fails or lies is
backed off (exponentially) and reported, never trusted. Our own checkpoints are
sent to peers for co-signature (tlog-witness).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Callable
from dataclasses import dataclass, field

from . import merkle
from .checkpoint import CheckpointError, add_cosignatures, open_checkpoint, parse_checkpoint
from .client import PAGE, Limits, PeerClient, PeerError
from .clock import format_time, format_timestamp
from .forks import ForkEvidence
from .home import origin as origin_of
from .mirror import MirrorRejected, log_keys
from .note import NoteError, parse_note
from .witness import request_body
from .witnesses import witnessed_by

log = logging.getLogger("citychain.sync")
CHUNK = 10 * PAGE  # entries verified and stored per transaction during catch-up
MAX_BACKOFF = 60.0
MAX_PARALLEL = 8


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


class Syncer:
    def __init__(self, node, ca_file: str | None = None, interval: float = 5.0, limits: Limits = Limits(),
                 peers: list[str] | None = None) -> None:
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

    # -- peers -------------------------------------------------------------
    def peer_urls(self) -> list[str]:
        return self._fixed_peers if self._fixed_peers is not None else self.node.peer_urls()

    def state(self, url: str) -> PeerState:
        return self.peers.setdefault(url, PeerState(url))

    def client(self, url: str) -> PeerClient:
        return PeerClient(url, self.ca_file, self.limits)

    # -- the loop ------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="citychain-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.run_round()
            self._wake.wait(self.interval)

    def run_round(self) -> list[str]:
        """One pass over every peer, peers in parallel (a dead peer must not delay
        the others); returns what happened, a line per event."""
        urls = self.peer_urls()
        if not urls:
            return []
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(urls)), thread_name_prefix="citychain-peer") as pool:
            return [line for lines in pool.map(self._sync_one, urls) for line in lines]

    def _sync_one(self, url: str) -> list[str]:
        state = self.state(url)
        if self._stop.is_set():
            return []
        if time.time() < state.backoff_until:
            return [f"{url}: backing off ({state.error_code})"]
        client = self.client(url)
        try:
            report = self.sync_peer(client, state) + self.gather_cosignatures(client, state)
            state.last_contact, state.failures, state.last_error, state.error_code = time.time(), 0, "", ""
            return report
        except (PeerError, MirrorRejected) as exc:
            self._failed(state, exc)
            return [f"{url}: {exc.code}: {exc}"]
        finally:
            client.close()

    def _failed(self, state: PeerState, exc: Exception) -> None:
        state.failures += 1
        state.error_code = getattr(exc, "code", type(exc).__name__)
        state.last_error = str(exc)
        state.backoff_until = time.time() + min(MAX_BACKOFF, 0.5 * 2 ** state.failures)
        log.warning("peer %s: %s", state.url, state.last_error)

    # -- pulling ---------------------------------------------------------------
    def sync_peer(self, client: PeerClient, state: PeerState) -> list[str]:
        node = self.node
        listed = [entry["agency"] for entry in client.logs() if entry.get("size") != 0]
        root = node.config.root_agency
        order = sorted(set(listed), key=lambda agency: agency != root)
        report = []
        for agency in order:
            if agency not in node.trust.agencies and agency != root:
                continue  # not (yet) in our trust log: nothing to judge it by
            if agency == node.config.agency:
                report.extend(self.check_own_log(client))
                continue
            report.extend(self.sync_log(client, state, agency))
        return report

    def _open(self, note: str, agency: str):
        origin = origin_of(self.node.config.city, agency)
        try:
            return open_checkpoint(note, origin, log_keys(self.node.trust, agency)), origin
        except (CheckpointError, ValueError) as exc:
            raise PeerError("BAD_CHECKPOINT", f"checkpoint of {agency} does not verify: {exc}") from exc

    def sync_log(self, client: PeerClient, state: PeerState, agency: str) -> list[str]:
        """Only one peer at a time brings in a given log; the others skip it this round."""
        lock = self._log_locks.setdefault(agency, threading.Lock())
        if not lock.acquire(blocking=False):
            return []
        try:
            return self._sync_log(client, state, agency)
        finally:
            lock.release()

    def _sync_log(self, client: PeerClient, state: PeerState, agency: str) -> list[str]:
        node = self.node
        signed, origin = self._open(client.checkpoint(agency), agency)
        theirs = signed.checkpoint
        with node.lock:
            head = node.store.ensure_log(agency, origin)
        if head.status != "ok":
            return []
        ours = parse_checkpoint(parse_note(head.checkpoint).text) if head.checkpoint else None
        state.set_lag(agency, max(0, theirs.size - head.size))
        if ours is not None and theirs.size <= ours.size:
            self._compare_smaller(head, ours, signed, client.url)
            if theirs.size == ours.size:
                self._checked(agency)
            return []
        if ours is not None and ours.size:
            path = client.consistency(agency, ours.size, theirs.size, full=True)
            self._check_extends(head, ours, signed, path, client.url)
        report = self._fetch(client, agency, head.size, signed, partial(self.node.import_log, agency, origin))
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
        reader = self.node.store.reader(head.id)
        if merkle.root_at(reader, theirs.size) != theirs.root:
            path = () if theirs.size == ours.size else tuple(merkle.full_consistency_path(reader, theirs.size, ours.size))
            self.record_fork(ForkEvidence(head.agency, head.origin, signed.note_text, head.checkpoint, path), source)
        elif theirs.size == ours.size:
            self.merge_cosignatures(head, signed)

    def _check_extends(self, head, ours, signed, path: list[bytes], source: str) -> None:
        """Their newer checkpoint must extend ours. The peer's full consistency
        path must lead to its signed root; if it also shows a different tree at
        our size, that is a fork, and the path is the evidence."""
        theirs = signed.checkpoint
        try:
            old_root, new_root = merkle.consistency_roots(ours.size, theirs.size, path)
        except merkle.ProofError as exc:
            raise PeerError("BAD_PROOF", f"{head.agency}: malformed consistency proof: {exc}") from exc
        if new_root != theirs.root:
            raise PeerError("BAD_PROOF", f"{head.agency}: the consistency proof does not match the peer's checkpoint")
        if old_root != ours.root:
            self.record_fork(ForkEvidence(head.agency, head.origin, head.checkpoint, signed.note_text, tuple(path)), source)
            raise PeerError("FORK", f"{head.agency}: the peer's checkpoint forks from ours")

    def _fetch(self, client: PeerClient, agency: str, start: int, signed, store: Callable) -> list[str]:
        """Bring in [start, checkpoint size) in chunks; the next chunk downloads
        while `store(position, chunk, note, proof)` verifies and keeps this one."""
        target = signed.checkpoint

        def download(position: int) -> tuple[int, list[bytes], list[bytes] | None]:
            chunk: list[bytes] = []
            while len(chunk) < CHUNK and position + len(chunk) < target.size:
                first = position + len(chunk)
                chunk += client.entries(agency, first, min(first + PAGE, target.size))
            end = position + len(chunk)
            return position, chunk, None if end == target.size else client.consistency(agency, end, target.size)

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
        return [f"{client.url}: {agency} {start} → {target.size}"] if target.size > start else []

    # -- co-signatures -----------------------------------------------------
    def merge_cosignatures(self, head, signed) -> None:
        """Keep every valid co-signature we see for the checkpoint we hold."""
        valid = witnessed_by(signed, self.node.trust, self.node.config.city, head.agency, int(time.time()))
        new = [s for s in signed.note.signatures if s.name in valid]
        with self.node.lock:
            current = self.node.store.head(head.agency)
            if current.checkpoint is None or parse_note(current.checkpoint).text != signed.note.text:
                return
            merged = add_cosignatures(current.checkpoint, new)
            if merged != current.checkpoint:
                self.node.store.update_checkpoint_note(current.id, signed.checkpoint.size, merged)

    def gather_cosignatures(self, client: PeerClient, state: PeerState) -> list[str]:
        """Ask a peer, as a witness, to co-sign our newest checkpoint."""
        node = self.node
        own = node.store.head(node.config.agency)
        if own is None or not own.size or node.own is None:
            return []
        note = own.checkpoint
        size = parse_checkpoint(parse_note(note).text).size
        for _ in range(2):
            old = min(state.cosigned_size, size)
            proof = [] if old in (0, size) else merkle.consistency_proof(node.store.reader(own.id), old, size)
            status, text = client.add_checkpoint(request_body(old, proof, note))
            if status == 409 and text.strip().isdigit():
                state.cosigned_size = int(text.strip())
                if state.cosigned_size > size:
                    raise PeerError("AHEAD", f"the peer co-signed our log up to {state.cosigned_size}, beyond our {size}")
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
    def check_own_log(self, client: PeerClient) -> list[str]:
        """A peer holding a newer (or different) checkpoint of OUR log means this
        home was restored from an old copy: refuse to sign, and recover what we
        can from the peer."""
        node = self.node
        agency = node.config.agency
        try:
            signed, origin = self._open(client.checkpoint(agency), agency)
        except PeerError as exc:
            if exc.code == "NO_LOG":
                return []
            raise
        theirs = signed.checkpoint
        with node.lock:
            head = node.store.head(agency)
            if theirs.size <= head.size:
                if merkle.root_at(node.store.reader(head.id), theirs.size) != theirs.root:
                    node.own.refuse(f"a peer holds a checkpoint of our log (size {theirs.size}) that our database contradicts")
                    self.record_fork(ForkEvidence(agency, origin, signed.note_text, head.checkpoint,
                                                  tuple(merkle.full_consistency_path(node.store.reader(head.id), theirs.size, head.size))
                                                  if theirs.size < head.size else ()), client.url)
                    return [f"{client.url}: OUR LOG CONFLICTS with the peer's copy"]
                if theirs.size == head.size:
                    self.merge_cosignatures(head, signed)
                return []
            node.own.refuse(
                f"拒绝签名：对等节点持有本机构日志 {theirs.size} 条，本地只有 {head.size} 条 / "
                f"signing refused: a peer holds {theirs.size} entries of our own log, this home only {head.size}"
            )
        self._fetch(client, agency, head.size, signed, node.recover_own)
        return [f"{client.url}: recovered our own log {head.size} → {theirs.size}"]

    def record_fork(self, evidence: ForkEvidence, source: str) -> None:
        with self.node.lock:
            self.node.record_fork(evidence, source)

"""Restore safety: before an opened node signs anything, its peers say how much
of its own log they hold.

A whole home restored from an old backup (key folder included) passes its own
rollback guard — the guard came back with it — so only the peers can tell it
is stale. Every door that signs (CLI, HTTP, counter, the root's trust
commands) opens a `Node` for writing and reaches `Node.append`: the node asks
as it opens, and `Node.append` lets nothing be signed until that answer is
judged (asking again if it was a refusal). Asking runs the sync loop's own-log
check (`Syncer.check_own_log`) against each peer it syncs with (`Node.peer_urls`): it
takes back, verified, entries a peer holds beyond ours, and records a fork with
its evidence when a peer's copy contradicts ours; if either leaves the log
refusing, nothing is signed and the person is told why, in both languages.
With no peer answering the node signs, as `node serve` does, and logs that
nobody could be asked.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from citychain.errors import CityChainError, MessageError, both
from citychain.node.ledger import LedgerUnavailable

log = logging.getLogger("citychain.restore")

# Per request (`client.Limits`): a dead peer delays the first signature by seconds, not minutes.
GATE_TIMEOUTS = {"connect_timeout": 2.0, "read_timeout": 5.0, "deadline": 15.0}


class SigningRefused(LedgerUnavailable):
    """The own log must not sign now; said in both languages."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        MessageError.__init__(self, message_zh, message_en, code)
        self.reason = both(message_zh, message_en)


class OwnLogForked(SigningRefused):
    """Two checkpoints this agency signed contradict each other."""


@dataclass(frozen=True)
class PeerAnswer:
    url: str
    lines: tuple[str, ...] = ()
    error: str = ""  # "CODE: message" when the peer could not be asked or failed a check


@dataclass(frozen=True)
class RestoreCheck:
    answers: tuple[PeerAnswer, ...]

    @property
    def answered(self) -> tuple[PeerAnswer, ...]:
        return tuple(a for a in self.answers if not a.error)

    @property
    def errors(self) -> str:
        return "; ".join(f"{a.url}: {a.error}" for a in self.answers if a.error)


def fork_refusal(node) -> OwnLogForked:
    """What a node whose own log is forked says, pointing at its stored evidence."""
    rows = [f for f in node.forks() if f["agency"] == node.config.agency]
    found_zh = "、".join(f"#{f['id']}（{f['detected']} 经 {f['source']}）" for f in rows) or "—"
    found_en = ", ".join(f"#{f['id']} ({f['detected']} via {f['source']})" for f in rows) or "—"
    command = f"log forks --home {node.home.path} --out DIR"
    return OwnLogForked(
        "OWN_LOG_FORKED",
        f"拒绝签名：本节点自己的日志已分叉——本机构签过两个互相矛盾的检查点（常见原因：从旧备份恢复后又签了名）；"
        f"分叉证据 {found_zh}，用 `{command}` 导出；请与城市根机构共同处理后再签名",
        f"signing refused: THIS node's own log is forked — this agency signed two checkpoints that contradict "
        f"each other (usually: restored from an old backup, then signed); fork evidence {found_en}, written out by "
        f"`{command}`; resolve it with the city's root authority before signing again",
    )


def unsafe_refusal(refusal: CityChainError, errors: str) -> SigningRefused:
    """The log's own refusal (a peer holds more, a rollback) with what went
    wrong asking the peers, so the person sees why it was not put right."""
    return SigningRefused(
        "RESTORE_UNSAFE",
        f"{refusal.message_zh}；未能从对等节点取回（{errors}）",
        f"{refusal.message_en}; it could not be taken back from the peers ({errors})",
    )


def ask(syncer, url: str) -> PeerAnswer:
    """One peer's word on our own log, through the sync loop's own check."""
    from citychain.net.client import PeerError
    from citychain.node.mirror import MirrorRejected

    client = syncer.client(url)
    try:
        lines = tuple(syncer.check_own_log(client))
        for line in lines:
            log.warning("恢复安全 / restore safety: %s", line)
        return PeerAnswer(url, lines)
    except (PeerError, MirrorRejected) as exc:
        return PeerAnswer(url, error=f"{exc.code}: {exc}")
    finally:
        client.close()


class RestoreGate:
    """Asks the peers once per opened node, before it may sign."""

    def __init__(self, node) -> None:
        self.node = node
        self.passed: RestoreCheck | None = None
        self._asked: RestoreCheck | None = None  # at open, judged at the first append
        self._lock = threading.Lock()
        own = node.store.head(node.config.agency) if node.own is not None else None
        if own is not None and own.status == "forked":  # the mark is stored, the refusal is not
            node.own.refuse(fork_refusal(node))

    def ask_now(self) -> None:
        """Ask as the node opens for writing: a door reads the log's derived
        tables (the next certificate number, a fund's balance) before it
        appends, so what a peer holds of our log must be back by then. A peer's
        failure never raises here: the node still opens to read, serve and sync."""
        with self._lock:
            self._asked = self.check(parallel=True)

    def ensure(self) -> None:
        """Return when the node may sign as far as its peers can tell; raise
        `SigningRefused` when they show it must not. Until it passes, every
        append asks again."""
        if self.passed is not None:
            return
        with self._lock:
            if self.passed is None:
                check, self._asked = self._asked or self.check(), None
                self.passed = self._judge(check)

    def check(self, parallel: bool = False) -> RestoreCheck:
        """Every peer's word on our own log. In parallel only where nobody can
        hold the node's lock (at open): the check takes it, and a door may
        append while holding it."""
        node = self.node
        urls = node.peer_urls()
        if not urls:
            return RestoreCheck(())  # a lone node: nobody to ask
        from citychain.net.client import (
            Limits,  # the network stack loads only when there is someone to ask
        )
        from citychain.net.sync import MAX_PARALLEL, Syncer

        ca = node.home.city_ca_path
        syncer = Syncer(node, str(ca) if ca.exists() else None, limits=Limits(**GATE_TIMEOUTS), peers=urls)
        if not parallel:
            return RestoreCheck(tuple(ask(syncer, url) for url in urls))
        with ThreadPoolExecutor(min(MAX_PARALLEL, len(urls)), thread_name_prefix="citychain-restore") as pool:
            return RestoreCheck(tuple(pool.map(partial(ask, syncer), urls)))

    def _judge(self, check: RestoreCheck) -> RestoreCheck | None:
        """The check, if the node may sign after it; None (ask again at the next
        append) while the log refuses for another reason: `OwnLog.append` says why."""
        node = self.node
        with node.lock:
            forked = node.store.head(node.config.agency).status == "forked"
            refusal = node.own.refused
        if forked:
            raise fork_refusal(node)
        if refusal is not None:
            if check.errors:
                raise unsafe_refusal(refusal, check.errors)
            return None
        if check.answers and not check.answered:
            log.warning(
                "恢复安全：没有对等节点能核对本机构日志，照常签名 / restore safety: no peer could be asked about "
                "our own log (%s); signing, as `node serve` does",
                check.errors,
            )
        return check

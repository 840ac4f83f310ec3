"""The node's Prometheus metrics — `GET /metrics`, in the text format.

One `CollectorRegistry` per app (several nodes may run in one process), with
one collector that reads the current values at scrape time: log sizes, each
peer's lag and last contact, how old the newest co-signature of our own log
is, forks, invalid logs, derived-table differences and failed sign-ins. Labels carry agency ids and peer
URLs only, never a person's name. A scrape is a few indexed look-ups: the
failed sign-ins are counted from where the last scrape stopped (the audit
trail only grows), and the co-signed checkpoint is looked for among the
newest few only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from citychain.net.status import own_cosigners

COSIGNED_LOOKBACK = 256  # checkpoints of our own log searched for the newest co-signed one
NEVER = math.inf  # "seconds since" something that has not happened yet


class NodeCollector(Collector):
    def __init__(self, service) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._audit_seen = 0  # audit rows counted so far (by id) …
        self._failed_sign_ins = 0  # … and the failed sign-ins among them
        self._cosigned: tuple[str, int] | None = None  # (checkpoint, newest co-signature time) last found

    def describe(self) -> list[Metric]:
        return []  # values only exist at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        store = self.service.readers.store()
        heads = store.heads()
        entries = GaugeMetricFamily("citychain_log_entries", "Entries this node holds of each log.", labels=["agency"])
        for head in heads:
            entries.add_metric([head.agency], head.size)
        yield entries
        yield GaugeMetricFamily(
            "citychain_invalid_logs",
            "Logs held that failed verification and take nothing more in.",
            value=sum(head.status == "invalid" for head in heads),
        )
        yield self._derived()
        (forks,) = store.conn.execute("SELECT COUNT(*) FROM forks").fetchone()
        yield GaugeMetricFamily("citychain_forks", "Forks detected (evidence kept), in any log.", value=forks)
        yield from self._peers(now)
        yield self._cosigned_age(store, now)
        yield CounterMetricFamily(
            "citychain_failed_sign_ins", "Sign-ins refused for a wrong user or password.", value=self._failed(store)
        )

    def _peers(self, now: float) -> Iterator[Metric]:
        syncer = self.service.syncer
        lag = GaugeMetricFamily(
            "citychain_peer_lag_entries",
            "Entries of a log a peer holds that this node has not yet taken in.",
            labels=["peer", "agency"],
        )
        since = GaugeMetricFamily(
            "citychain_peer_seconds_since_contact",
            "Seconds since the last successful sync with a peer (+Inf: none yet).",
            labels=["peer"],
        )
        for url in syncer.peer_urls():
            state = syncer.peers.get(url)
            contact = state.last_contact if state else None
            since.add_metric([url], NEVER if contact is None else now - contact)
            for agency, entries in sorted(dict(state.lag).items()) if state else ():
                lag.add_metric([url, agency], entries)
        yield lag
        yield since
        health = syncer.health()
        yield CounterMetricFamily(
            "citychain_sync_loop_restarts", "Times the sync loop failed and was restarted.", value=health.restarts
        )

    def _derived(self) -> Metric:
        """Rows of derived tables the start-up replay found differing (NaN: not known yet, or the check failed)."""
        check = getattr(self.service, "derived", None)
        known = check is not None and check.state in ("ok", "differs")
        return GaugeMetricFamily(
            "citychain_derived_differences",
            "Rows of derived tables that differ from what the logs give (NaN: not checked yet or check failed).",
            value=len(check.found.differences) if known and check.found else math.nan,
        )

    def _cosigned_age(self, store, now: float) -> Metric:
        """Seconds since the newest co-signature on our own log's newest co-signed checkpoint."""
        node = self.service.node
        head = store.head(node.config.agency)
        newest = None
        if head is not None:
            rows = store.conn.execute(
                "SELECT note FROM checkpoints WHERE log=? ORDER BY size DESC LIMIT ?", (head.id, COSIGNED_LOOKBACK)
            )
            for (note,) in rows:
                if self._cosigned is not None and self._cosigned[0] == note:
                    newest = self._cosigned[1]  # found before: no need to verify it again
                    break
                cosigned = own_cosigners(node, note, now)
                if cosigned:
                    newest = max(cosigned.values())
                    self._cosigned = (note, newest)
                    break
        return GaugeMetricFamily(
            "citychain_own_cosigned_checkpoint_age_seconds",
            "Seconds since a witness last co-signed a checkpoint of this node's own log (+Inf: none found).",
            value=NEVER if newest is None else max(0.0, now - newest),
        )

    def _failed(self, store) -> int:
        """Failed sign-ins in the audit trail, counting only rows added since the last scrape."""
        with self._lock:
            (last,) = store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()
            if last > self._audit_seen:
                (new,) = store.conn.execute(
                    "SELECT COUNT(*) FROM audit WHERE id > ? AND id <= ? AND action = 'user.login' "
                    "AND outcome = 'failed'",
                    (self._audit_seen, last),
                ).fetchone()
                self._audit_seen, self._failed_sign_ins = last, self._failed_sign_ins + new
            return self._failed_sign_ins


def registry(service) -> CollectorRegistry:
    """A registry of this node's own, read at each scrape."""
    registry = CollectorRegistry()
    registry.register(NodeCollector(service))
    return registry

"""Whether a node is fit to serve — `GET /v1/health`, for load balancers and
supervisors: open to anyone, a few cheap look-ups, and never a server error.
A node is ready unless its store cannot be read, its own log refuses to sign
(forked, or a restore not yet safe), its own log is not ok, or its sync loop
failed and has not made a full pass since, or its derived tables differ
from its logs (`reconcile`). Each reason is short and
bilingual; the details are in /v1/status."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from citychain.net.sync import describe

log = logging.getLogger("citychain.health")


@dataclass(frozen=True)
class Reason:
    code: str
    message_zh: str
    message_en: str

    def to_json(self) -> dict:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


STORE_UNREADABLE = Reason("STORE_UNREADABLE", "无法读取本节点的数据库", "the node's database cannot be read")
SIGNING_REFUSED = Reason(
    "SIGNING_REFUSED", "本机构日志拒绝签名（详见 /v1/status）", "the own log refuses to sign (see /v1/status)"
)
SYNC_LOOP_FAILED = Reason("SYNC_LOOP_FAILED", "同步循环出错，尚未恢复", "the sync loop failed and has not recovered")
DERIVED_MISMATCH = Reason(
    "DERIVED_MISMATCH",
    "派生表与账本不符或无法核对（详见 /v1/status）",
    "the derived tables differ from the logs or could not be checked (see /v1/status)",
)


def own_log_not_ok(status: str) -> Reason:
    return Reason("OWN_LOG_" + status.upper(), f"本机构日志的状态为 {status}", f"the own log is {status}")


def _store(service) -> list[Reason]:
    """The store read through this thread's connection, and the own log's status in it."""
    head = service.readers.store().head(service.node.config.agency)
    return [own_log_not_ok(head.status)] if head is not None and head.status != "ok" else []


def _signing(service) -> list[Reason]:
    own = service.node.own
    return [SIGNING_REFUSED] if own is None or own.refusal is not None else []


def _sync_loop(service) -> list[Reason]:
    service.syncer.revive()  # as /v1/status does: a dead loop is started again, and is failing until it passes
    return [SYNC_LOOP_FAILED] if service.syncer.health().failing else []


def _derived(service) -> list[Reason]:
    check = getattr(service, "derived", None)
    return [DERIVED_MISMATCH] if check is not None and check.refusing else []


CHECKS = (
    (_store, STORE_UNREADABLE),
    (_signing, SIGNING_REFUSED),
    (_sync_loop, SYNC_LOOP_FAILED),
    (_derived, DERIVED_MISMATCH),
)


def not_ready(service) -> list[Reason]:
    """Why the node is not ready (empty: it is). A check that cannot run at
    all counts as its own reason, so the answer is always 200 or 503."""
    reasons: list[Reason] = []
    for check, failed in CHECKS:
        try:
            reasons += check(service)
        except Exception as exc:  # noqa: BLE001 — a health check that breaks is a reason, never a 500
            log.warning("health check %s failed: %s", check.__name__, describe(exc))
            reasons.append(failed)
    return reasons

"""Record kinds: how domain packages plug their records into the ledger.

`citychain` treats permissions and actions as opaque strings; a domain package
says, per kind, which trust-log permission the authoring agency needs, which
node-local user action a person needs to append it, and which rules a record
must meet against what the log already holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from citychain.errors import CodedError
from citychain.log.records import Record
from citychain.node.store import set_log_status
from citychain.node.trust import ROOT_PERMISSION, TRUST_KINDS, TrustState


class RecordRejected(CodedError):
    """A record that breaks a rule; the message is shown to the person as is,
    and marks `field` (the body field at fault) when there is one."""

    def __init__(self, code: str, message_zh: str, message_en: str, field_name: str | None = None) -> None:
        super().__init__(code, message_zh, message_en)
        self.field = field_name
        self.fields = self.marking([field_name] if field_name else [])


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the database inside the appending transaction,
    the trust log (e.g. an agency's public attributes), and who is appending.

    `author` is the signed-in user's name when this node appends to its own
    log, so a rule can insist that a body naming the person who acted names
    that user; it is None when mirroring a peer's log, whose users this node
    cannot know (there the agency's signature vouches for the names)."""

    conn: sqlite3.Connection
    log_id: int
    trust: TrustState | None = None
    author: str | None = None

    def flag_invalid(self, log_id: int, detail: str) -> None:
        """Mark a log as breaking a rule that only became checkable now (e.g. a
        record pointing into another log that has just arrived)."""
        set_log_status(self.conn, log_id, "invalid", detail)


def _no_rule(record: Record, ctx: Context) -> None:
    return None


@dataclass(frozen=True)
class KindSpec:
    kind: str
    action: str  # node-local user action needed to append (users.Permissions)
    permission: Callable[[Record], str]  # trust-log permission the agency needs
    check: Callable[[Record, Context], None] = _no_rule  # raise RecordRejected
    apply: Callable[[Record, Context], None] = _no_rule  # update derived tables
    max_body_bytes: int = 16 * 1024


@dataclass(frozen=True)
class Plugin:
    """What a domain package hands to the node at start-up."""

    name: str
    kinds: tuple[KindSpec, ...] = ()
    actions: tuple[tuple[str, frozenset[str], str, str], ...] = ()  # (action, roles, zh, en)
    schema: Callable[[sqlite3.Connection], None] | None = None  # create derived tables
    routes: Callable[[object], list] | None = None  # extra HTTP routes, given the node service
    # after entries are stored, own or a peer's (same transaction): rules that span
    # logs and could not be judged until now; they flag offending logs with Context.flag_invalid
    after_store: Callable[[Context], None] | None = None
    # the kinds of printed document it issues (citychain.documents.door.DocumentKind),
    # asked only when a document is verified, so a node never loads the verifiers
    documents: Callable[[], tuple] | None = None


@dataclass
class KindRegistry:
    specs: dict[str, KindSpec] = field(default_factory=dict)
    after_store: list[Callable[[Context], None]] = field(default_factory=list)

    def register(self, spec: KindSpec) -> None:
        if spec.kind in self.specs:
            raise ValueError(f"record kind {spec.kind!r} is registered twice")
        self.specs[spec.kind] = spec

    def get(self, kind: str) -> KindSpec:
        spec = self.specs.get(kind)
        if spec is None:
            raise RecordRejected("UNKNOWN_KIND", f"未知的记录类型 {kind}", f"unknown record kind {kind!r}")
        return spec

    @classmethod
    def with_plugins(cls, plugins: Iterable[Plugin]) -> KindRegistry:
        registry = cls()
        for kind in TRUST_KINDS:
            registry.register(KindSpec(kind, "trust.write", lambda record: ROOT_PERMISSION))
        for plugin in plugins:
            for spec in plugin.kinds:
                registry.register(spec)
            if plugin.after_store is not None:
                registry.after_store.append(plugin.after_store)
        return registry

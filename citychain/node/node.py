"""An agency node: one home, one signing identity, every log it holds.

The CLI, the GUI and the HTTP API all go through `Node`, so the same user
checks and audit rows apply whichever door a person comes in by.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citychain.accounts.audit import AuditTrail
from citychain.accounts.users import Argon2Params, Permissions, User, Users
from citychain.clock import Clock, clock_from_config, format_time
from citychain.log.keys import (
    KdfCost,
    Signer,
    load_key,
    passphrase_from_environment,
    save_key,
)
from citychain.log.records import parse_leaf
from citychain.log.suite import DEFAULT, Suite, of_keys
from citychain.node.bundle import BundleError, TrustBundle
from citychain.node.guard import Author, SignedState, save
from citychain.node.home import Config, Home, HomeError, origin
from citychain.node.kinds import KindRegistry, Plugin
from citychain.node.ledger import Appended, OwnLog
from citychain.node.mirror import Imported, import_entries
from citychain.node.peers import Peer, combine, trust_log_urls, uses_trust_log
from citychain.node.policies import home_policy
from citychain.node.private import PrivateStore
from citychain.node.restore import RestoreGate, fork_refusal
from citychain.node.store import Store
from citychain.node.trust import REGISTERED, ROOT_PERMISSION, TrustState, key_json


@dataclass(frozen=True)
class Identity:
    agency: str
    kid: str
    public_key: bytes


def resolve_passphrase(home: Home, config: Config, passphrase: str | None) -> str:
    if passphrase:
        return passphrase
    if config.passphrase_file:
        return (home.path / config.passphrase_file).read_text(encoding="utf-8").strip()
    return passphrase_from_environment(prompt=f"Passphrase for {home.path}: ")


def replay_trust(store: Store, config: Config) -> TrustState:
    """The trust state a home's stored trust log gives, under its pinned root keys."""
    state = TrustState(config.root_agency, frozenset(config.root_keys))
    head = store.head(config.root_agency)
    if head is not None:
        state.replay(parse_leaf(data, store.hasher) for data in store.iter_leaves(head.id))
    return state


class Node:
    def __init__(
        self,
        home: Home,
        config: Config,
        signer: Signer | None,
        plugins: Sequence[Plugin],
        clock: Clock,
        argon2: Argon2Params | None,
    ) -> None:
        self.home = home
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()  # one writer connection, shared by the node's threads
        self.store = Store(home.db_path, suite=config.suite)
        self.permissions = Permissions()
        for plugin in plugins:
            for action, roles, zh, en in plugin.actions:
                self.permissions.register(action, roles, zh, en)
            if plugin.schema is not None:
                plugin.schema(self.store.conn)
        self.kinds = KindRegistry.with_plugins(plugins)
        self.audit = AuditTrail(self.store.db, clock)
        self.users = Users(
            self.store.db, self.permissions, audit=self.audit, params=argon2, now=lambda: clock.now().timestamp()
        )
        self.trust = self._replay_trust()
        self.policy = home_policy(home, config)  # `[trust] policy`, or None (policies.py)
        self.signer = signer
        self._passphrase: str | None = None
        self._private: PrivateStore | None = None
        self.own: OwnLog | None = None
        if signer is not None:
            self.own = OwnLog(
                self.store,
                signer,
                config.agency,
                config.origin,
                home.guard_path,
                self.kinds,
                lambda: self.trust,
                clock,
                on_stored=self._audit_batch,
            )
        self.restore = RestoreGate(self)  # asks the peers before the first signature (restore safety)
        # Called with each stored batch of the own log, whichever door wrote it (a serving node tells its peers).
        self.after_append: list[Callable[[Appended], None]] = []

    # -- opening and creating ----------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path,
        plugins: Sequence[Plugin] = (),
        passphrase: str | None = None,
        clock: Clock | None = None,
        write: bool = True,
        argon2: Argon2Params | None = None,
    ) -> Node:
        """`write=False` opens for reading only: no key, no lock, no appends."""
        home = Home(Path(path))
        config = home.config()
        lock = home.lock()
        signer = None
        if write:
            lock.acquire()
            try:
                signer = load_key(home.key_path, resolve_passphrase(home, config, passphrase))
            except BaseException:
                lock.release()
                raise
        node = cls(home, config, signer, plugins, clock or clock_from_config(config.extra), argon2)
        node._lock = lock
        node._passphrase = passphrase
        if write:
            node.promote_next_key()
            node.restore.ask_now()  # before any door reads the log to build a record
        return node

    def new_key(self, cost: KdfCost = KdfCost()) -> Identity:
        """Make the next signing key; the root registers it with `trust rotate-key`,
        and the node switches to it by itself once the trust log lists it."""
        if self.home.next_key_path.exists():
            raise HomeError(f"a new key is already waiting in {self.home.next_key_path}")
        signer = Signer.generate(self.config.suite)
        save_key(self.home.next_key_path, signer, self.passphrase(), cost)
        return Identity(self.config.agency, signer.kid, signer.public_raw)

    def promote_next_key(self) -> bool:
        """Switch to the waiting key once the trust log says it may sign now."""
        path = self.home.next_key_path
        if self.own is None or not path.exists():
            return False
        agency = self.trust.agencies.get(self.config.agency)
        nxt = load_key(path, self.passphrase())
        key = agency.key(nxt.kid) if agency else None
        if key is None or key.problem_at(format_time(self.clock.now())) is not None:
            return False
        with self.lock:
            self.home.key_path.replace(self.home.key_path.with_name(f"retired-{self.signer.kid}.key"))
            path.replace(self.home.key_path)
            self.signer = self.own.signer = nxt
        return True

    @classmethod
    def create(
        cls,
        path: Path,
        city: str,
        agency: str,
        root_agency: str,
        root_keys: Iterable[bytes] = (),
        passphrase: str = "",
        cost: KdfCost = KdfCost(),
        passphrase_file: str | None = None,
        suite: Suite | None = None,
    ) -> Identity:
        """A new home with a new key. The root authority pins its own key and
        chooses the city's suite; an agency takes the suite of the root key it pins."""
        pins = tuple(root_keys)
        if pins:
            pinned = of_keys(pins)
            if suite is not None and suite is not pinned:
                raise HomeError(f"the root key is a {pinned.name} key, not {suite.name}")
            suite = pinned
        suite = suite or DEFAULT
        home = Home(Path(path))
        if home.exists():
            raise HomeError(f"{home.path} already holds a node home")
        home.create_dirs()
        signer = Signer.generate(suite)
        save_key(home.key_path, signer, passphrase, cost)
        pins = pins or ((signer.public_raw,) if agency == root_agency else ())
        if not pins:
            raise HomeError("a node must pin the root authority's public key (--root-key)")
        home.write_config(Config(city, agency, root_agency, pins, passphrase_file=passphrase_file))
        Store(home.db_path, suite=suite).close()
        return Identity(agency, signer.kid, signer.public_raw)

    def close(self) -> None:
        if self._private is not None:
            self._private.close()
        self.store.close()
        self._lock.release()

    def passphrase(self) -> str:
        """The home's key passphrase, for the other sealed files it keeps."""
        return resolve_passphrase(self.home, self.config, self._passphrase)

    def private(self, cost: KdfCost = KdfCost()) -> PrivateStore:
        """The encrypted private store, opened with the node passphrase on first
        use (`cost` applies only when its data key is first made)."""
        if self._private is None:
            self._private = PrivateStore(self.home.private_dir, self.passphrase(), cost, self.config.suite)
        return self._private

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- trust -------------------------------------------------------------
    def _replay_trust(self) -> TrustState:
        return replay_trust(self.store, self.config)

    @property
    def is_root(self) -> bool:
        return self.config.agency == self.config.root_agency

    # -- writing -----------------------------------------------------------
    def append(self, user: User | None, items: Sequence[tuple[str, dict[str, Any]]], target: str = "") -> Appended:
        """Append as `user` (None only for the node's own bootstrap records)."""
        if self.own is None:
            raise HomeError("this node was opened read-only")
        self.restore.ensure()  # every door signs here, so every door is checked against a stale restore
        self.promote_next_key()
        with self.lock:  # a refusal writes an audit row on the shared connection too
            if user is not None:
                self.users.require_current(user)
                for action in sorted({self.kinds.get(kind).action for kind, _ in items}):
                    self.users.require(user, action)
            author = Author(user.name, str(user.role)) if user is not None else None
            appended = self.own.append(items, author, target)
        for listener in self.after_append:
            listener(appended)
        return appended

    def _audit_batch(self, leaves, author: Author | None, target: str, replayed: bool) -> None:
        """The audit row of a stored batch (inside its transaction); a batch
        replayed after a crash is recorded as its author's, marked replayed."""
        kinds = sorted({leaf.record.kind for leaf in leaves})
        detail = {"kinds": kinds, "first_seq": leaves[0].record.seq, "count": len(leaves)}
        self.audit.record(
            author, "log.append", "ok", target=target, detail=detail | ({"replayed": True} if replayed else {})
        )

    def bootstrap_trust_log(self, name_zh: str, name_en: str, url: str | None = None) -> Appended:
        """The root authority's first record: it registers itself with its key (and its node's URL)."""
        if not self.is_root or self.trust.size:
            raise HomeError("only a new root authority opens a trust log")
        now = format_time(self.clock.now())
        body = {
            "agency": self.config.agency,
            "name_zh": name_zh,
            "name_en": name_en,
            "keys": [key_json(self.signer.kid, self.signer.public_raw, now)],
            "permissions": [ROOT_PERMISSION],
        }
        if self.config.suite is not DEFAULT:  # the city's suite, a signed fact (absent: Ed25519/SHA-256)
            body["suite"] = self.config.suite.name
        if url is not None:
            body["url"] = url
        return self.append(None, [(REGISTERED, body)], target=self.config.agency)

    def import_log(
        self, agency: str, origin: str, start: int, leaves: Sequence[bytes], note: str, proof=None
    ) -> Imported:
        with self.lock:
            return import_entries(self.store, self.trust, self.kinds, agency, origin, start, leaves, note, proof)

    def recover_own(self, start: int, leaves: Sequence[bytes], note: str, proof=None) -> Imported:
        """Take back entries of our own log that a peer mirrored (after this home
        was restored from an old copy); every one is verified like a peer's."""
        with self.lock:
            result = import_entries(
                self.store,
                self.trust,
                self.kinds,
                self.config.agency,
                self.config.origin,
                start,
                leaves,
                note,
                proof,
                own_ok=True,
            )
            head = self.store.head(self.config.agency)
            if head.checkpoint and result.new_size == head.size and self.own is not None:
                save(
                    self.home.guard_path,
                    SignedState(self.config.origin, head.size, head.root, head.checkpoint, head.size, head.root, ()),
                )
                self.own.reload()
            return result

    # -- forks and peers -----------------------------------------------------
    def record_fork(self, evidence, source: str) -> None:
        """Keep the evidence, mark the log forked, and stop taking it in."""
        with self.lock:
            head = self.store.head(evidence.agency)
            now = format_time(self.clock.now())
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT INTO forks (agency, detected, source, evidence) VALUES (?, ?, ?, ?)",
                    (evidence.agency, now, source, evidence.to_json()),
                )
                self.store.set_status(head.id, "forked", f"fork detected {now} via {source}")
            if head.own and self.own is not None:
                self.own.refuse(fork_refusal(self))

    def forks(self) -> list[dict]:
        rows = self.store.conn.execute("SELECT id, agency, detected, source, evidence FROM forks ORDER BY id")
        return [dict(zip(("id", "agency", "detected", "source", "evidence"), row)) for row in rows]

    def peer_urls(self) -> list[str]:
        """Everyone this node syncs with, asks before signing and notifies."""
        return [peer.url for peer in self.peers()]

    def peers(self) -> list[Peer]:
        """The peers added by hand and every active agency's URL in our trust log
        (see `peers.py`), never our own agency's URL."""
        trust, agency = self.trust, self.config.agency
        own = trust.agencies[agency].url if agency in trust.agencies else None
        from_trust = trust_log_urls(trust, agency) if uses_trust_log(self.config) else {}
        return [p for p in combine(self.hand_peer_urls(), from_trust) if p.url != own]

    def hand_peer_urls(self) -> list[str]:
        """The peers table: `peer add`, `node serve --peer`."""
        return [row[0] for row in self.store.conn.execute("SELECT url FROM peers ORDER BY url")]

    def add_peer(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise HomeError(
                "对等节点地址必须以 http:// 或 https:// 开头",
                f"a peer URL starts with http:// or https://: {url}",
                "BAD_PEER_URL",
            )
        with self.lock:
            self.store.conn.execute(
                "INSERT OR IGNORE INTO peers (url, added) VALUES (?, ?)",
                (url.rstrip("/"), format_time(self.clock.now())),
            )

    def remove_peer(self, url: str) -> bool:
        with self.lock:
            return self.store.conn.execute("DELETE FROM peers WHERE url=?", (url.rstrip("/"),)).rowcount == 1

    def import_trust_bundle(self, bundle: TrustBundle) -> Imported:
        """Take in a newer trust log, verified under this home's own pins only."""
        config = self.config
        if bundle.root_agency != config.root_agency or bundle.city != config.city:
            raise BundleError(
                f"信任包属于 {bundle.city}/{bundle.root_agency}，本节点属于 {config.city}/{config.root_agency} / "
                f"the bundle is for {bundle.city}/{bundle.root_agency}, this node for {config.city}/{config.root_agency}"
            )
        head = self.store.head(config.root_agency)
        have = head.size if head else 0
        if len(bundle.entries) < have:
            raise BundleError(f"the bundle's trust log ({len(bundle.entries)}) is older than this node's ({have})")
        return self.import_log(
            config.root_agency, origin(config.city, config.root_agency), have, bundle.entries[have:], bundle.checkpoint
        )

"""Node-local users and roles; the one place permissions are decided.

The CLI, the GUI and the HTTP API all call `Users.authenticate` and
`Users.require`, so a clerk cannot do a supervisor's work by choosing another
door, and every refusal lands in the audit trail. Domain packages register
their own actions (opaque strings) with the roles allowed; this module knows
nothing of what those actions mean.

Passwords are hashed with Argon2id (memory-hard). A run of wrong passwords
locks the account for a while. Call `authenticate` and `require` outside any
open transaction: their audit rows and failure counters must survive the
caller's rollback.

A change of a user's password, role or enabled state moves the row's
`session_stamp` (a trigger, so every door and every process moves it); a
session made at sign-in (`SignedIn`) holds only while the stamp is unchanged.
"""

from __future__ import annotations

import getpass
import math
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import argon2
import sqlite_utils

from citychain.accounts.audit import AuditTrail, atomic
from citychain.clock import format_time
from citychain.errors import MessageError

NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")
ACTION_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # Argon2 takes any length; this only stops absurd input
MAX_DISPLAY_NAME = 100
# Argon2 checks at once in this process: each takes its memory cost (19 MiB)
# and a core, so more than the cores only costs memory.
_HASHING = threading.BoundedSemaphore(os.cpu_count() or 1)


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLES = tuple(role.value for role in Role)
# A supervisor may do whatever a clerk may. Admin and auditor inherit nothing:
# the admin runs the node, not the agency's business.
_IMPLIED = {Role.CLERK: frozenset({Role.SUPERVISOR})}

SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ({", ".join(f"'{r}'" for r in ROLES)})),
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until REAL NOT NULL DEFAULT 0,
        session_stamp INTEGER NOT NULL DEFAULT 0
    )""",
)
# In SQL, so a change made by any door (CLI, GUI, HTTP, another process) ends
# the sessions the HTTP API holds for that user.
END_SESSIONS = """CREATE TRIGGER IF NOT EXISTS users_end_sessions
    AFTER UPDATE OF password_hash, role, disabled ON users
    WHEN NEW.password_hash IS NOT OLD.password_hash OR NEW.role IS NOT OLD.role OR NEW.disabled IS NOT OLD.disabled
    BEGIN UPDATE users SET session_stamp = session_stamp + 1 WHERE name = NEW.name; END"""


# -- errors ------------------------------------------------------------------
class Bilingual(MessageError):
    """An account error, in both languages; the class names the code."""

    code = "BAD_REQUEST"


class UserError(Bilingual, ValueError):
    """Something the person at the keyboard can fix (bad name, weak password…)."""


class UnknownRole(UserError):
    def __init__(self, role: object) -> None:
        super().__init__(f"未知角色 {role}", f"unknown role {role!r}; choose one of {', '.join(ROLES)}")


class InvalidName(UserError):
    def __init__(self) -> None:
        super().__init__(
            "用户名须为 1–32 个英文字母、数字或 . _ -", "user names are 1–32 ASCII letters, digits, '.', '_' or '-'"
        )


class WeakPassword(UserError):
    pass


class UserExists(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"用户 {name} 已存在", f"user {name} already exists")


class NoSuchUser(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"没有用户 {name}", f"there is no user {name}")


class LastAdmin(UserError):
    def __init__(self) -> None:
        super().__init__("不能停用最后一个管理员", "the last enabled admin cannot be disabled")


class PasswordUnavailable(UserError):
    pass


class DuplicateAction(Bilingual, ValueError):
    def __init__(self, action: str) -> None:
        super().__init__(
            f"操作 {action} 已用不同角色注册过", f"action {action!r} is already registered with other roles"
        )


class UnknownAction(Bilingual, LookupError):
    """A programming error: a door asked about an action nobody registered."""

    def __init__(self, action: str) -> None:
        super().__init__(f"未注册的操作 {action}", f"action {action!r} is not registered")


class AuthError(UserError):
    """Signing in failed; the HTTP API answers 401."""

    code = "UNAUTHENTICATED"


class BadCredentials(AuthError):
    """Unknown user or wrong password: one message, so names cannot be probed."""

    def __init__(self) -> None:
        super().__init__("用户名或密码错误", "wrong user name or password")


class UnknownUser(BadCredentials):
    pass


class BadPassword(BadCredentials):
    pass


class AccountLocked(AuthError):
    def __init__(self, until: float, now: float) -> None:
        minutes = max(1, math.ceil((until - now) / 60))
        super().__init__(
            f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试",
            f"too many wrong passwords; the account is locked for {minutes} more min",
        )
        self.until = until


class AccountDisabled(AuthError):
    def __init__(self) -> None:
        super().__init__("账户已停用", "this account is disabled")


class SessionEnded(AuthError):
    def __init__(self) -> None:
        super().__init__(
            "账户的密码或角色已更改，请重新登录", "the password or role of this account changed; please sign in again"
        )


class PermissionDenied(UserError):
    code = "PERMISSION_DENIED"

    def __init__(self, action: str, role: str, message_zh: str = "", message_en: str = "") -> None:
        super().__init__(
            message_zh or f"权限不足：角色 {role} 不能执行 {action}",
            message_en or f"permission denied: role {role} may not {action}",
        )
        self.action = action
        self.role = role


class BootstrapClosed(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(
            "user.manage",
            "none",
            "节点已有用户，新用户须由管理员添加",
            "this node has users; an admin must add new ones",
        )


# -- data --------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    """A signed-in person, as the doors pass it around."""

    name: str
    display_name: str
    role: Role


@dataclass(frozen=True)
class UserInfo:
    """One row of `list_users`, for admins (no hash)."""

    name: str
    display_name: str
    role: Role
    created: str
    disabled: bool
    locked: bool


@dataclass(frozen=True)
class _Stored:
    name: str
    display_name: str
    role: Role
    password_hash: str
    created: str
    disabled: bool
    failed_attempts: int
    locked_until: float
    session_stamp: int

    @property
    def user(self) -> User:
        return User(self.name, self.display_name, self.role)


@dataclass(frozen=True)
class SignedIn:
    """A sign-in as a session keeps it: the stamp of the users row it was made
    under, so `check_session` can tell when the row has changed since."""

    user: User
    stamp: int


@dataclass(frozen=True)
class _Unauthenticated:
    """Who a failed sign-in is recorded as: nobody has proved who they are."""

    name: str = "(unauthenticated)"
    role: str = "none"


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost. The default is OWASP's recommendation (19 MiB, t=2, p=1)."""

    time_cost: int = 2
    memory_cost: int = 19 * 1024  # KiB
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_cost < 8 * self.parallelism:
            raise ValueError(f"Argon2 parameters out of range: {self}")

    @classmethod
    def fast(cls) -> Argon2Params:
        """Tests and the demo only: still Argon2id, with a tiny memory cost."""
        return cls(time_cost=1, memory_cost=1024, parallelism=1)

    def hasher(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
            type=argon2.Type.ID,
        )


@dataclass(frozen=True)
class LockoutPolicy:
    """`max_failures` wrong passwords in a row lock the account for `lock_minutes`."""

    max_failures: int = 5
    lock_minutes: float = 15

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lock_minutes <= 0:
            raise ValueError(f"lock-out policy out of range: {self}")


# -- permissions ---------------------------------------------------------------
@dataclass(frozen=True)
class ActionRule:
    action: str
    roles: frozenset[Role]  # effective roles, supervisor already added to clerk actions
    description_zh: str
    description_en: str


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UnknownRole(role) from None


def _effective(roles: Iterable[str]) -> frozenset[Role]:
    parsed = {parse_role(role) for role in roles}
    for role in list(parsed):
        parsed |= _IMPLIED.get(role, frozenset())
    return frozenset(parsed)


CORE_ACTIONS = (
    ("user.manage", frozenset({"admin"}), "管理用户", "manage users"),
    ("trust.write", frozenset({"admin"}), "信任根操作", "root authority operations"),
    ("node.backup", frozenset({"admin"}), "备份节点", "back up the node"),
    ("node.restore", frozenset({"admin"}), "恢复节点", "restore the node"),
    ("peer.manage", frozenset({"admin"}), "管理对等节点", "manage peers"),
    ("audit.read", frozenset({"auditor", "admin"}), "查看审计记录", "read the audit trail"),
    ("log.read_private", frozenset({"supervisor", "auditor", "admin"}), "查看非公开数据", "read private data"),
)


class Permissions:
    """Which roles may do each action; core actions are there from the start."""

    def __init__(self) -> None:
        self._rules: dict[str, ActionRule] = {}
        for action, roles, zh, en in CORE_ACTIONS:
            self.register(action, roles, zh, en)

    def register(self, action: str, roles: frozenset[str], description_zh: str, description_en: str) -> ActionRule:
        """Idempotent for the same roles; a clash means two packages disagree."""
        if not isinstance(action, str) or not ACTION_RE.fullmatch(action):
            raise ValueError(f"action names are 1–64 of A-Z a-z 0-9 _ . : -, not {action!r}")
        if not roles:
            raise ValueError(f"action {action!r} needs at least one role")
        rule = ActionRule(action, _effective(roles), description_zh, description_en)
        existing = self._rules.get(action)
        if existing is not None:
            if existing.roles != rule.roles:
                raise DuplicateAction(action)
            return existing
        self._rules[action] = rule
        return rule

    def rule(self, action: str) -> ActionRule:
        try:
            return self._rules[action]
        except KeyError:
            raise UnknownAction(action) from None

    def allows(self, role: str, action: str) -> bool:
        return role in self.rule(action).roles

    def rules(self) -> list[ActionRule]:
        return sorted(self._rules.values(), key=lambda rule: rule.action)


# -- validation ----------------------------------------------------------------
def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InvalidName()
    return name


def check_password(password: str, name: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise WeakPassword(f"密码至少需要 {MIN_PASSWORD} 个字符", f"passwords need at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"密码不能超过 {MAX_PASSWORD} 个字符", f"passwords are at most {MAX_PASSWORD} characters")
    if password.casefold() == name.casefold():
        raise WeakPassword("密码不能与用户名相同", "the password must not be the user name")
    return password


def check_display_name(display_name: str) -> str:
    text = display_name.strip() if isinstance(display_name, str) else ""
    if not 1 <= len(text) <= MAX_DISPLAY_NAME or any(unicodedata.category(c) == "Cc" for c in text):
        raise UserError(
            f"显示名须为 1–{MAX_DISPLAY_NAME} 个字符，不含控制字符",
            f"display names are 1–{MAX_DISPLAY_NAME} characters without control characters",
        )
    return text


def _time_text(seconds: float) -> str:
    return format_time(datetime.fromtimestamp(seconds, UTC))


# -- sessions ------------------------------------------------------------------
def check_session(conn: sqlite3.Connection, signed: SignedIn) -> None:
    """Raise an `AuthError` unless the user's row is still what it was at
    sign-in. Any connection to the node's database will do: the HTTP API asks
    on every use of a token, through its readers, without the node's lock."""
    row = conn.execute("SELECT disabled, session_stamp FROM users WHERE name = ?", (signed.user.name,)).fetchone()
    if row is None or row[0]:
        raise AccountDisabled()
    if row[1] != signed.stamp:
        raise SessionEnded()


SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    signed: SignedIn
    expires: float


@dataclass
class Sessions:
    """The node's one store of sign-ins, whichever door made them (the HTTP
    API's bearer tokens, the embedded counter's): kept in memory, so a
    restart signs everyone out. A token names a sign-in; whether that still
    holds is asked of the users table on every use (`check_session`)."""

    tokens: dict[str, Session] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, signed: SignedIn) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = Session(signed, time.time() + SESSION_SECONDS)
        return token

    def signed_in(self, token: str) -> SignedIn | None:
        with self.lock:
            session = self.tokens.get(token)
            if session is None or session.expires < time.time():
                self.tokens.pop(token, None)
                return None
            return session.signed

    def close(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)


# -- users -------------------------------------------------------------------
class Users:
    def __init__(
        self,
        db: sqlite_utils.Database,
        permissions: Permissions,
        audit: AuditTrail | None = None,
        params: Argon2Params | None = None,
        now: Callable[[], float] = time.time,
        lockout: LockoutPolicy | None = None,
    ) -> None:
        self.conn: sqlite3.Connection = db.conn
        self.permissions = permissions
        self.audit = audit
        self.params = params or Argon2Params()
        self.lockout = lockout or LockoutPolicy()
        self._hasher = self.params.hasher()
        self._now = now
        self.sessions = Sessions()  # every door's sign-ins on this node
        with atomic(self.conn):
            for statement in SCHEMA:
                self.conn.execute(statement)
            columns = {row[1] for row in self.conn.execute("PRAGMA table_info(users)")}
            if "session_stamp" not in columns:  # a home made before sessions were stamped
                self.conn.execute("ALTER TABLE users ADD COLUMN session_stamp INTEGER NOT NULL DEFAULT 0")
            self.conn.execute(END_SESSIONS)

    # -- helpers --------------------------------------------------------------
    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against for unknown names, so they cost what a real check costs."""
        return self._hasher.hash("not a password: timing padding")

    def _matches(self, hashed: str, password: str) -> bool:
        if not isinstance(password, str):  # e.g. a number in a JSON login body
            return False
        try:
            with _HASHING:
                return self._hasher.verify(hashed, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def _record(self, user: Any, action: str, outcome: str, target: str = "", detail: dict | None = None) -> None:
        if self.audit is not None:
            moment = datetime.fromtimestamp(self._now(), UTC)
            self.audit.record(user, action, outcome, target=target, detail=detail, now=moment)

    def _load(self, name: str) -> _Stored | None:
        row = self.conn.execute(
            "SELECT name, display_name, role, password_hash, created, disabled, failed_attempts, locked_until, "
            "session_stamp FROM users WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        name, display, role, hashed, created, disabled, failures, locked_until, stamp = row
        return _Stored(name, display, Role(role), hashed, created, bool(disabled), failures, locked_until, stamp)

    def _load_existing(self, name: str) -> _Stored:
        stored = self._load(name)
        if stored is None:
            raise NoSuchUser(name)
        return stored

    # -- signing in -------------------------------------------------------------
    def authenticate(self, name: str, password: str, lock: AbstractContextManager = nullcontext()) -> User:
        """The signed-in user, or an `AuthError`; every attempt is audited."""
        return self.sign_in(name, password, lock).user

    def sign_in(self, name: str, password: str, lock: AbstractContextManager = nullcontext()) -> SignedIn:
        """`authenticate`, with the stamp a session keeps. `lock` guards this
        object's connection (the node's lock, which appends hold too) and is
        held for the database steps only: Argon2 runs outside it, so a flood
        of wrong passwords does not stall the node's writes."""
        with lock:
            stored = self._charge(name)
        if stored is None:
            self._matches(self._dummy_hash, password)  # same cost as a real check
            with lock:
                self._record(_Unauthenticated(), "user.login", "failed", detail={"reason": "unknown-user"})
            raise UnknownUser()
        if not self._matches(stored.password_hash, password):
            with lock:
                self._count_failure(stored.name)
            raise BadPassword()
        new_hash = self._rehashed(stored.password_hash, password)
        with lock:
            return self._signed_in(stored, new_hash)

    def _charge(self, name: object) -> _Stored | None:
        """Count the attempt as a failure before its password is checked, so
        attempts checked at the same time (outside the lock, or in other
        processes) cannot get past the lock-out's run; a success clears it."""
        if not isinstance(name, str):
            return None
        now = self._now()
        with atomic(self.conn):
            stored = self._load(name)
            if stored is None:
                return None
            refusal = None
            if stored.locked_until > now:
                self._record(_Unauthenticated(), "user.login", "denied", target=name, detail={"reason": "locked"})
                refusal = AccountLocked(stored.locked_until, now)
            elif stored.failed_attempts >= self.lockout.max_failures:  # a whole run is being checked already
                until = self._lock_out(name, now)
                self._record(
                    _Unauthenticated(),
                    "user.login",
                    "denied",
                    target=name,
                    detail={"reason": "attempts-in-flight", "locked_until": _time_text(until)},
                )
                refusal = AccountLocked(until, now)
            else:
                self.conn.execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE name = ?", (name,))
        if refusal is not None:
            raise refusal
        return stored

    def _lock_out(self, name: str, now: float) -> float:
        until = now + self.lockout.lock_minutes * 60
        self.conn.execute("UPDATE users SET failed_attempts = 0, locked_until = ? WHERE name = ?", (until, name))
        return until

    def _count_failure(self, name: str) -> None:
        """A wrong password, already counted by `_charge`: the run's last one locks the account."""
        with atomic(self.conn):
            row = self.conn.execute("SELECT failed_attempts FROM users WHERE name = ?", (name,)).fetchone()
            failures = row[0] if row else 0
            detail: dict[str, Any] = {"reason": "bad-password", "failures": failures}
            if failures >= self.lockout.max_failures:
                detail["locked_until"] = _time_text(self._lock_out(name, self._now()))
            self._record(_Unauthenticated(), "user.login", "failed", target=name, detail=detail)

    def _rehashed(self, hashed: str, password: str) -> str:
        """The hash to keep: made again if the cost parameters changed."""
        if not self._hasher.check_needs_rehash(hashed):
            return hashed
        with _HASHING:
            return self._hasher.hash(password)

    def _signed_in(self, checked: _Stored, new_hash: str) -> SignedIn:
        """Clear the failure count and keep the rehash, on the row as it is now:
        it may have changed while Argon2 ran."""
        with atomic(self.conn):
            stored = self._load(checked.name)
            if stored is None or stored.password_hash != checked.password_hash:  # a new password meanwhile
                self._count_failure(checked.name)
                refusal: AuthError = BadPassword()
            elif stored.disabled:  # checked after the password, so guessers learn nothing
                self.conn.execute(
                    "UPDATE users SET failed_attempts = MAX(failed_attempts - 1, 0) WHERE name = ?", (stored.name,)
                )  # the password was right: take back the charge
                self._record(
                    _Unauthenticated(), "user.login", "denied", target=stored.name, detail={"reason": "disabled"}
                )
                refusal = AccountDisabled()
            else:
                self.conn.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = 0, password_hash = ? WHERE name = ?",
                    (new_hash, stored.name),
                )
                self._record(
                    stored.user,
                    "user.login",
                    "ok",
                    target=stored.name,
                    detail={"rehashed": new_hash != stored.password_hash},
                )
                stamp = self.conn.execute("SELECT session_stamp FROM users WHERE name = ?", (stored.name,)).fetchone()
                return SignedIn(stored.user, stamp[0])
        raise refusal

    # -- permission checks --------------------------------------------------------
    def require(self, user: User, action: str) -> None:
        """Raise `PermissionDenied` (and audit the refusal) unless the role may."""
        if self.permissions.allows(user.role, action):
            return
        self._record(user, action, "denied")
        raise PermissionDenied(action, str(user.role))

    def require_current(self, user: User) -> None:
        """A signed-in session outlives nothing: a user disabled (or whose role
        changed) since signing in may no longer act."""
        row = self.conn.execute("SELECT role, disabled FROM users WHERE name = ?", (user.name,)).fetchone()
        if row is None or row[1]:
            raise AccountDisabled()
        if row[0] != str(user.role):
            raise PermissionDenied("(role changed)", str(user.role))

    def _require_manager(self, actor: User | None) -> None:
        if actor is None:
            self._record(_Unauthenticated(), "user.manage", "denied")
            raise BootstrapClosed()
        self.require(actor, "user.manage")

    # -- managing users -------------------------------------------------------------
    def add_user(self, actor: User | None, name: str, role: str, password: str, display_name: str = "") -> User:
        """Add a user. `actor=None` only bootstraps the first user, an admin."""
        if actor is not None or self._has_users():
            self._require_manager(actor)
        role = parse_role(role)
        check_name(name)
        check_password(password, name)
        display = check_display_name(display_name or name)
        if actor is None and role is not Role.ADMIN:
            raise UserError("第一个用户必须是管理员", "the first user must be an admin")
        hashed = self._hasher.hash(password)  # slow: before taking the write lock
        with atomic(self.conn):
            if not self._insert(name, display, role, hashed, bootstrap=actor is None):
                if actor is None:
                    raise BootstrapClosed()  # another process bootstrapped first
                raise UserExists(name)
            self._record(actor, "user.add", "ok", target=name, detail={"role": role.value})
        return User(name, display, role)

    def _has_users(self) -> bool:
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1

    def _insert(self, name: str, display: str, role: Role, hashed: str, bootstrap: bool) -> bool:
        values = (name, display, role.value, hashed, format_time(datetime.fromtimestamp(self._now(), UTC)))
        columns = "INSERT INTO users (name, display_name, role, password_hash, created) "
        if bootstrap:  # one statement, so two bootstraps cannot both win
            sql = columns + "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)"
        else:
            sql = columns + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"
        return self.conn.execute(sql, values).rowcount == 1

    def set_password(self, actor: User, name: str, password: str) -> None:
        """Set a new password; this also lifts a lock-out. People may change their
        own (they signed in with the old one to get here); others' needs user.manage."""
        if actor is None or actor.name != name:
            self._require_manager(actor)
        check_password(password, name)
        hashed = self._hasher.hash(password)
        with atomic(self.conn):
            self._load_existing(name)
            self.conn.execute(
                "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = 0 WHERE name = ?",
                (hashed, name),
            )
            self._record(actor, "user.password", "ok", target=name)

    def disable_user(self, actor: User, name: str) -> None:
        """Stop a user signing in; the last enabled admin is kept."""
        self._require_manager(actor)
        with atomic(self.conn):
            stored = self._load_existing(name)
            if stored.role is Role.ADMIN and not stored.disabled and self._enabled_admins() == 1:
                raise LastAdmin()
            self.conn.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
            self._record(actor, "user.disable", "ok", target=name)

    def enable_user(self, actor: User, name: str) -> None:
        """Let a disabled user sign in again, with a clean failure count."""
        self._require_manager(actor)
        with atomic(self.conn):
            self._load_existing(name)
            self.conn.execute(
                "UPDATE users SET disabled = 0, failed_attempts = 0, locked_until = 0 WHERE name = ?", (name,)
            )
            self._record(actor, "user.enable", "ok", target=name)

    def _enabled_admins(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0").fetchone()[0]

    def list_users(self, actor: User) -> list[UserInfo]:
        self._require_manager(actor)
        now = self._now()
        rows = self.conn.execute(
            "SELECT name, display_name, role, created, disabled, locked_until FROM users ORDER BY name"
        )
        return [
            UserInfo(name, display, Role(role), created, bool(disabled), locked_until > now)
            for name, display, role, created, disabled, locked_until in rows
        ]


# -- password input --------------------------------------------------------------
def password_from_env_or_prompt(env_var: str = "CITYCHAIN_PASSWORD", prompt: str = "Password: ") -> str:
    """Scripts set the variable; people at a terminal are asked; nothing waits
    on a pipe or /dev/null for input that will never come."""
    value = os.environ.get(env_var)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            value = getpass.getpass(prompt)
        except EOFError:
            value = ""
        if value:
            return value
    raise PasswordUnavailable(
        f"需要密码：请设置环境变量 {env_var}，或在终端中运行以输入密码",
        f"a password is needed: set {env_var} or run at a terminal to be asked",
    )

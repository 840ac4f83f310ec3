"""Node-local users and roles; the one place permissions are decided.

The CLI, the GUI and the HTTP API all call `Users.require`, so a clerk cannot
do a supervisor's work by choosing another door. Passwords are hashed with
Argon2id (memory-hard); a run of wrong passwords locks the account for a while.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import argon2
import sqlite_utils

ROLES = ("clerk", "supervisor", "auditor", "admin")
NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,32}\Z")
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0
);
"""


class UserError(ValueError):
    """Bilingual: `message_zh`, `message_en`; str() gives both."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


class AuthError(UserError):
    pass


class BadCredentials(AuthError):
    def __init__(self) -> None:
        super().__init__("用户名或密码错误", "wrong user name or password")


class AccountLocked(AuthError):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"账户已锁定，请 {minutes} 分钟后再试", f"account locked; try again in {minutes} min")


class AccountDisabled(AuthError):
    def __init__(self) -> None:
        super().__init__("账户已停用", "this account is disabled")


class PermissionDenied(UserError):
    def __init__(self, action: str, role: str) -> None:
        super().__init__(f"权限不足：{role} 角色不能执行 {action}", f"permission denied: role {role} may not {action}")
        self.action = action
        self.role = role


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    role: str


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 2
    memory_cost: int = 19 * 1024  # KiB (OWASP's Argon2id minimum)
    parallelism: int = 1

    @classmethod
    def fast(cls) -> "Argon2Params":
        """Tests only: still Argon2id, with a small memory cost."""
        return cls(time_cost=1, memory_cost=1024, parallelism=1)

    def hasher(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(self.time_cost, self.memory_cost, self.parallelism, type=argon2.Type.ID)


@dataclass
class Permissions:
    """Which roles may do each action; domain packages add theirs."""

    table: dict[str, tuple[frozenset[str], str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for action, roles, zh, en in CORE_ACTIONS:
            self.register(action, roles, zh, en)

    def register(self, action: str, roles: frozenset[str], description_zh: str, description_en: str) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)} for {action}")
        existing = self.table.get(action)
        if existing is not None and existing[0] != frozenset(roles):
            raise ValueError(f"action {action!r} is registered twice with different roles")
        self.table[action] = (frozenset(roles), description_zh, description_en)

    def allows(self, role: str, action: str) -> bool:
        entry = self.table.get(action)
        return entry is not None and role in entry[0]


CORE_ACTIONS = (
    ("user.manage", frozenset({"admin"}), "管理用户", "manage users"),
    ("trust.write", frozenset({"admin"}), "信任根操作", "root authority operations"),
    ("node.backup", frozenset({"admin"}), "备份节点", "back up the node"),
    ("node.restore", frozenset({"admin"}), "恢复节点", "restore the node"),
    ("peer.manage", frozenset({"admin"}), "管理对等节点", "manage peers"),
    ("audit.read", frozenset({"auditor", "admin"}), "查看审计记录", "read the audit trail"),
    ("log.read_private", frozenset({"supervisor", "auditor", "admin"}), "查看私有数据", "read private data"),
)


class Users:
    def __init__(
        self,
        db: sqlite_utils.Database,
        permissions: Permissions,
        audit=None,
        params: Argon2Params | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.conn = db.conn
        self.conn.executescript(SCHEMA)
        self.permissions = permissions
        self.audit = audit
        self.params = params or Argon2Params()
        self._hasher = self.params.hasher()
        self._now = now
        self._dummy_hash = self._hasher.hash("dummy password for timing")

    def _row(self, name: str):
        return self.conn.execute(
            "SELECT name, display_name, role, password_hash, disabled, failures, locked_until FROM users WHERE name=?",
            (name,),
        ).fetchone()

    def authenticate(self, name: str, password: str) -> User:
        row = self._row(name)
        if row is None:
            try:
                self._hasher.verify(self._dummy_hash, password)  # same cost as a real check
            except argon2.exceptions.VerificationError:
                pass
            raise BadCredentials()
        _, display, role, hashed, disabled, failures, locked_until = row
        now = self._now()
        if disabled:
            raise AccountDisabled()
        if locked_until > now:
            raise AccountLocked(max(1, round((locked_until - now) / 60)))
        try:
            self._hasher.verify(hashed, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            failures += 1
            lock = now + LOCK_SECONDS if failures >= MAX_FAILURES else 0
            self.conn.execute(
                "UPDATE users SET failures=?, locked_until=? WHERE name=?",
                (0 if lock else failures, lock, name),
            )
            raise BadCredentials() from None
        updates = {"failures": 0, "locked_until": 0}
        if self._hasher.check_needs_rehash(hashed):
            updates["password_hash"] = self._hasher.hash(password)
        sets = ", ".join(f"{k}=?" for k in updates)
        self.conn.execute(f"UPDATE users SET {sets} WHERE name=?", (*updates.values(), name))
        return User(name, display, role)

    def require(self, user: User, action: str) -> None:
        if not self.permissions.allows(user.role, action):
            if self.audit is not None:
                self.audit.record(user, action, "denied")
            raise PermissionDenied(action, user.role)

    def _check_new(self, name: str, role: str, password: str) -> None:
        if not NAME_RE.match(name):
            raise UserError("用户名只能包含字母、数字和 ._-（1–32 个字符）", "user names are 1–32 letters, digits or ._-")
        if role not in ROLES:
            raise UserError(f"未知角色 {role}", f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"密码至少需要 {MIN_PASSWORD} 个字符", f"passwords need at least {MIN_PASSWORD} characters")

    def add_user(self, actor: User | None, name: str, role: str, password: str, display_name: str = "") -> User:
        """Add a user; with no actor, only the very first user, an admin."""
        if actor is None:
            count = self.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
            if count or role != "admin":
                raise PermissionDenied("user.manage", "(nobody)")
        else:
            self.require(actor, "user.manage")
        self._check_new(name, role, password)
        if self._row(name) is not None:
            raise UserError(f"用户 {name} 已存在", f"user {name} already exists")
        self.conn.execute(
            "INSERT INTO users (name, display_name, role, password_hash, created) VALUES (?, ?, ?, ?, ?)",
            (name, display_name or name, role, self._hasher.hash(password), self._now()),
        )
        if self.audit is not None:
            self.audit.record(actor, "user.add", "ok", target=name, detail={"role": role})
        return User(name, display_name or name, role)

    def set_password(self, actor: User, name: str, password: str) -> None:
        if actor.name != name:
            self.require(actor, "user.manage")
        self._check_new(name, "clerk", password)
        self.conn.execute("UPDATE users SET password_hash=?, failures=0, locked_until=0 WHERE name=?",
                          (self._hasher.hash(password), name))
        if self.audit is not None:
            self.audit.record(actor, "user.password", "ok", target=name)

    def disable_user(self, actor: User, name: str) -> None:
        self.require(actor, "user.manage")
        self.conn.execute("UPDATE users SET disabled=1 WHERE name=?", (name,))
        if self.audit is not None:
            self.audit.record(actor, "user.disable", "ok", target=name)

    def list_users(self, actor: User) -> list[User]:
        self.require(actor, "user.manage")
        rows = self.conn.execute("SELECT name, display_name, role FROM users ORDER BY name")
        return [User(*row) for row in rows]


def password_from_env_or_prompt(env_var: str = "CITYCHAIN_PASSWORD", prompt: str = "Password: ") -> str:
    """Scripts set the variable; people at a terminal are asked; nothing hangs."""
    value = os.environ.get(env_var)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if value:
            return value
    raise UserError(f"需要密码：请设置 {env_var} 或在终端中运行", f"a password is needed: set {env_var} or run at a terminal")

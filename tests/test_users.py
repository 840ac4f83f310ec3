"""Users, roles and sign-in on a real SQLite file (cheap Argon2id, fake clock)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from citychain.accounts.audit import AuditTrail
from citychain.accounts.users import (
    ROLES,
    AccountDisabled,
    AccountLocked,
    Argon2Params,
    AuthError,
    BadCredentials,
    BadPassword,
    BootstrapClosed,
    DuplicateAction,
    InvalidName,
    LastAdmin,
    LockoutPolicy,
    NoSuchUser,
    PasswordUnavailable,
    PermissionDenied,
    Permissions,
    Role,
    UnknownAction,
    UnknownRole,
    UnknownUser,
    User,
    UserError,
    UserExists,
    Users,
    WeakPassword,
    password_from_env_or_prompt,
)

ROOT = Path(__file__).resolve().parent.parent
FAST = Argon2Params.fast()
PASSWORDS = {role: f"{role}-password-2026" for role in ROLES}
START = 1_772_352_000.0  # 2026-03-01T08:00:00Z


class Clock:
    """Injected time: tests move it by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path) -> sqlite_utils.Database:
    database = sqlite_utils.Database(tmp_path / "node.sqlite")
    database.enable_wal()
    return database


def make_users(db, clock, params: Argon2Params = FAST) -> Users:
    permissions = Permissions()
    permissions.register("certificate.issue", frozenset({"clerk"}), "签发证照", "issue certificates")
    permissions.register("certificate.revoke", frozenset({"supervisor"}), "吊销证照", "revoke certificates")
    return Users(db, permissions, audit=AuditTrail(db), params=params, now=clock)


@pytest.fixture
def users(db, clock) -> Users:
    return make_users(db, clock)


@pytest.fixture
def staff(users) -> dict[str, User]:
    """One signed-in user per role; the admin bootstrapped the node."""
    users.add_user(None, "admin", "admin", PASSWORDS["admin"], display_name="管理员")
    admin = users.authenticate("admin", PASSWORDS["admin"])
    for role in ("clerk", "supervisor", "auditor"):
        users.add_user(admin, role, role, PASSWORDS[role])
    return {role: users.authenticate(role, PASSWORDS[role]) for role in ROLES}


def stored_hash(db, name: str) -> str:
    return db.conn.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()[0]


def audit_rows(users: Users) -> list[tuple[str, str, str, str]]:
    return [(r["user"], r["action"], r["outcome"], r["target"]) for r in reversed(users.audit.query(limit=1000))]


# -- hashing -------------------------------------------------------------------
def test_passwords_are_stored_as_argon2id_never_in_clear(db, users, staff):
    hashed = stored_hash(db, "clerk")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PASSWORDS["clerk"] not in hashed
    assert stored_hash(db, "supervisor") != hashed


def test_the_default_cost_is_owasps_argon2id_setting():
    params = Argon2Params()
    assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 19 * 1024, 1)
    assert params.hasher().hash("correct horse battery").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with pytest.raises(ValueError):
        Argon2Params(memory_cost=4)


def test_a_login_rehashes_when_the_cost_parameters_changed(db, clock, users, staff):
    stronger = make_users(db, clock, Argon2Params(time_cost=2, memory_cost=2048, parallelism=1))
    assert stronger.authenticate("clerk", PASSWORDS["clerk"]).role is Role.CLERK
    assert stored_hash(db, "clerk").startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert stronger.authenticate("clerk", PASSWORDS["clerk"]).name == "clerk"


# -- signing in ----------------------------------------------------------------
def test_the_right_password_signs_in_and_a_wrong_one_is_rejected(users, staff):
    assert users.authenticate("supervisor", PASSWORDS["supervisor"]) == User(
        "supervisor", "supervisor", Role.SUPERVISOR
    )
    with pytest.raises(BadPassword):
        users.authenticate("supervisor", PASSWORDS["clerk"])


def test_unknown_user_and_wrong_password_look_the_same(users, staff):
    with pytest.raises(AuthError) as unknown:
        users.authenticate("nobody", PASSWORDS["clerk"])
    with pytest.raises(AuthError) as wrong:
        users.authenticate("clerk", "not-the-password")
    assert isinstance(unknown.value, UnknownUser) and isinstance(wrong.value, BadPassword)
    assert isinstance(unknown.value, BadCredentials) and isinstance(wrong.value, BadCredentials)
    assert str(unknown.value) == str(wrong.value) == "用户名或密码错误 / wrong user name or password"
    assert (unknown.value.message_zh, unknown.value.message_en) == (wrong.value.message_zh, wrong.value.message_en)
    assert "_dummy_hash" in users.__dict__  # the unknown name still paid for an Argon2 verify


def test_failed_sign_ins_are_audited_without_the_typed_name(users, staff):
    for name in ("nobody", "clerk"):
        with pytest.raises(BadCredentials):
            users.authenticate(name, "typed-by-mistake")
    rows = users.audit.query(action="user.login", outcome="failed")
    assert [(r["user"], r["target"], r["detail"]["reason"]) for r in rows] == [
        ("(unauthenticated)", "clerk", "bad-password"),
        ("(unauthenticated)", "", "unknown-user"),
    ]
    assert "nobody" not in str(rows) and "typed-by-mistake" not in str(rows)


def test_consecutive_failures_lock_the_account_until_time_passes(users, staff, clock):
    for _ in range(4):
        with pytest.raises(BadPassword):
            users.authenticate("clerk", "wrong-password")
    users.authenticate("clerk", PASSWORDS["clerk"])  # success resets the run
    for _ in range(5):
        with pytest.raises(BadPassword):
            users.authenticate("clerk", "wrong-password")
    with pytest.raises(AccountLocked) as locked:
        users.authenticate("clerk", PASSWORDS["clerk"])  # even the right password
    assert "15" in locked.value.message_en and "锁定" in locked.value.message_zh
    clock.now += 14 * 60
    with pytest.raises(AccountLocked):
        users.authenticate("clerk", PASSWORDS["clerk"])
    clock.now += 61
    assert users.authenticate("clerk", PASSWORDS["clerk"]).name == "clerk"


def test_the_lock_out_policy_is_configurable(db, clock):
    users = Users(db, Permissions(), params=FAST, now=clock, lockout=LockoutPolicy(max_failures=2, lock_minutes=1))
    users.add_user(None, "admin", "admin", PASSWORDS["admin"])
    for _ in range(2):
        with pytest.raises(BadPassword):
            users.authenticate("admin", "wrong-password")
    with pytest.raises(AccountLocked):
        users.authenticate("admin", PASSWORDS["admin"])
    clock.now += 60
    users.authenticate("admin", PASSWORDS["admin"])


def test_a_disabled_user_cannot_sign_in_until_enabled(users, staff):
    users.disable_user(staff["admin"], "clerk")
    with pytest.raises(AccountDisabled):
        users.authenticate("clerk", PASSWORDS["clerk"])
    with pytest.raises(BadPassword):  # a guesser does not learn the account is disabled
        users.authenticate("clerk", "wrong-password")
    users.enable_user(staff["admin"], "clerk")
    assert users.authenticate("clerk", PASSWORDS["clerk"]).name == "clerk"


# -- bootstrap and user management --------------------------------------------------
def test_the_first_admin_is_bootstrapped_only_once(users):
    with pytest.raises(UserError, match="first user must be an admin"):
        users.add_user(None, "alice", "clerk", PASSWORDS["clerk"])
    users.add_user(None, "root-admin", "admin", PASSWORDS["admin"])
    with pytest.raises(BootstrapClosed) as closed:
        users.add_user(None, "second-admin", "admin", PASSWORDS["admin"])
    assert isinstance(closed.value, PermissionDenied)
    assert [u.name for u in users.list_users(users.authenticate("root-admin", PASSWORDS["admin"]))] == ["root-admin"]
    assert ("(node)", "user.add", "ok", "root-admin") in audit_rows(users)
    assert ("(unauthenticated)", "user.manage", "denied", "") in audit_rows(users)


def test_a_clerk_cannot_manage_users_and_the_attempt_is_audited(users, staff):
    with pytest.raises(PermissionDenied) as denied:
        users.add_user(staff["clerk"], "mallory", "admin", "mallory-password-1")
    assert denied.value.action == "user.manage" and denied.value.role == "clerk"
    for call in (
        lambda: users.list_users(staff["clerk"]),
        lambda: users.set_password(staff["supervisor"], "admin", "new-password-2026"),
        lambda: users.disable_user(staff["auditor"], "admin"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert ("clerk", "user.manage", "denied", "") in audit_rows(users)
    with pytest.raises(BadCredentials):
        users.authenticate("mallory", "mallory-password-1")


def test_admin_changes_are_audited(users, staff):
    admin = staff["admin"]
    users.set_password(admin, "clerk", "a-new-password-2026")
    users.disable_user(admin, "auditor")
    users.enable_user(admin, "auditor")
    rows = [row for row in audit_rows(users) if row[1] not in ("user.login",)]
    assert rows == [
        ("(node)", "user.add", "ok", "admin"),
        ("admin", "user.add", "ok", "clerk"),
        ("admin", "user.add", "ok", "supervisor"),
        ("admin", "user.add", "ok", "auditor"),
        ("admin", "user.password", "ok", "clerk"),
        ("admin", "user.disable", "ok", "auditor"),
        ("admin", "user.enable", "ok", "auditor"),
    ]
    assert users.audit.query(action="user.add", user="admin")[0]["detail"] == {"role": "auditor"}
    assert users.audit.verify() == []


def test_set_password_replaces_the_old_one_and_lifts_a_lock(users, staff):
    for _ in range(5):
        with pytest.raises(BadPassword):
            users.authenticate("clerk", "wrong-password")
    users.set_password(staff["admin"], "clerk", "a-new-password-2026")
    assert users.authenticate("clerk", "a-new-password-2026").name == "clerk"
    with pytest.raises(BadPassword):
        users.authenticate("clerk", PASSWORDS["clerk"])
    with pytest.raises(NoSuchUser):
        users.set_password(staff["admin"], "ghost", "a-new-password-2026")


def test_names_passwords_and_roles_are_validated(users, staff):
    admin = staff["admin"]
    for name in ("", "x" * 33, "has space", "名字", "a/b", "new\nline"):
        with pytest.raises(InvalidName):
            users.add_user(admin, name, "clerk", "long-enough-password")
    users.add_user(admin, "A.b_c-1", "clerk", "long-enough-password")
    users.add_user(admin, "x" * 32, "clerk", "long-enough-password")
    with pytest.raises(WeakPassword, match="at least 10"):
        users.add_user(admin, "bob", "clerk", "short-9ch")
    with pytest.raises(WeakPassword):
        users.add_user(admin, "bobby.tables", "clerk", "Bobby.Tables")
    with pytest.raises(UnknownRole):
        users.add_user(admin, "bob", "superuser", "long-enough-password")
    with pytest.raises(UserExists):
        users.add_user(admin, "clerk", "clerk", "long-enough-password")
    with pytest.raises(UserError):
        users.add_user(admin, "bob", "clerk", "long-enough-password", display_name="bad\x00name")


def test_the_last_enabled_admin_cannot_be_disabled(users, staff):
    with pytest.raises(LastAdmin):
        users.disable_user(staff["admin"], "admin")
    users.add_user(staff["admin"], "admin2", "admin", "second-admin-password")
    users.disable_user(staff["admin"], "admin")
    with pytest.raises(AccountDisabled):
        users.authenticate("admin", PASSWORDS["admin"])


def test_list_users_shows_roles_and_state_but_no_hashes(users, staff):
    users.disable_user(staff["admin"], "auditor")
    listed = {u.name: u for u in users.list_users(staff["admin"])}
    assert set(listed) == set(ROLES)
    assert listed["auditor"].disabled and not listed["clerk"].disabled
    assert listed["admin"].display_name == "管理员" and listed["admin"].created == "2026-03-01T08:00:00.000Z"
    assert not hasattr(listed["clerk"], "password_hash")


# -- permissions -----------------------------------------------------------------
def test_supervisors_may_do_clerk_work_but_not_the_reverse(users, staff):
    users.require(staff["clerk"], "certificate.issue")
    users.require(staff["supervisor"], "certificate.issue")
    users.require(staff["supervisor"], "certificate.revoke")
    users.require(staff["supervisor"], "log.read_private")
    with pytest.raises(PermissionDenied) as denied:
        users.require(staff["clerk"], "certificate.revoke")
    assert str(denied.value) == (
        "权限不足：角色 clerk 不能执行 certificate.revoke / permission denied: role clerk may not certificate.revoke"
    )
    assert ("clerk", "certificate.revoke", "denied", "") in audit_rows(users)


def test_admin_runs_the_node_but_does_no_business(users, staff):
    for action in ("user.manage", "trust.write", "node.backup", "node.restore", "peer.manage", "audit.read"):
        users.require(staff["admin"], action)
    for action in ("certificate.issue", "certificate.revoke"):
        with pytest.raises(PermissionDenied):
            users.require(staff["admin"], action)


def test_an_auditor_reads_the_audit_trail_but_writes_nothing(users, staff):
    users.require(staff["auditor"], "audit.read")
    users.require(staff["auditor"], "log.read_private")
    for action in ("certificate.issue", "certificate.revoke", "user.manage", "trust.write", "node.backup"):
        with pytest.raises(PermissionDenied):
            users.require(staff["auditor"], action)
    with pytest.raises(PermissionDenied):
        users.require(staff["clerk"], "audit.read")


def test_core_actions_are_registered_with_their_roles():
    table = {rule.action: {str(r) for r in rule.roles} for rule in Permissions().rules()}
    assert table == {
        "user.manage": {"admin"},
        "trust.write": {"admin"},
        "node.backup": {"admin"},
        "node.restore": {"admin"},
        "peer.manage": {"admin"},
        "audit.read": {"auditor", "admin"},
        "log.read_private": {"supervisor", "auditor", "admin"},
    }


def test_registering_an_action_twice_with_other_roles_is_an_error():
    permissions = Permissions()
    permissions.register("charity.approve", frozenset({"supervisor"}), "审批", "approve")
    permissions.register("charity.approve", frozenset({"supervisor"}), "审批", "approve")  # same: fine
    with pytest.raises(DuplicateAction) as clash:
        permissions.register("charity.approve", frozenset({"clerk"}), "审批", "approve")
    assert "charity.approve" in clash.value.message_en and clash.value.message_zh
    with pytest.raises(DuplicateAction):
        permissions.register("user.manage", frozenset({"supervisor"}), "管理用户", "manage users")
    with pytest.raises(UnknownRole):
        permissions.register("charity.donate", frozenset({"root"}), "捐赠", "donate")
    with pytest.raises(ValueError):
        permissions.register("charity.nobody", frozenset(), "无人", "nobody")
    with pytest.raises(UnknownAction):
        permissions.allows("clerk", "charity.unregistered")


def test_every_error_speaks_both_languages(users, staff):
    errors = [
        UnknownUser(),
        BadPassword(),
        AccountLocked(START + 600, START),
        AccountDisabled(),
        PermissionDenied("certificate.revoke", "clerk"),
        BootstrapClosed(),
        InvalidName(),
        LastAdmin(),
        UserExists("x"),
        NoSuchUser("x"),
        UnknownRole("x"),
        DuplicateAction("x"),
        UnknownAction("x"),
    ]
    for error in errors:
        assert error.message_zh and error.message_en
        assert str(error) == f"{error.message_zh} / {error.message_en}"
        assert error.message_zh != error.message_en


# -- password input ----------------------------------------------------------------
def test_the_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CITYCHAIN_TEST_PASSWORD", "from-the-environment")
    assert password_from_env_or_prompt("CITYCHAIN_TEST_PASSWORD") == "from-the-environment"


def test_no_password_and_no_terminal_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("CITYCHAIN_TEST_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("typed-into-a-pipe\n"))
    with pytest.raises(PasswordUnavailable) as missing:
        password_from_env_or_prompt("CITYCHAIN_TEST_PASSWORD")
    assert (
        "CITYCHAIN_TEST_PASSWORD" in missing.value.message_en and "CITYCHAIN_TEST_PASSWORD" in missing.value.message_zh
    )


def test_a_process_without_a_terminal_fails_at_once_instead_of_waiting():
    env = {k: v for k, v in os.environ.items() if k != "CITYCHAIN_PASSWORD"}
    done = subprocess.run(
        [sys.executable, "-c", "from citychain.accounts.users import password_from_env_or_prompt as p; p()"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "PasswordUnavailable" in done.stderr and "CITYCHAIN_PASSWORD" in done.stderr


def test_a_password_that_is_not_text_is_just_wrong(users, staff):
    with pytest.raises(BadPassword):
        users.authenticate("clerk", 12345678901)
    with pytest.raises(UnknownUser):
        users.authenticate(None, None)

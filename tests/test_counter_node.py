"""The node panel and the status bar: the own log and its witnesses, a peer
that cannot be reached (said so, after "sync now", without freezing), and a
forked ledger that puts a red alert across every screen."""

from __future__ import annotations

import pytest
from counter_support import (
    DEAD_PEER,
    backend,
    build_city,
    close_window,
    open_window,
    sign_in,
    style_app,
)

from democity import spec


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return build_city(tmp_path_factory.mktemp("counter-node") / "city")


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)


def test_the_panel_shows_the_ledger_and_a_dead_peer_after_sync_now(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        sign_in(qtbot, window, "clerk")
        window.backend.node.add_peer(DEAD_PEER)
        panel = window.workspace.show_page("node")
        qtbot.waitUntil(lambda: panel.status is not None, timeout=10000)
        size = panel.status.own_size
        assert panel.own_rows["size"][1].text() == f"{size:,} 条记录"
        assert "至少需要 2 个" in panel.own_rows["cosigners"][1].text()
        assert panel.peers.rowCount() == 1 and panel.peers.item(0, 4).text() == "尚未联系"
        panel.sync_button.click()
        assert not panel.sync_button.isEnabled()  # the round runs in the background
        qtbot.waitUntil(lambda: panel.sync_button.isEnabled(), timeout=20000)
        qtbot.waitUntil(lambda: panel.status.peers[0].failures == 1, timeout=10000)
        assert panel.peers.item(0, 3).text() == "1" and panel.peers.item(0, 4).text() != "尚未联系"
        window.check_node()
        qtbot.waitUntil(lambda: "1 个对等节点无法连接" in window.status_node.text(), timeout=10000)
        assert window.alert_bar.isHidden()
    finally:
        window.backend.node.remove_peer(DEAD_PEER)
        close_window(window)


def test_a_forked_ledger_cannot_be_missed(qtbot, city):
    window = open_window(qtbot, city, "civil-affairs")
    try:
        sign_in(qtbot, window, "clerk")
        store = window.backend.node.store
        head = store.head("public-security")
        with window.backend.node.lock:
            store.set_status(head.id, "forked", "fork detected in a test")
        window.check_node()
        qtbot.waitUntil(lambda: not window.alert_bar.isHidden(), timeout=10000)
        assert "示范市公安局的账本出现分叉" in window.alert_text.text()
        assert window.status_node.text() == "账本告警！"
        panel = window.workspace.show_page("node")
        qtbot.waitUntil(lambda: not panel.alerts.isHidden(), timeout=10000)
        assert "分叉" in panel.alerts.text()
        states = {panel.logs.item(r, 0).text(): panel.logs.item(r, 2).text() for r in range(panel.logs.rowCount())}
        assert states["示范市公安局"] == "账本分叉"
    finally:
        with window.backend.node.lock:
            store.set_status(head.id, "ok", "")
        close_window(window)


def test_a_node_that_cannot_be_opened_is_tried_again_until_it_can(qtbot, city):
    holder = backend(city, "disabled-federation")  # another process's node holds the home
    window = None
    try:
        window = open_window_pending(qtbot, city, "disabled-federation")
        qtbot.waitUntil(lambda: not window.signin.banner.isHidden(), timeout=10000)
        assert "正在被其他进程使用" in window.signin.banner.text()
        assert not window.signin.submit.isEnabled()
        holder.close()
        holder = None
        qtbot.waitUntil(lambda: window.counter is not None, timeout=10000)
        assert window.signin.submit.isEnabled() and window.signin.banner.isHidden()
        sign_in(qtbot, window, "clerk")
    finally:
        if holder is not None:
            holder.close()
        if window is not None:
            close_window(window)


def open_window_pending(qtbot, city, agency: str):
    from ui.counter.main_window import CounterWindow

    window = CounterWindow(lambda: backend(city, agency))
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_password_reset_or_disable_ends_the_embedded_counters_sessions(city):
    """The embedded counter's sessions are the node's own (`node.users.sessions`,
    the store the HTTP API's tokens live in); they end when the person's row
    changes, whichever door changed it, and on sign-out."""
    from ui.backend import BackendError, RecordQuery

    local = backend(city, "public-security")
    try:
        clerk, supervisor = (
            local.sign_in("clerk", spec.PASSWORDS["clerk"]),
            local.sign_in("supervisor", spec.PASSWORDS["supervisor"]),
        )
        sessions = local.node.users.sessions
        assert sessions.signed_in(clerk.token).user.name == "clerk" and not hasattr(local, "_sessions")
        assert local.find_certificates(clerk, RecordQuery()) is not None
        auditor = local.sign_in("auditor", spec.PASSWORDS["auditor"])
        local.sign_out(auditor)
        assert sessions.signed_in(auditor.token) is None
        with pytest.raises(BackendError) as signed_out:
            local.sync_now(auditor)
        assert signed_out.value.code == "UNAUTHENTICATED"
        users = local.node.users
        admin = users.authenticate("admin", spec.PASSWORDS["admin"])
        users.set_password(admin, "clerk", "a-new-clerk-password-2026")
        with pytest.raises(BackendError) as ended:
            local.find_certificates(clerk, RecordQuery())
        assert ended.value.code == "UNAUTHENTICATED"
        assert local.find_certificates(supervisor, RecordQuery()) is not None  # another person's session goes on
        users.disable_user(admin, "supervisor")
        with pytest.raises(BackendError):
            local.find_certificates(supervisor, RecordQuery())
    finally:
        local.close()

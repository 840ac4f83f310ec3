"""Screenshots of every main counter screen, in Chinese and English, at
1280×800 and 1920×1080, written to build/screenshots/counter/ for people to look at (the
folder is not committed). Each screen is also checked for what it must show."""

from __future__ import annotations

from pathlib import Path

import pytest
from counter_support import (
    DEAD_PEER,
    build_city,
    close_window,
    open_window,
    sign_in,
    style_app,
)

from charity.receipts import make_receipt
from democity.samples import SAMPLES
from ui import i18n
from ui.counter.first_start import FirstStartWindow

pytestmark = pytest.mark.screenshots
OUT = Path(__file__).resolve().parent.parent / "build" / "screenshots" / "counter"
LANGUAGES = ("zh_CN", "en")
SMALL, LARGE = (1280, 800), (1920, 1080)  # every window shot at both; dialogs at their own size


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    OUT.mkdir(parents=True, exist_ok=True)
    return build_city(tmp_path_factory.mktemp("counter-screens") / "city")


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)
    yield
    i18n.set_language("zh_CN")


def settle(qtbot, window, ms: int = 150) -> None:
    qtbot.waitUntil(lambda: window.tasks.pool.activeThreadCount() == 0, timeout=20000)
    qtbot.wait(ms)


def shoot(qtbot, widget, name: str, window=None) -> dict[str, Path]:
    """The widget in both languages (switched at run time, as a clerk would);
    a whole window also at 1920×1080 (`NAME-LANGUAGE-1920x1080.png`)."""
    paths = {}
    for language in LANGUAGES:
        i18n.set_language(language)
        qtbot.wait(60)  # installing a translator posts the language change
        if window is not None:
            settle(qtbot, window)
        path = OUT / f"{name}-{language}.png"
        assert widget.grab().save(str(path), "PNG", 80), path  # a fast zlib level
        paths[language] = path
        if widget is window:
            window.resize(*LARGE)
            settle(qtbot, window)  # pages laid out (and the PDF preview drawn) at the new width
            assert widget.size().width() == LARGE[0]
            assert widget.grab().save(str(OUT / f"{name}-{language}-{LARGE[0]}x{LARGE[1]}.png"), "PNG", 80)
            window.resize(*SMALL)
    i18n.set_language("zh_CN")
    qtbot.wait(60)
    return paths


def test_first_start_and_sign_in_screens(qtbot, city):
    first = FirstStartWindow(city.path)
    qtbot.addWidget(first)
    first.resize(1280, 800)
    first.show()
    first.stack.setCurrentWidget(first.creating)
    shoot(qtbot, first, "01-first-start-creating")
    first.start()
    shoot(qtbot, first, "02-first-start-agency")
    first.close()

    window = open_window(qtbot, city, "market-regulation")
    try:
        shoot(qtbot, window, "03-sign-in", window)
        window.signin.user.setText("clerk")
        window.signin.password.setText("wrong-password-1")
        window.signin.sign_in()
        qtbot.waitUntil(lambda: not window.signin.banner.isHidden(), timeout=10000)
        shots = shoot(qtbot, window, "04-sign-in-error", window)
        assert all(p.stat().st_size > 10_000 for p in shots.values())
    finally:
        close_window(window)


def test_licence_screens(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        window.resize(1280, 800)
        sign_in(qtbot, window, "supervisor")
        issue = window.workspace.show_page("issue")
        settle(qtbot, window)
        shoot(qtbot, window, "10-issue-empty", window)
        issue.form.set_values(dict(SAMPLES["business-licence"], uscc="91330106MA2K0A1B2X", established="2019-13-01"))
        issue.sign()
        shoot(qtbot, window, "11-issue-errors", window)
        assert issue.form.error_text("uscc") and issue.form.error_text("established")
        issue.form.set_values(SAMPLES["business-licence"])
        issue.confirm = lambda summary: True
        issue.sign()
        qtbot.waitUntil(lambda: issue.document.pdf is not None, timeout=20000)
        shoot(qtbot, window, "12-issue-signed-preview", window)

        records = window.workspace.show_page("records")
        qtbot.waitUntil(lambda: records.model.total > 0, timeout=10000)
        shoot(qtbot, window, "20-records", window)
        records.text.setText("没有这个人")
        records.search()
        qtbot.waitUntil(lambda: records.model.total == 0 and records.model.query.text != "", timeout=10000)
        shoot(qtbot, window, "21-records-no-match", window)
        records.text.setText("")
        records.search()
        qtbot.waitUntil(lambda: records.model.total > 0, timeout=10000)
        records.open_record(records.model.rows[0].cert_id)
        qtbot.waitUntil(lambda: records.detail.detail is not None, timeout=10000)
        dialog = records.detail.change("suspend")
        dialog.reason.setPlainText("待核查 / under review")
        dialog.ok.click()
        qtbot.waitUntil(lambda: records.detail.detail.status == "suspended", timeout=10000)
        shoot(qtbot, window, "22-record-detail-history", window)
        records.detail.tabs.setCurrentIndex(2)
        shoot(qtbot, window, "23-record-detail-proof", window)
        dialog = records.detail.change("revoke")
        dialog.resize(560, 360)
        dialog.ok.click()  # no reason given: the dialog says so
        shoot(qtbot, dialog, "24-revoke-dialog-error")
        dialog.reject()
    finally:
        close_window(window)


def test_charity_screens(qtbot, city):
    window = open_window(qtbot, city, "charity-federation")
    try:
        sign_in(qtbot, window, "supervisor")
        page = window.workspace.show_page("charity")
        qtbot.waitUntil(lambda: page.donation.fund.count() > 0, timeout=10000)
        page.donation.amount.setText("500")
        page.donation.donor.setText("韩梅梅")
        page.donation.record()
        qtbot.waitUntil(lambda: page.donation.last is not None, timeout=10000)
        shoot(qtbot, window, "30-charity-donation", window)
        page.donation.show_receipt()
        qtbot.waitUntil(lambda: getattr(page.donation, "last_dialog", None) is not None, timeout=20000)
        settle(qtbot, window)
        shoot(qtbot, page.donation.last_dialog, "35-receipt-dialog", window)
        page.donation.last_dialog.accept()
        page.tabs.setCurrentWidget(page.funds)
        shoot(qtbot, window, "31-charity-funds", window)
        page.tabs.setCurrentWidget(page.requests)
        settle(qtbot, window)
        page.requests.table.selectRow(0)
        shoot(qtbot, window, "32-charity-disbursements", window)
        page.show_trace(page.donation.last.id)
        shoot(qtbot, window, "33-charity-trace-new", window)
        first = make_receipt(1)  # the demo's first donation has been allocated, spent and disbursed
        page.show_trace(first)
        qtbot.waitUntil(lambda: page.trace.result is not None and page.trace.result.receipt == first, timeout=10000)
        shoot(qtbot, window, "34-charity-trace-spent", window)
    finally:
        close_window(window)


def test_acknowledge_and_node_screens(qtbot, city):
    window = open_window(qtbot, city, "civil-affairs")
    try:
        sign_in(qtbot, window, "clerk")
        page = window.workspace.show_page("acknowledge")
        qtbot.waitUntil(lambda: bool(page.items), timeout=10000)
        page.table.selectRow(0)
        shoot(qtbot, window, "40-acknowledge", window)
        window.backend.node.add_peer(DEAD_PEER)
        store = window.backend.node.store
        head = store.head("public-security")
        with window.backend.node.lock:
            store.set_status(head.id, "forked", "fork detected in a test")
        panel = window.workspace.show_page("node")
        panel.sync_now()
        qtbot.waitUntil(lambda: panel.sync_button.isEnabled(), timeout=20000)
        window.check_node()
        qtbot.waitUntil(lambda: not window.alert_bar.isHidden(), timeout=10000)
        shoot(qtbot, window, "50-node-alert", window)
    finally:
        with window.backend.node.lock:
            store.set_status(head.id, "ok", "")
        window.backend.node.remove_peer(DEAD_PEER)
        close_window(window)

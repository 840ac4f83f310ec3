"""The counter for a clerk who cannot use a mouse (issue 16 item 4): issue a
licence, find it, revoke it, and approve a charity payment with key presses
alone (QTest key clicks on whatever has the focus: no clicks, no setters);
and every control of the desks met on the way (issue, records, node, charity
with its tabs, sign-in) has a name a screen reader can say, in Chinese and in
English."""

from __future__ import annotations

import pytest
from counter_support import build_city, close_window, open_window, style_app, wait_idle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from test_kiosk_access import unnamed_controls

from democity import spec
from democity.samples import SAMPLES
from ui import i18n

KEYBOARD_AGENCY, TYPE = "disabled-federation", "disability-certificate"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return build_city(tmp_path_factory.mktemp("counter-keyboard") / "city")


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)
    yield
    i18n.set_language("zh_CN")


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focus(), key, modifier)


def type_text(text: str) -> None:
    """Key clicks for each character; one beyond ASCII (a name in Chinese) comes as a key event
    carrying its text, as an input method hands it over (QTest.keyClicks takes Latin-1 only)."""
    for ch in text:
        if ch.isascii():
            QTest.keyClicks(focus(), ch)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Click, focus(), Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)


def tab_to(target: QWidget, most: int = 80) -> None:
    """Tab until `target` has the focus: it must be reachable by Tab alone."""
    for _ in range(most):
        if focus() is target:
            return
        press(Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reaches {target.objectName() or type(target).__name__}")


def answer_dialog(qtbot, key: Qt.Key = Qt.Key.Key_Return) -> QTimer:
    """Press `key` in the next modal dialog (its default button), as soon as it opens."""
    timer = QTimer()
    timer.setInterval(30)

    def poke() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            timer.stop()
            QTest.keyClick(modal.focusWidget() or modal, key)

    timer.timeout.connect(poke)
    timer.start()
    return timer


def activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def keyboard_window(qtbot, city, agency: str, user: str):
    window = open_window(qtbot, city, agency)
    unnamed = unnamed_controls(window, described=False)  # the sign-in page
    assert not unnamed, unnamed
    activate(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.signin.user, timeout=5000)
    type_text(user)
    press(Qt.Key.Key_Return)
    type_text(spec.PASSWORDS[user])
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.workspace is not None and window.stack.currentWidget() is window.workspace, timeout=10000
    )
    activate(qtbot, window)  # a desk's page may open and close a window of its own; offscreen Qt has no window manager
    return window


def fill_by_keys(form, values: dict[str, str]) -> None:
    """Each field in Tab order: type its text, or pick its choice with the arrow keys."""
    for name, value in values.items():
        editor = next(i.editor for i in form.all_inputs if i.field.name == name)
        tab_to(editor)
        if isinstance(editor, QComboBox):
            press(Qt.Key.Key_Home)
            for _ in range(editor.count()):
                if value in (editor.currentData(), editor.currentText()):
                    break
                press(Qt.Key.Key_Down)
            assert value in (editor.currentData(), editor.currentText()), (name, value)
        else:
            press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            type_text(str(value))


def walk_every_page(qtbot, window, where: str) -> list[str]:
    """Each desk shown once (showing one loads its data), each of its tabs, in both languages."""
    problems = []
    for key, page in window.workspace.pages.items():
        window.workspace.show_page(key)
        wait_idle(qtbot, window)
        tabs = getattr(page, "tabs", None)
        for language in ("zh_CN", "en"):
            i18n.set_language(language)
            QApplication.processEvents()  # the language change is posted
            for index in range(tabs.count() if tabs is not None else 1):
                if tabs is not None:
                    tabs.setCurrentIndex(index)
                found = unnamed_controls(window, described=False)
                problems += [f"{where} {key}/{index} {language}: {p}" for p in found]
    i18n.set_language("zh_CN")
    return problems


def test_issue_search_revoke_and_approve_with_the_keyboard_alone(qtbot, city):
    window = keyboard_window(qtbot, city, KEYBOARD_AGENCY, "supervisor")
    try:
        press(Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
        page = window.workspace.pages["issue"]
        assert page.types.currentData() == TYPE
        fill_by_keys(page.form, SAMPLES[TYPE])
        timer = answer_dialog(qtbot)  # "sign this licence?": Return takes the default answer, sign
        press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: page.document.pdf is not None or not page.banner.isHidden(), timeout=20000)
        timer.stop()
        assert page.document.pdf is not None, page.banner.text()
        cert_id = page.document.file_name.removesuffix(".pdf")
        activate(qtbot, window)  # what a window manager does when a dialog closes; offscreen Qt has none
        assert focus() is page.document.print_button  # ready to print with Space

        press(Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        records = window.workspace.pages["records"]
        press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert focus() is records.text
        type_text(cert_id)
        press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(records.model.rows) == 1, timeout=10000)
        tab_to(records.table)
        press(Qt.Key.Key_Down)
        press(Qt.Key.Key_Return)
        detail = records.detail
        qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.cert_id == cert_id, timeout=10000)

        tab_to(detail.action_buttons["revoke"])
        press(Qt.Key.Key_Space)
        dialog = detail.last_dialog
        qtbot.waitUntil(lambda: dialog.isVisible() and QApplication.focusWidget() is dialog.reason, timeout=5000)
        type_text("证件遗失 / lost")
        tab_to(dialog.ok)
        press(Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: detail.detail.status == "revoked", timeout=10000)
        assert detail.pill.text() == "已撤销"
        unnamed = walk_every_page(qtbot, window, KEYBOARD_AGENCY)  # issue, records, node: every control named
        assert not unnamed, "\n".join(unnamed)
    finally:
        wait_idle(qtbot, window)
        close_window(window)

    window = keyboard_window(qtbot, city, "charity-federation", "supervisor")
    try:
        keys = list(window.workspace.pages)
        press(getattr(Qt.Key, f"Key_{keys.index('charity') + 1}"), Qt.KeyboardModifier.ControlModifier)
        charity = window.workspace.pages["charity"]
        requests = charity.requests
        tab_to(charity.tabs.tabBar())
        for _ in range(charity.tabs.count()):
            if charity.tabs.currentWidget() is requests:
                break
            press(Qt.Key.Key_Right)
        assert charity.tabs.currentWidget() is requests
        qtbot.waitUntil(lambda: requests.table.rowCount() > 0, timeout=10000)
        tab_to(requests.table)
        press(Qt.Key.Key_Home)
        for _ in range(requests.table.rowCount()):
            if requests.approve_button.isEnabled():
                break
            press(Qt.Key.Key_Down)
        chosen = requests.selected()
        assert chosen is not None and chosen.status == "pending" and requests.approve_button.isEnabled()
        tab_to(requests.approve_button)
        press(Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: "已处理" in requests.banner.text(), timeout=10000)
        assert chosen.id in requests.banner.text()
        # The charity desk is loaded now: every control on it has a name, in both languages.
        unnamed = walk_every_page(qtbot, window, "charity-federation")
        assert not unnamed, "\n".join(unnamed)
    finally:
        wait_idle(qtbot, window)
        close_window(window)

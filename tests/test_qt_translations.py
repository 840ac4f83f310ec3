"""Qt's own words (standard buttons, a line edit's menu) follow the interface
language with ours, switched at run time (ui.i18n loads Qt's qtbase
catalogue): the counter's confirmation before signing says 签发 beside 取消,
not beside "Cancel". A screenshot of it in each language goes to
build/screenshots/counter/ for people to look at.

The walk of every screen and dialog in both languages, failing on words in
the other language, is tests/test_ui_language_walk.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from counter_support import style_app
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from test_counter_form_messages import BUSINESS, INFO

from ui import i18n

OUT = Path(__file__).resolve().parent.parent / "build" / "screenshots" / "counter"
CJK = re.compile(r"[\u4e00-\u9fff]")
B = QMessageBox.StandardButton
BUTTONS = (B.Ok, B.Cancel, B.Yes, B.No, B.Save, B.Discard, B.Close, B.Apply, B.Reset)


@pytest.fixture
def styled(qapp):
    style_app(qapp)  # Chinese, as the counter starts
    yield qapp
    i18n.set_language("zh_CN")


def texts(box: QMessageBox) -> dict[str, str]:
    return {b.name: box.button(b).text() for b in BUTTONS}


def test_standard_buttons_and_menus_speak_the_interface_language_and_switch_with_it(qtbot, styled):
    box = QMessageBox(QMessageBox.Icon.Question, "?", "?")
    for b in BUTTONS:
        box.addButton(b)
    qtbot.addWidget(box)
    chinese = texts(box)
    assert len(chinese) == 9 and chinese["Cancel"] == "取消" and chinese["Ok"] == "确定"
    assert all(CJK.search(text) for text in chinese.values()), chinese
    editor = QLineEdit("text")
    qtbot.addWidget(editor)
    menu = editor.createStandardContextMenu()
    assert all(CJK.search(a.text()) for a in menu.actions() if a.text()), [a.text() for a in menu.actions()]

    i18n.set_language("en")  # the open box follows, as our own widgets do
    qtbot.waitUntil(lambda: box.button(B.Cancel).text() == "Cancel", timeout=2000)
    english = texts(box)
    assert english["Ok"] == "OK" and not any(CJK.search(text) for text in english.values()), english
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"

    i18n.set_language("zh_CN")
    qtbot.waitUntil(lambda: box.button(B.Cancel).text() == "取消", timeout=2000)


def test_the_counters_confirmation_before_signing_is_chinese_beside_chinese(qtbot, styled):
    from ui.counter.issue_page import IssuePage
    from ui.counter.widgets import Counter

    OUT.mkdir(parents=True, exist_ok=True)
    page = IssuePage(Counter(None, INFO))
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.form.set_values(BUSINESS)
    seen = {}

    def look(language: str) -> None:
        """While the real dialog is open: read its buttons, photograph it, cancel it."""
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen[language] = (box.windowTitle(), [b.text() for b in box.buttons()])
        assert box.grab().save(str(OUT / f"confirm-sign-{language}.png"))
        box.button(B.Cancel).click()

    for language in ("zh_CN", "en"):
        i18n.set_language(language)
        QTimer.singleShot(0, lambda language=language: look(language))
        assert page._ask(page._summary(BUSINESS)) is False  # cancelled: nothing signed
    assert seen["zh_CN"][0] == "确认签发这张证照？" and sorted(seen["zh_CN"][1]) == ["取消", "签发"]
    assert seen["en"][0] == "Sign this licence?" and sorted(seen["en"][1]) == ["Cancel", "Sign"]


def test_the_kiosk_switches_qts_words_with_its_own(qtbot, styled):
    from test_kiosk_keypad import StandIn

    from ui.kiosk.config import KioskConfig
    from ui.kiosk.window import KioskWindow

    window = KioskWindow(StandIn(), KioskConfig())
    qtbot.addWidget(window)
    try:
        for expected in ("Cancel", "取消"):  # its language button, as a visitor taps it
            window.toggle_language()
            assert QCoreApplication.translate("QPlatformTheme", "Cancel") == expected
    finally:
        window.tasks.wait()
        window._leaving = True

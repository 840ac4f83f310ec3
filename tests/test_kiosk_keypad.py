"""The kiosk's on-screen keypads: every receipt code and certificate id can be
tapped in key by key, a wrong check character is named as it is typed (in
both languages, the words a submit gives), and the keys stay large enough to
touch and inside the screen at 1920×1080 and 1280×800. A stand-in backend
records what the window asks, so no city is built."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from test_kiosk_flows import cjk  # noqa: F401  (fixture)
from test_kiosk_screens import OUT, interactive_problems, layout_problems

from certificates.identifiers import CertificateId
from charity.receipts import make_receipt
from ui import i18n
from ui.kiosk.backend import KioskError
from ui.kiosk.config import KioskConfig
from ui.kiosk.window import KioskWindow

ISSUER = "11330100MB0000001R"  # the demo market-regulation administration
RECEIPT = "D-00000011-V"  # the issue's example: a check character no digit key can type
CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # ISO 7064 MOD 37,36 (charity.receipts)
CERT_ID = str(CertificateId("GS", ISSUER, "000000000042", "001"))


class StandIn:
    """The two doors' interface, as far as the entry screen reaches it: each
    code that arrives is kept, and answered "unknown" like a real node."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def agency_name(self, agency: str) -> tuple[str, str]:
        return agency, agency

    def where(self) -> tuple[str, str]:
        return "测试", "test"

    def trace(self, code: str):
        self.asked.append(("trace", code))
        raise KioskError("UNKNOWN_RECEIPT", "未找到", "not found")

    def lookup_id(self, text: str):
        self.asked.append(("id", text))
        raise KioskError("UNKNOWN_ID", "未找到", "not found")


@pytest.fixture(scope="module")
def kiosk(cjk):  # noqa: F811
    """One window for the module: building and styling one takes seconds."""
    backend = StandIn()
    window = KioskWindow(backend, KioskConfig())
    window.stand_in = backend
    window.show()
    yield window
    window.tasks.wait()
    window._leaving = True
    window.close()
    window.deleteLater()


@pytest.fixture
def window(kiosk):
    kiosk.resize(1280, 800)
    kiosk.stand_in.asked.clear()
    yield kiosk
    i18n.set_language("zh_CN")
    kiosk.tasks.wait()
    kiosk.go_home()


def tap(qtbot, window, text: str) -> list[str]:
    """Tap `text` on the keypad on show; the problem line after each key."""
    keyboard = window.entry.keyboards[window.entry.mode]
    seen = []
    for ch in text:
        key = keyboard.findChild(QPushButton, f"key-{ch}")
        assert key is not None and key.isVisible(), f"no key {ch!r} on the {window.entry.mode} keypad"
        qtbot.mouseClick(key, Qt.MouseButton.LeftButton)
        seen.append(window.entry.problem.text())
    return seen


def test_the_issues_receipt_code_is_tapped_in_and_traced(qtbot, window):
    assert str(make_receipt(11)) == RECEIPT
    window._enter("receipt")
    problems = tap(qtbot, window, RECEIPT)
    assert window.entry.field.text() == RECEIPT
    assert problems == [""] * len(RECEIPT)  # no beginning of a good code is ever faulted
    qtbot.mouseClick(window.entry.check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stand_in.asked == [("trace", RECEIPT)], timeout=5000)


def test_every_character_of_a_receipt_code_has_a_key(qtbot, window):
    keys = {k.objectName().removeprefix("key-") for k in window.entry.keyboards["receipt"].findChildren(QPushButton)}
    assert set(CHECK_ALPHABET) | {"D", "-"} <= keys
    for number in (0, 7, 900_001, 99_999_999):
        window._enter("receipt")
        code = make_receipt(number)
        assert tap(qtbot, window, code)[-1] == "", code
        assert window.entry.field.text() == code


def test_a_wrong_check_character_is_named_as_it_is_typed_and_cleared_when_fixed(qtbot, window):
    window._enter("receipt")
    tap(qtbot, window, RECEIPT[:-1] + "W")
    problem = window.entry.problem.text()
    assert "校验位" in problem and "check character" in problem  # the words a submit gives
    assert window.entry.field.property("invalid") is True
    qtbot.mouseClick(window.entry.keyboards["receipt"].backspace, Qt.MouseButton.LeftButton)
    assert window.entry.problem.text() == "" and window.entry.field.property("invalid") is False
    tap(qtbot, window, "V")
    assert window.entry.problem.text() == ""
    qtbot.mouseClick(window.entry.check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stand_in.asked == [("trace", RECEIPT)], timeout=5000)


def test_a_key_that_cannot_start_a_receipt_code_is_named_at_once(qtbot, window):
    window._enter("receipt")
    tap(qtbot, window, "D-12A")
    assert "D-数字-校验位" in window.entry.problem.text() and "D-<digits>" in window.entry.problem.text()
    window.entry.open("receipt")  # a fresh start forgets it
    assert window.entry.problem.text() == "" and window.entry.field.text() == ""


def test_a_certificate_id_is_tapped_in_and_each_part_checked_once_typed(qtbot, window):
    window._enter("id")
    assert tap(qtbot, window, CERT_ID) == [""] * len(CERT_ID)
    qtbot.mouseClick(window.entry.check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stand_in.asked == [("id", CERT_ID)], timeout=5000)
    for typed, words in [
        ("1.3", "1.2.156.3005.2"),  # the prefix, at the first wrong key
        ("1.2.156.3005.2.GS.11330100MB0000001X.", "统一社会信用代码"),  # the issuer, once its dot is typed
        (CERT_ID[:-1] + ("A" if CERT_ID[-1] != "A" else "B"), "校验位"),  # the check character, at once
    ]:
        window._enter("id")
        tap(qtbot, window, typed)
        assert words in window.entry.problem.text(), typed


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)])
def test_the_keypads_fit_and_are_large_enough_to_touch(qtbot, window, size):
    OUT.mkdir(parents=True, exist_ok=True)
    window.resize(*size)
    for language in ("zh_CN", "en"):
        i18n.set_language(language)
        for mode, typed in (("receipt", RECEIPT[:-1] + "W"), ("id", "1.2.156.3005.2.GS.")):
            window._enter(mode)
            tap(qtbot, window, typed)
            qtbot.wait(20)
            assert not interactive_problems(window), interactive_problems(window)
            assert not layout_problems(window), layout_problems(window)
            path = Path(OUT) / f"{size[0]}x{size[1]}-{language}-keypad-{mode}-typed.png"
            assert window.grab().save(str(path), "PNG", 80)

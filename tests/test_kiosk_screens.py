"""Every kiosk screen at 1920×1080 and 1280×800, in Chinese and in English,
written to build/screenshots/kiosk/ for people to look at; and what can be
checked by machine on each of them: touch targets of at least 48 px, a name
for screen readers on everything one can touch, no untranslated words."""

from __future__ import annotations

import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QScrollArea,
    QWidget,
)
from test_kiosk_flows import (  # noqa: F401  (fixtures)
    KIOSK_HOME,
    RECEIPT,
    choose,
    city,
    cjk,
    foreign_qr,
    make_window,
    media,
    sample_qr,
    tampered_qr,
    wait_for_screen,
)

from certificates.payload import open_qr_payload
from certificates.qr_text import decode_qr_text
from democity.build import BUNDLE_FILE
from ui import i18n
from ui.kiosk.backend_local import LocalBackend
from ui.kiosk.backend_remote import RemoteBackend
from ui.kiosk.theme import MIN_TARGET

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "screenshots" / "kiosk"
SIZES = ((1920, 1080), (1280, 800))
LANGUAGES = ("zh_CN", "en")


@pytest.fixture(scope="module")
def forked_home(city, tmp_path_factory):
    """A copy of the kiosk's node home that saw market regulation's log fork."""
    home = tmp_path_factory.mktemp("forked") / KIOSK_HOME
    shutil.copytree(city.home(KIOSK_HOME), home, ignore=shutil.ignore_patterns("node.lock"))
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        conn.execute(
            "UPDATE logs SET status = 'forked', status_detail = 'two checkpoints of size 12' "
            "WHERE agency = 'market-regulation'"
        )
    return home


def scan_to(qtbot, window, text: str, screen: str = "verdict") -> None:
    window.open_code(text)
    wait_for_screen(qtbot, window, screen)


def screens(city, media):
    """(name, backend kind, how to get there) for every screen worth a look."""
    qr = lambda stem: lambda qtbot, w: scan_to(qtbot, w, sample_qr(city, stem))  # noqa: E731

    def typed_id(qtbot, window) -> None:
        window._enter("id")
        window.entry.field.setText(certificate_id(sample_qr(city, "residence-permit-VALID")))
        window.entry.submit()
        wait_for_screen(qtbot, window, "verdict")

    return [
        ("home", "local", lambda qtbot, w: w.go_home()),
        ("verdict-valid", "local", qr("marriage-certificate-VALID")),
        ("verdict-valid-business", "local", qr("business-licence-VALID")),
        ("verdict-revoked", "local", qr("marriage-certificate-REVOKED")),
        ("verdict-suspended", "local", qr("residence-permit-SUSPENDED")),
        ("verdict-superseded", "local", qr("disability-certificate-SUPERSEDED")),
        ("verdict-expired", "local", qr("food-business-licence-EXPIRED")),
        ("verdict-tampered", "local", lambda qtbot, w: scan_to(qtbot, w, tampered_qr(city))),
        ("verdict-unknown-issuer", "local", lambda qtbot, w: scan_to(qtbot, w, foreign_qr(city))),
        ("verdict-malformed", "local", lambda qtbot, w: scan_to(qtbot, w, "TC2:NOT-A-REAL-CODE")),
        ("verdict-status-unknown", "offline", qr("marriage-certificate-VALID")),
        ("verdict-log-forked", "forked", qr("business-licence-VALID")),
        ("id-lookup", "local", typed_id),
        ("keyboard-id", "local", lambda qtbot, w: (w._enter("id"), w.entry.field.setText("1.2.156.3005.2."))),
        ("keyboard-receipt", "local", lambda qtbot, w: w._enter("receipt")),
        ("files", "local", lambda qtbot, w: (w.show_files(), qtbot.waitUntil(lambda: bool(w.files.candidates)))),
        (
            "refused-file",
            "local",
            lambda qtbot, w: (w.go_home(), choose(qtbot, w, "huge-image.png"), wait_for_screen(qtbot, w, "message")),
        ),
        ("trace", "local", lambda qtbot, w: scan_to(qtbot, w, RECEIPT, "trace")),
        ("funds", "local", lambda qtbot, w: (w.show_funds("K-FUND"), wait_for_screen(qtbot, w, "funds"))),
        (
            "pin",
            "local",
            lambda qtbot, w: (w.ask_pin(), w.pin.field.setText("12"), w.pin.show_problem(i18n_tr("Wrong PIN."))),
        ),
    ]


def certificate_id(qr: str) -> str:
    return open_qr_payload(decode_qr_text(qr)).leaf.record.body["id"]


def i18n_tr(text: str) -> str:
    from ui.kiosk.text import tr

    return tr(text)


def interactive_problems(window) -> list[str]:
    """Visible things one can touch that are too small or have no name for a screen reader."""
    problems = []
    for widget in (
        window.findChildren(QAbstractButton) + window.findChildren(QLineEdit) + window.findChildren(QListWidget)
    ):
        if not widget.isVisibleTo(window) or not widget.isVisible():
            continue
        if not widget.accessibleName().strip():
            problems.append(f"{widget.objectName() or type(widget).__name__}: no accessible name")
        if isinstance(widget, QAbstractButton) and (widget.height() < MIN_TARGET or widget.width() < MIN_TARGET):
            problems.append(f"{widget.objectName()}: {widget.width()}×{widget.height()} px")
    return problems


def layout_problems(window) -> list[str]:
    """Text squashed below the height it needs, or pushed off the screen, outside scrolling parts."""
    screen = window.current()
    page = window.pages[screen]
    problems = []
    if isinstance(page, QScrollArea) and page.verticalScrollBar().maximum() > 0:
        problems.append(f"the page scrolls by {page.verticalScrollBar().maximum()} px")
    for area in screen.findChildren(QScrollArea):
        if (
            area.isVisible()
            and area.widget() is not None
            and area.widget().minimumSizeHint().width() > area.viewport().width() + 2
        ):
            problems.append(
                f"{area.widget().minimumSizeHint().width()} px wide content in a "
                f"{area.viewport().width()} px scrolling part"
            )
    for widget in screen.findChildren(QWidget):
        if not isinstance(widget, (QLabel, QAbstractButton, QLineEdit, QProgressBar)) or not widget.isVisible():
            continue
        parent = widget.parentWidget()
        while parent is not screen and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        if parent is not screen:
            continue  # inside a part that scrolls by design
        corner = widget.mapTo(window, QPoint(widget.width(), widget.height()))
        wraps = widget.hasHeightForWidth()
        need = widget.heightForWidth(widget.width()) if wraps else widget.minimumSizeHint().height()
        what = widget.objectName() or repr(getattr(widget, "text", lambda: "")()[:30])
        if corner.y() > window.height() or corner.x() > window.width():
            problems.append(f"{what} is off the screen")
        elif need > widget.height() + 2:
            problems.append(f"{what} is squashed to {widget.height()} px of {need}")
    return problems


def test_every_screen_in_both_sizes_and_languages(qtbot, cjk, city, media, forked_home):
    OUT.mkdir(parents=True, exist_ok=True)
    backends = {
        "local": LocalBackend(city.home(KIOSK_HOME)),
        "forked": LocalBackend(forked_home),
        "offline": RemoteBackend(city.path / BUNDLE_FILE, "http://127.0.0.1:9", timeout=0.5),
    }
    windows = {
        kind: make_window(qtbot, backend, media_folders=(str(media.parent),)) for kind, backend in backends.items()
    }
    written, problems = [], []
    try:
        # Sizes outermost: a new size restyles every widget of all three windows
        # (most of a second each), a change of contrast only the one window the
        # high-contrast shots use, a change of language none.
        for width, height in SIZES:
            for window in windows.values():
                window.resize(width, height)
            for high_contrast in (False, True):
                for language in LANGUAGES:
                    i18n.set_language(language)
                    for name, kind, go in screens(city, media):
                        if high_contrast and name not in ("home", "verdict-valid", "verdict-revoked", "trace", "funds"):
                            continue
                        window = windows[kind]
                        window.set_high_contrast(high_contrast)
                        go(qtbot, window)
                        qtbot.wait(30)
                        problems += [f"{name} {width}×{height} {language}: {p}" for p in layout_problems(window)]
                        suffix = "-high-contrast" if high_contrast else ""
                        path = OUT / f"{width}x{height}-{language}-{name}{suffix}.png"
                        assert window.grab().save(str(path), "PNG", 80)  # a fast zlib level: half the default's time
                        written.append(path)
                        window.go_home()
    finally:
        i18n.set_language("zh_CN")
        for window in windows.values():
            window.set_high_contrast(False)
            window.tasks.wait()
            window._leaving = True
    assert not problems, "\n".join(problems[:20])
    assert len(written) == len(LANGUAGES) * len(SIZES) * (len(screens(city, media)) + 5)
    assert all(p.stat().st_size > 10_000 for p in written)


def test_the_verdict_words_follow_the_ui_language_but_the_verdict_stays_bilingual(qtbot, cjk, city, media):
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)))
    try:
        scan_to(qtbot, window, sample_qr(city, "marriage-certificate-REVOKED"))
        assert window.brand.text() == "可信城市 · 自助核验"
        window.toggle_language()
        qtbot.waitUntil(lambda: window.brand.text() == "CityChain self-service", timeout=2000)
        assert window.verdict.finish.text() == "Done" and window.verdict.finish.accessibleName() == "Done"
        assert window.verdict.headline.text() == "证照已撤销" and window.verdict.headline_en.text() == "Revoked"
        window.toggle_language()
        qtbot.waitUntil(lambda: window.verdict.finish.text() == "完成", timeout=2000)
    finally:
        i18n.set_language("zh_CN")
        window.tasks.wait()
        window._leaving = True


def test_every_kiosk_string_has_a_chinese_translation():
    sources = set()
    for path in (ROOT / "ui" / "kiosk").glob("*.py"):
        for match in re.finditer(r'\b(?:tr|noop)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', path.read_text(encoding="utf-8")):
            sources.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))).replace('\\"', '"'))
    tree = ET.parse(ROOT / "ui" / "translations" / "kiosk_zh_CN.ts")
    translated = {m.findtext("source"): m.findtext("translation") for m in tree.iter("message")}
    assert len(sources) > 60
    missing = sorted(s for s in sources if not translated.get(s))
    assert not missing, missing
    assert all(re.search(r"[\u4e00-\u9fff]", translated[s]) for s in sources)

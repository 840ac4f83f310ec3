"""The kiosk on the screens it meets: every screen at every kiosk size
(portrait too), in Chinese and English, normal, high contrast and large text,
written to build/screenshots/kiosk/ for people to look at (marker
`screenshots`), with what a machine can check on each: nothing clipped,
squashed or overlapping, touch targets of at least 48 px, a name for screen
readers on everything one can touch, no untranslated words. And the window
itself: over the whole screen on a bare X server and under Cage, following
its screen."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from displays import bare_x, cage_headless, property_text, windows
from nodes import wait_for
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
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
from citychain.errors import CityChainError
from democity.build import BUNDLE_FILE
from ui import i18n
from ui.kiosk import files, theme
from ui.kiosk.backend_local import LocalBackend
from ui.kiosk.backend_remote import RemoteBackend
from ui.kiosk.screen_cover import ScreenCover
from ui.kiosk.text import noop
from ui.kiosk.theme import MIN_TARGET
from ui.kiosk.widgets import WrappingButton
from ui.kiosk.window import KioskWindow

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "screenshots" / "kiosk"
# The sizes kiosks come in (portrait for floor-standing ones), and 1280×800, where
# the bar's buttons once lost their words after a resize and a language switch.
SIZES = ((1920, 1080), (1366, 768), (1280, 1024), (1024, 768), (1080, 1920), (1280, 800))
LANGUAGES = ("zh_CN", "en")
MODES = ("normal", "high-contrast", "large-text")
EVERY_MODE = {  # one of each kind of screen, for high contrast and large text
    "home",
    "verdict-valid",
    "verdict-revoked",
    "verdict-suspended",
    "keyboard-id",
    "keyboard-receipt",
    "files",
    "refused-file",
    "busy",
    "trace",
    "funds",
    "pin",
}
# Large text that does not fit yet (issue 16 item 4): (screen, size) pairs whose
# problems are written to build/screenshots/kiosk/large-text-gaps.txt instead of
# failing the test. None now: every screen, size and mode must be clean.
LARGE_TEXT_GAPS: set[tuple[str, tuple[int, int]]] = set()


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


def clipped_or_overlapping(window) -> list[str]:
    """Words cut off (a button or a one-line label narrower than its words), or
    two things drawn over each other, anywhere in the window, bar included.
    Things are compared only with others in the same scrolling part."""
    things = [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, (QAbstractButton, QLabel, QLineEdit))
        and w.isVisible()
        and not isinstance(w.parentWidget(), WrappingButton)  # a button's own words
    ]
    problems, groups = [], {}
    for widget in things:
        what = widget.objectName() or repr(widget.text()[:30])
        one_line = isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and not widget.wordWrap())
        if (
            one_line
            and not isinstance(widget, WrappingButton)
            and widget.width() < widget.minimumSizeHint().width() - 1
        ):
            problems.append(f"{what} is clipped: {widget.width()} px of {widget.minimumSizeHint().width()}")
        area = widget.parentWidget()
        while area is not None and area is not window and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        top_left = widget.mapTo(window, QPoint(0, 0))
        groups.setdefault(id(area), []).append((widget, what, QRect(top_left, widget.size()).adjusted(1, 1, -1, -1)))
    for group in groups.values():
        for i, (a, what_a, rect_a) in enumerate(group):
            for b, what_b, rect_b in group[i + 1 :]:
                if rect_a.intersects(rect_b) and not a.isAncestorOf(b) and not b.isAncestorOf(a):
                    problems.append(f"{what_a} overlaps {what_b}")
    return problems


def settle() -> None:
    """Deliver what a screen change posted (texts, layouts) before measuring or grabbing."""
    for _ in range(2):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


@pytest.fixture(scope="module")
def arrivals(city, media, forked_home):
    return screen_arrivals(city, media, forked_home)


def screen_arrivals(city, media: Path, forked_home: Path) -> dict:
    """How to show each kiosk screen, with what it shows asked of the real
    backends once (not again for every size, language and mode)."""
    local, forked = LocalBackend(city.home(KIOSK_HOME)), LocalBackend(forked_home)
    offline = RemoteBackend(city.path / BUNDLE_FILE, "http://127.0.0.1:9", timeout=0.5)

    def verdict(result):
        return lambda w: w._result(result)

    def sample(stem: str, backend=local):
        return verdict(backend.open_code(sample_qr(city, stem)))

    receipt = local.open_code(RECEIPT)
    trace, funds = local.trace(receipt.code), local.funds()
    roots = (media.parent,)
    found = files.list_documents(roots)
    try:
        kind, data = files.read_document(media / "huge-image.png", roots, 10 * 1024 * 1024)
        local.open_file(kind, data)
        raise AssertionError("the huge image was accepted")
    except CityChainError as exc:
        refused = exc
    typed = local.lookup_id(certificate_id(sample_qr(city, "residence-permit-VALID")))
    return {
        "home": lambda w: w.go_home(),
        "verdict-valid": sample("marriage-certificate-VALID"),
        "verdict-valid-business": sample("business-licence-VALID"),
        "verdict-revoked": sample("marriage-certificate-REVOKED"),
        "verdict-suspended": sample("residence-permit-SUSPENDED"),
        "verdict-superseded": sample("disability-certificate-SUPERSEDED"),
        "verdict-expired": sample("food-business-licence-EXPIRED"),
        "verdict-tampered": verdict(local.open_code(tampered_qr(city))),
        "verdict-unknown-issuer": verdict(local.open_code(foreign_qr(city))),
        "verdict-malformed": verdict(local.open_code("TC2:NOT-A-REAL-CODE")),
        "verdict-status-unknown": sample("marriage-certificate-VALID", offline),
        "verdict-log-forked": sample("business-licence-VALID", forked),
        "id-lookup": verdict(typed),
        "keyboard-id": lambda w: (w._enter("id"), w.entry.field.setText("1.2.156.3005.2.")),
        "keyboard-receipt": lambda w: (w._enter("receipt"), w.entry.field.setText("D-00000011-")),
        "files": lambda w: (w.files.show_candidates(found), w._show(w.files)),
        "refused-file": lambda w: w._failed(refused),
        "busy": lambda w: (w.busy.start(noop("Checking…")), w._show(w.busy)),
        "trace": lambda w: (w.trace.show_trace(trace.report, receipt.check), w._show(w.trace)),
        "funds": lambda w: (w.funds.show_funds(funds, "K-FUND"), w._show(w.funds)),
        "pin": lambda w: (w.ask_pin(), w.pin.field.setText("12"), w.pin.show_problem(i18n_tr("Wrong PIN."))),
    }


def png(width: int, height: int, rows: bytes) -> bytes:
    """A PNG of 8-bit RGB `rows` (each led by its filter byte), deflated at
    level 1. Pillow and Qt both try every row filter on every row, five times
    the cost of the deflating itself: here, hundreds of screenshots a run."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


class Shots:
    """Grabs on the GUI thread, deflating and writing on another (zlib lets go
    of the GIL): the next screen is set up while the last is written."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending = []

    def save(self, window, path: Path) -> None:
        image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        width, height, stride, data = image.width(), image.height(), image.bytesPerLine(), image.constBits()
        rows = b"".join(b"\0" + data[y * stride : y * stride + 3 * width] for y in range(height))  # filter 0: none
        self.pending.append(self.pool.submit(lambda: path.write_bytes(png(width, height, rows))))

    def finish(self) -> None:
        for job in self.pending:
            job.result()
        self.pool.shutdown()


def wanted(size: tuple[int, int], mode: str, name: str) -> bool:
    """Which shots the matrix takes: high contrast and large text on one of each kind of screen."""
    if size == (1280, 800):  # the counter's size, where the bar once lost its words: the start screen says it
        return mode == "normal" and name == "home"
    return mode == "normal" or name in EVERY_MODE


@pytest.mark.screenshots
def test_every_screen_at_every_size_language_and_mode(qtbot, cjk, city, arrivals):
    """Every kiosk screen at every size a kiosk has (portrait too), in both
    languages, normal, high contrast and large text, into build/screenshots/kiosk/;
    on each: nothing clipped, squashed or overlapping, every touch target at
    least MIN_TARGET px. High contrast and large text: one of each kind of screen."""
    OUT.mkdir(parents=True, exist_ok=True)
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)))
    shots, written, problems, gaps = Shots(), [], [], []
    try:
        # Sizes and modes outermost: each restyles every widget; a language switch is cheap.
        for width, height in SIZES:
            window.resize(width, height)
            for mode in MODES:
                if not any(wanted((width, height), mode, name) for name in arrivals):
                    continue
                window.set_high_contrast(mode == "high-contrast")
                window.set_large_text(mode == "large-text")
                for language in LANGUAGES:
                    i18n.set_language(language)
                    for name, show in arrivals.items():
                        if not wanted((width, height), mode, name):
                            continue
                        show(window)
                        settle()
                        where = f"{name} {width}×{height} {language} {mode}"
                        found = layout_problems(window) + interactive_problems(window)
                        found += clipped_or_overlapping(window)
                        known = mode == "large-text" and (name, (width, height)) in LARGE_TEXT_GAPS
                        (gaps if known else problems).extend(f"{where}: {p}" for p in found)
                        suffix = "" if mode == "normal" else f"-{mode}"
                        path = OUT / f"{width}x{height}-{language}-{name}{suffix}.png"
                        shots.save(window, path)
                        written.append(path)
    finally:
        shots.finish()
        (OUT / "large-text-gaps.txt").write_text("".join(f"{gap}\n" for gap in gaps), encoding="utf-8")
        i18n.set_language("zh_CN")
        window.tasks.wait()
        window._leaving = True
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    per_size = len(LANGUAGES) * (len(arrivals) + (len(MODES) - 1) * len(EVERY_MODE))
    assert len(set(written)) == (len(SIZES) - 1) * per_size + len(LANGUAGES)
    assert all(p.stat().st_size > 10_000 for p in written)


def test_the_bar_keeps_its_words_after_a_resize_and_a_language_switch(qtbot, cjk, city):
    """1920×1080, then 1280×800, then the other language: the bar's buttons are
    laid out for their new words at once, before the event loop runs again (a
    screenshot taken then showed "English" and "工作人员" cut off)."""
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)))
    bar = window.findChildren(QAbstractButton, options=Qt.FindChildOption.FindChildrenRecursively)
    bar = [b for b in bar if b.objectName().startswith("bar-")]
    try:
        window.resize(1920, 1080)
        qtbot.wait(10)
        window.resize(1280, 800)
        for language in ("en", "zh_CN", "en"):
            i18n.set_language(language)
            QApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)  # the words only, no layout pass
            clipped = [
                f"{b.objectName()} {b.width()} < {b.sizeHint().width()}"
                for b in bar
                if b.width() < b.sizeHint().width()
            ]
            assert not clipped, (language, clipped)
    finally:
        i18n.set_language("zh_CN")
        window.tasks.wait()
        window._leaving = True


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


def test_the_kiosk_covers_a_bare_x_screen_and_stays_on_top(city, tmp_path):
    """`main.py kiosk` on a real X server with no window manager (xinit on a
    kiosk): the window covers the 1600×1000 screen (it used to open 688×629 in
    a corner), has no frame and asks to stay above everything."""
    with bare_x(1600, 1000) as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", CITYCHAIN_DATA=str(tmp_path))
        command = [sys.executable, "main.py", "kiosk", "--trust", str(city.path / BUNDLE_FILE)]
        command += ["--config", str(tmp_path / "kiosk.toml")]
        with (tmp_path / "kiosk.log").open("wb") as log:
            kiosk = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: windows(display, "CityChain") or kiosk.poll() is not None, timeout=60)
            assert kiosk.poll() is None, (tmp_path / "kiosk.log").read_text(errors="replace")
            wait_for(
                lambda: (
                    (windows(display, "CityChain")[0].width, windows(display, "CityChain")[0].height) == (1600, 1000)
                ),
                timeout=20,
            )
            window = windows(display, "CityChain")[0]
            assert (window.x, window.y, window.width, window.height) == (0, 0, 1600, 1000)
            assert "_NET_WM_STATE_ABOVE" in property_text(display, window, "_NET_WM_STATE")
            hints = property_text(display, window, "_MOTIF_WM_HINTS")  # flags 2 (decorations), decorations 0
            assert re.search(r"=\s*0x2, 0x\d+, 0x0\b", hints), hints
        finally:
            kiosk.terminate()
            kiosk.wait(10)


def test_the_kiosk_covers_the_screen_under_cage(city):
    """Smoke test under Cage, the kiosk compositor (headless wlroots): the
    kiosk window, on Wayland, is as large as Cage's output."""
    with cage_headless() as env:
        probe = [sys.executable, str(ROOT / "tests" / "kiosk_probe.py"), str(city.path / BUNDLE_FILE)]
        done = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["platform"] == "wayland"
    assert report["window"][2:] == report["screen"][2:] == [1280, 720]


def test_the_kiosk_follows_its_screen_size_and_the_screen_it_is_on(qtbot, cjk, city):
    """A new resolution, or another screen, and the window covers it again
    (Xvfb can neither change its size nor show Qt a second screen: the screen's
    signals stand in for the X server's)."""
    window = KioskWindow(LocalBackend(city.home(KIOSK_HOME)))
    qtbot.addWidget(window)
    cover = ScreenCover(window)
    try:
        cover.start()
        screen = window.windowHandle().screen()
        assert window.geometry() == screen.geometry()
        screen.geometryChanged.emit(QRect(0, 0, 1080, 1920))  # turned to portrait
        assert window.geometry() == QRect(0, 0, 1080, 1920)
        qtbot.waitUntil(lambda: abs(window._scale - theme.scale_for(1080, 1920)) < 0.01, timeout=2000)
        window.windowHandle().screenChanged.emit(screen)  # moved to (here: back to) a screen
        assert window.geometry() == screen.geometry() and cover.screen is screen
        assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
        assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    finally:
        window.tasks.wait()
        window._leaving = True

"""For every citizen (issue 16 item 4, 适老化): WCAG AA contrast measured over
every colour pair of the kiosk's and the counter's stylesheets, large-text
mode, speech rendered by espeak-ng, and an accessible name and description on
every control of every kiosk screen in both languages."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QProgressBar
from test_kiosk_flows import cjk  # noqa: F401  (fixture)
from test_kiosk_screens import layout_problems

from certificates.verify import Verdict
from ui import i18n
from ui.counter import style as counter_style
from ui.kiosk import speech, theme
from ui.kiosk.window import KioskWindow

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "screenshots" / "access"

AA_TEXT = 4.5


# -- contrast (WCAG 2.x) ----------------------------------------------------------------------


def luminance(colour: str) -> float:
    """Relative luminance of an sRGB `#rrggbb`, WCAG 2.x's definition."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_gives_the_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the well-known just-failing grey


def parse(sheet: str) -> dict[str, dict[str, str]]:
    """Selector → declarations, one entry per selector of a comma list (later rules win)."""
    rules: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"([^{}]+)\{([^{}]*)\}", sheet):
        declarations = dict(
            (k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in match.group(2).split(";") if ":" in d)
        )
        for selector in match.group(1).split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


def _colour(value: str | None) -> str | None:
    found = re.fullmatch(r"(#[0-9a-fA-F]{6})|white|black", value or "")
    return {"white": "#ffffff", "black": "#000000"}.get(found.group(0), found.group(0)) if found else None


def _bases(selector: str) -> list[str]:
    """The rules a selector inherits from, nearest first: `A[x][y]:s` → `A[x][y]`, `A[x]`, `A`."""
    out, current = [], selector
    while True:
        last = re.sub(r"(::?[\w-]+|\[[^\]]*\])$", "", current.split(" ")[-1])
        if last == current.split(" ")[-1] or not last:
            return out
        current = " ".join(current.split(" ")[:-1] + [last])
        out.append(current)


NO_TEXT = ("QScrollBar", "::handle", "::chunk")  # kiosk progress bars show no text (checked below)
CONTAINERS = re.compile(r"(QWidget|QFrame|QMainWindow|QDialog|QListWidget|QTableView|QTabWidget::pane|#[\w-]+)\b")


def _surface(selector: str, declarations: dict[str, str], ancestors: set[str]) -> bool:
    """A background that holds other widgets, whose text then sits on it."""
    return (
        bool(CONTAINERS.fullmatch(selector.split(" ")[-1].split("[")[0]))
        and " " not in selector
        and "color" not in declarations
        and ":" not in selector.replace("::pane", "")
        and not _context(selector, ancestors)
    )


def _context(selector: str, ancestors: set[str]) -> bool:
    """An ancestor of descendant rules (`QFrame[role="banner"]`) or one of its variants (`…[tone="good"]`)."""
    return any(selector == a or selector.startswith(a + "[") for a in ancestors)


def colour_pairs(sheet: str) -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every place text can be drawn.

    A rule's text colour is its own, its base rule's (`A[x]` for `A[x]:pressed`)
    or the sheet's `QWidget` colour; its background its own, its base's, its
    ancestor's for a descendant rule (`#header QLabel`: the header's, or each
    `[tone]` variant's), else every surface (a background-only rule that is no
    one's ancestor) a label could sit on. Disabled controls are exempt, as in
    WCAG 2.x §1.4.3 ("part of an inactive user interface component")."""
    rules = parse(sheet)
    default = _colour(rules.get("QWidget", {}).get("color"))

    def own(selector: str, prop: str) -> str | None:
        return _colour(rules.get(selector, {}).get(prop))

    def inherited(selector: str, prop: str) -> str | None:
        return next((c for s in [selector, *_bases(selector)] if (c := own(s, prop))), None)

    def variants(selector: str) -> list[str]:
        found = inherited(selector, "background")
        if found:
            return [found]
        return [c for s in rules if s.startswith(selector + "[") and (c := own(s, "background"))]

    ancestors = {s.rsplit(" ", 1)[0] for s in rules if " " in s and ">" not in s}
    surfaces = sorted({c for s, d in rules.items() if _surface(s, d, ancestors) and (c := own(s, "background"))})
    pairs = []
    for selector, declarations in rules.items():
        if any(n in selector for n in NO_TEXT) or ":disabled" in selector:
            continue
        if "color" not in declarations and not own(selector, "background"):
            continue  # no colour of its own (or transparent): measured where its colours come from
        if _context(selector, ancestors) and "color" not in declarations:
            continue  # a container whose text the descendant rules colour
        fg = inherited(selector, "color") or default
        if " " in selector and not inherited(selector, "background"):
            backgrounds = variants(selector.rsplit(" ", 1)[0]) or surfaces
        else:
            backgrounds = [b] if (b := inherited(selector, "background")) else surfaces
        pairs += [(selector, fg, bg) for bg in backgrounds]
        if (sel_fg := own(selector, "selection-color")) and (sel_bg := own(selector, "selection-background-color")):
            pairs.append((selector + " (selected)", sel_fg, sel_bg))
    return pairs


SHEETS = {
    "kiosk": theme.stylesheet(1.0, False),
    "kiosk high contrast": theme.stylesheet(1.0, True),
    "counter": counter_style.STYLESHEET,
}


@pytest.mark.parametrize("name", SHEETS)
def test_every_text_colour_has_aa_contrast_with_what_it_sits_on(name):
    pairs = colour_pairs(SHEETS[name])
    assert len(pairs) > 20  # the parser found the sheet's rules, not nothing
    failing = [f"{s}: {fg} on {bg} = {contrast(fg, bg):.2f}" for s, fg, bg in pairs if contrast(fg, bg) < AA_TEXT]
    assert not failing, "\n".join(failing)


def test_the_pair_finder_catches_a_low_contrast_rule():
    sheet = theme.stylesheet(1.0, False) + 'QLabel[role="faint"] { color: #9aa5b1; }'
    faint = [(fg, bg) for s, fg, bg in colour_pairs(sheet) if s == 'QLabel[role="faint"]']
    assert faint and min(contrast(fg, bg) for fg, bg in faint) < AA_TEXT
    banner = [bg for s, _, bg in colour_pairs(sheet) if s.endswith('QLabel[role="headline"]')]
    assert sorted(banner) == sorted({theme.NORMAL.good, theme.NORMAL.warn, theme.NORMAL.bad})


# -- large text ---------------------------------------------------------------------------------


def font_sizes(sheet: str) -> list[int]:
    return [int(n) for n in re.findall(r"font-size: (\d+)px", sheet)]


@pytest.mark.parametrize("scale", [0.6, 0.64, 0.8, 1.0, 1.4])
def test_large_text_makes_every_type_size_at_least_half_as_large_again(scale):
    normal, large = font_sizes(theme.stylesheet(scale, False)), font_sizes(theme.stylesheet(scale, False, True))
    assert len(normal) == len(large) > 20
    assert all(big >= theme.LARGE_TEXT * small for small, big in zip(normal, large, strict=True))
    assert theme.text_px(26, scale, True) >= theme.LARGE_TEXT * theme.text_px(26, scale)  # the flow's labels


# -- speech -------------------------------------------------------------------------------------

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def wav_seconds(path: Path) -> float:
    """Length of a WAV file, after checking it holds sound (not only silence)."""
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() >= 1 and audio.getsampwidth() == 2
        frames = audio.readframes(audio.getnframes())
        assert any(frames[i : i + 2] not in (b"\0\0", b"\xff\xff") for i in range(0, len(frames), 2))
        return audio.getnframes() / audio.getframerate()


REAL_POPEN = subprocess.Popen


class FakeEspeak:
    """Stands in for espeak-ng as on a kiosk with no sound device: exits at once with an error."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], threading.Thread]] = []

    def __call__(self, argv, **_):
        self.calls.append((list(argv), threading.current_thread()))
        return REAL_POPEN(["sh", "-c", "exit 1"])

    def voices(self) -> list[str]:
        return [argv[argv.index("-v") + 1] for argv, _ in self.calls]


class Offline:
    """The two things a kiosk window asks its backend before anyone scans: these
    tests need no city, only screens to show (the verdicts are built here)."""

    def agency_name(self, agency: str) -> tuple[str, str]:
        return ("上海市民政局", "Shanghai Civil Affairs Bureau")

    def where(self) -> tuple[str, str]:
        return ("本机节点", "This kiosk's node")


REVOKED = Verdict(
    code="REVOKED",
    cert_id="1.2.156.3005.2.11.000000000000000042.1",
    type="marriage-certificate",
    issuer="civil-affairs",
    issuer_name_zh="上海市民政局",
    issuer_name_en="Shanghai Civil Affairs Bureau",
    fields={
        "holder_name": "张三丰",
        "holder_id": "110101199003070019",
        "spouse_name": "李秀英",
        "spouse_id": "11010119910307002X",
        "registered_on": "2024-05-20",
    },
    valid_from="2024-05-20",
    issued_at="2024-05-20T02:00:00Z",
    status_checked=True,
    status_as_of="2026-03-01T08:00:00Z",
    cosigners=("city-root", "public-security"),
    source="qr",
)
FUND = {
    "id": "F1",
    "name_zh": "乡村图书基金",
    "name_en": "Village library fund",
    "raised_fen": 3_000_000,
    "target_fen": 5_000_000,
    "donations": 300,
    "disbursed_fen": 1_000_000,
    "acknowledged_fen": 500_000,
    "unspent_fen": 2_000_000,
    "projects": [{"name_zh": "图书室", "name_en": "Libraries", "budget_fen": 2_000_000, "allocated_fen": 1_500_000}],
}


def kiosk_window(qtbot) -> KioskWindow:
    window = KioskWindow(Offline())
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def close(window) -> None:
    window.speaker.stop()
    window.speaker.tasks.wait()
    window.tasks.wait()
    window._leaving = True


@needs_espeak
def test_the_verdict_is_spoken_in_chinese_and_english_off_the_gui_thread(qtbot, cjk, tmp_path, monkeypatch):
    window = kiosk_window(qtbot)
    fake = FakeEspeak()
    monkeypatch.setattr(speech.subprocess, "Popen", fake)
    try:
        window._result(REVOKED)
        window.speaker.tasks.wait()
        assert not fake.calls and not window.speech_button.isChecked()  # off by default
        window.speech_button.click()  # the one button
        qtbot.waitUntil(lambda: len(fake.calls) >= 1, timeout=5000)
        window.speaker.tasks.wait()
        # espeak-ng "failed" (no sound device): the kiosk is still here and said nothing more.
        assert fake.voices() == ["cmn"] and fake.calls[0][1] is not threading.main_thread()
        assert window.current() is window.verdict
        words = speech.verdict_words(REVOKED)
        assert [w.language for w in words] == ["zh", "en"] and "撤销" in words[0].text and "evoked" in words[1].text
        monkeypatch.undo()
        for utterance in words:  # what a person hears, rendered to a file instead of a loudspeaker
            path = tmp_path / f"{utterance.language}.wav"
            speech.render(utterance, path)
            assert wav_seconds(path) > 1.0
        window.set_speech(False)
        monkeypatch.setattr(speech.subprocess, "Popen", fake)
        window.go_home()
        window.speaker.tasks.wait()
        assert len(fake.calls) == 1  # off again: nothing more is said
    finally:
        close(window)


@needs_espeak
def test_instructions_are_read_in_the_language_on_screen_and_a_new_screen_stops_the_last(qtbot, cjk):
    window = kiosk_window(qtbot)
    try:
        window.set_speech(True)  # the real espeak-ng, on a machine that may have no sound device: never a crash
        window._enter("receipt")
        words = speech.screen_words(window.entry)
        assert [w.language for w in words] == ["zh"] and "收据" in words[0].text
        i18n.set_language("en")
        assert [w.language for w in speech.screen_words(window.entry)] == ["en"]
        window.go_home()
        assert window.speaker.tasks.wait(20000)
        assert window.current() is window.home
    finally:
        i18n.set_language("zh_CN")
        close(window)


# -- every screen: large text fits, every control is named and described ------------------------

LARGE_SIZES = ((1280, 800), (1024, 768))


def screens():
    """(name, how to get there) for each kind of kiosk screen."""
    return [
        ("home", lambda w: w.go_home()),
        ("verdict-revoked", lambda w: w._result(REVOKED)),
        ("verdict-revoked-numbers", lambda w: (w._result(REVOKED), w.verdict.show_numbers.setChecked(True))),
        ("keyboard-id", lambda w: (w._enter("id"), w.entry.field.setText("1.2.156.3005.2."))),
        ("keyboard-receipt", lambda w: (w._enter("receipt"), w.entry.field.setText("D-0000001-"))),
        ("files", lambda w: (w.files.show_candidates([]), w._show(w.files))),
        ("funds", lambda w: (w.funds.show_funds([FUND]), w._show(w.funds))),
        ("busy", lambda w: (w.busy.start("Checking…"), w._show(w.busy))),
        (
            "message",
            lambda w: (
                w.message.show_message("E", "文件太大。", "The file is too large.", "This file was refused"),
                w._show(w.message),
            ),
        ),
        ("pin", lambda w: (w.ask_pin(), w.pin.show_problem("密码错误。"))),
    ]


CONTROL_ROLES = {
    QAccessible.Role.PushButton,
    QAccessible.Role.CheckBox,
    QAccessible.Role.RadioButton,
    QAccessible.Role.EditableText,
    QAccessible.Role.ComboBox,
    QAccessible.Role.SpinBox,
    QAccessible.Role.List,
    QAccessible.Role.Table,
    QAccessible.Role.PageTab,
    QAccessible.Role.Slider,
}


def unnamed_controls(root, described: bool = True) -> list[str]:
    """Walk the accessibility tree (what a screen reader sees) for controls without a name or description."""
    problems, seen = [], 0
    stack = [QAccessible.queryAccessibleInterface(root)]
    while stack:
        node = stack.pop()
        if node is None or not node.isValid() or node.state().invisible:
            continue
        if node.role() not in (QAccessible.Role.Table, QAccessible.Role.List, QAccessible.Role.Tree):
            stack += [node.child(i) for i in range(node.childCount())]  # cells are data, not controls
        if node.role() not in CONTROL_ROLES:
            continue
        seen += 1
        what = node.object().objectName() if node.object() else str(node.role())
        if not node.text(QAccessible.Text.Name).strip():
            problems.append(f"{what}: no accessible name")
        elif described and not node.text(QAccessible.Text.Description).strip():
            problems.append(f"{what} ({node.text(QAccessible.Text.Name)}): no accessible description")
    assert seen, "the walk found no control at all"
    return problems


def settle() -> None:
    """Deliver what a language change or a restyle posted (texts, then layouts) before measuring or grabbing."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_every_kiosk_screen_in_large_text_fits_and_names_and_describes_every_control(qtbot, cjk):
    OUT.mkdir(parents=True, exist_ok=True)
    window = kiosk_window(qtbot)
    window.set_large_text(True)
    problems, written = [], []
    try:
        for width, height in LARGE_SIZES:
            window.resize(width, height)
            for language in ("zh_CN", "en"):
                i18n.set_language(language)
                for name, go in screens():
                    go(window)
                    settle()
                    where = f"{name} {width}×{height} {language}"
                    problems += [f"{where}: {p}" for p in layout_problems(window)]
                    if (width, height) == LARGE_SIZES[0]:  # names do not change with the size
                        problems += [f"{where}: {p}" for p in unnamed_controls(window)]
                        problems += [
                            f"{where}: a progress bar draws text (its contrast is not measured)"
                            for bar in window.findChildren(QProgressBar)
                            if bar.isVisible() and bar.isTextVisible()
                        ]
                    path = OUT / f"{width}x{height}-{language}-{name}-large-text.png"
                    assert window.grab().save(str(path), "PNG", 80)
                    written.append(path)
                    window.go_home()
        label = window.home.hero
        window.set_large_text(False)
        normal = label.font().pixelSize()
        window.set_large_text(True)
        assert label.font().pixelSize() >= theme.LARGE_TEXT * normal  # what Qt draws, not only the sheet
    finally:
        i18n.set_language("zh_CN")
        close(window)
    assert not problems, "\n".join(problems[:40])
    assert len(written) == len(LARGE_SIZES) * 2 * len(screens())


def test_the_walk_finds_a_control_without_a_name(qtbot, cjk):
    from PySide6.QtWidgets import QPushButton

    window = kiosk_window(qtbot)
    try:
        assert not [p for p in unnamed_controls(window) if "mystery" in p]
        stray = QPushButton("", window.home)
        stray.setObjectName("mystery")
        stray.show()
        assert any(p.startswith("mystery: no accessible name") for p in unnamed_controls(window))
    finally:
        close(window)

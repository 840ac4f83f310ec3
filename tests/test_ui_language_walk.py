"""Every screen and dialog in each language speaks only that language (issue 16
item 3): the kiosk's screens and the counter's pages, tabs and the dialogs a
clerk opens with the keyboard are walked in Chinese and in English, and every
piece of interface text on them (labels, buttons, titles, tabs, placeholders,
table headers, tool tips; ours and Qt's) is read. The English interface must
show no Chinese character, the Chinese one no English word.

What is exempt is listed below, each with its reason: data (names, addresses,
codes, what a record holds) and the places that are bilingual by design (the
kiosk's verdict, error sentences that carry both languages). A widget is
exempt by a marker property (`bilingual` or `data`, set in ui/) on it or on a
widget holding it; a few single texts by the widget's object name; known data
inside a sentence is taken out before the sentence is judged."""

from __future__ import annotations

import re

import pytest
from counter_support import build_city, close_window, open_window, sign_in, style_app, wait_idle
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)
from test_kiosk_flows import city, cjk, make_window, media  # noqa: F401  (fixtures)
from test_kiosk_screens import KIOSK_HOME, forked_home, screen_arrivals, settle  # noqa: F401  (fixtures)

from democity import spec
from democity.samples import SAMPLES
from ui import i18n
from ui.counter.first_start import FirstStartWindow
from ui.kiosk.backend_local import LocalBackend

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")
WORD = re.compile(r"[A-Za-z]{3,}")
TAGS = re.compile(r"<[^>]*>|&[a-z]+;")

# Marker properties set in ui/ on widgets whose text is not interface text.
MARKERS = {
    "bilingual": "shows both languages side by side by design (the kiosk's verdict, bilingual error sentences)",
    "data": "shows data: names, addresses, codes, what a record or a document holds",
}
# One text of one widget, exempt by the widget's object name, where a marker would not fit.
EXEMPT_TEXTS = {
    ("kiosk", "title"): "the kiosk's window title, never shown (frameless, full screen), is how X tools "
    "and the bare-X test find the window; the brand in both languages",
    ("bar-language", "button"): "the language switch names the language it switches to, in that language",
    ("languageButton", "button"): "the counter's language switch, likewise",
    ("banner", "tip"): "a counter banner's tool tip repeats its message in the other language, by design",
}
# Data the walk meets inside sentences of the interface (a holder's name in the
# confirmation before signing, the signed-in user's name and login beside their
# role, the demo accounts on the sign-in page): taken out of a text before it is
# judged. Only free text of the samples (names, addresses), not their choice codes.
DATA = sorted(
    {*spec.PASSWORDS, *spec.PASSWORDS.values(), *spec.DISPLAY_NAMES.values()}
    | {str(v) for sample in SAMPLES.values() for v in sample.values() if CJK.search(str(v))},
    key=len,
    reverse=True,
)
# Tokens of three or more ASCII letters that stay as they are in the Chinese
# interface (shorter ones, QR, ID, OK, are never taken for English words).
ALLOWED = {
    *"PDF USB PIN CSV URL HTTP HTTPS TLS JSON API SQLite SHA Ed25519 CUPS PNG JPEG JPG".split(),  # technical
    *"SM2 SM3 SM4 RFC C2SP YYYY-MM-DD".split(),  # standards and formats
    *"Ctrl Esc Shift Alt Tab Enter".split(),  # keys as their caps are printed, in shortcut hints (Ctrl+P)
} | {agency.id for agency in spec.AGENCIES}  # agency ids (civil-affairs) are codes


def exempt(widget: QWidget, root: QWidget) -> str | None:
    """Why `widget` (or a widget holding it) is not interface text, or None."""
    while widget is not None:
        for marker in MARKERS:
            if widget.property(marker):
                return marker
        if widget is root:
            return None
        widget = widget.parentWidget()
    return None


def texts_of(widget: QWidget) -> list[tuple[str, str]]:
    """The interface text one widget shows: (what, text) pairs."""
    found = []
    if isinstance(widget, QLabel):
        found.append(("label", widget.text()))
    elif isinstance(widget, QAbstractButton):
        found.append(("button", widget.text()))
    elif isinstance(widget, QGroupBox):
        found.append(("group", widget.title()))
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)):
        found.append(("placeholder", widget.placeholderText()))
    if isinstance(widget, QComboBox):
        found += [("item", widget.itemText(i)) for i in range(widget.count())]
    if isinstance(widget, QTabBar):
        found += [("tab", widget.tabText(i)) for i in range(widget.count())]
        found += [("tab tip", widget.tabToolTip(i)) for i in range(widget.count())]
    if isinstance(widget, QHeaderView) and widget.model() is not None:
        found += [
            ("header", str(widget.model().headerData(i, widget.orientation()) or ""))
            for i in range(widget.count())
            if not widget.isSectionHidden(i)
        ]
    if isinstance(widget, QMessageBox):
        found += [("message", widget.text()), ("message", widget.informativeText())]
    if widget.isWindow():
        found.append(("title", widget.windowTitle()))
    found.append(("tip", widget.toolTip()))
    return [(what, TAGS.sub(" ", text)) for what, text in found if text and text.strip()]


def english_words(text: str) -> list[str]:
    """Words of three or more ASCII letters that are not codes or allowed tokens."""
    words = []
    for token in TOKEN.findall(text):
        token = token.rstrip(".:/-")
        if token in ALLOWED or any(c.isdigit() for c in token) or "/" in token or "@" in token:
            continue
        words += [w for w in WORD.findall(token) if w not in ALLOWED]
    return words


def without_data(text: str) -> str:
    """`text` with the known data values (DATA) blanked out."""
    for value in DATA:
        if value.isascii():
            text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", " ", text)
        else:
            text = text.replace(value, " ")
    return text


def foreign(text: str, language: str) -> str | None:
    text = without_data(text)
    if language == "en":
        return "Chinese" if CJK.search(text) else None
    words = english_words(text)
    return f"English {words}" if words else None


SEEN: dict[str, set[str]] = {language: set() for language in i18n.LANGUAGES}  # every text judged, per language


def language_problems(root: QWidget, language: str, where: str) -> list[str]:
    """Interface text under `root` (visible widgets only) that is in the other language."""
    problems = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or exempt(widget, root):
            continue
        for what, text in texts_of(widget):
            if (widget.objectName(), what) in EXEMPT_TEXTS:
                continue
            SEEN[language].add(text.strip())
            why = foreign(text, language)
            if why:
                name = widget.objectName() or type(widget).__name__
                problems.append(f"{where} [{language}] {name} {what} {text.strip()[:80]!r}: {why}")
    return problems


@pytest.fixture(autouse=True)
def fresh_seen():
    for seen in SEEN.values():
        seen.clear()


def test_the_word_rules_catch_what_they_should():
    assert foreign("签发 Cancel", "zh_CN") and foreign("Sign 签发", "en")
    assert not foreign("扫描 QR 码，插入 USB，输入 PIN", "zh_CN")
    assert not foreign("收据编号 D-00000011-V，机构 civil-affairs，https://127.0.0.1:8443", "zh_CN")
    assert not foreign("Scan the QR code", "en")
    assert foreign("Signed: 营业执照", "en") and foreign("已签发 business licence", "zh_CN")


# -- the kiosk -----------------------------------------------------------------------
def test_every_kiosk_screen_speaks_one_language(qtbot, cjk, city, media, forked_home):  # noqa: F811
    arrivals = screen_arrivals(city, media, forked_home)
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)))
    problems = []
    try:
        for language in i18n.LANGUAGES:
            i18n.set_language(language)
            for name, show in arrivals.items():
                show(window)
                settle()
                problems += language_problems(window, language, f"kiosk {name}")
    finally:
        i18n.set_language("zh_CN")
        window.tasks.wait()
        window._leaving = True
    assert len(arrivals) >= 21
    # Read: our words on every screen (the verdict's button among them); not read: the bilingual verdict.
    assert {"完成", "Done", "返回", "Back"} <= SEEN["zh_CN"] | SEEN["en"]
    assert not {"证照已撤销", "Revoked"} & (SEEN["zh_CN"] | SEEN["en"])
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# -- the counter ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def counter_city(tmp_path_factory):
    return build_city(tmp_path_factory.mktemp("language-walk") / "city")


@pytest.fixture
def styled(qapp):
    style_app(qapp)
    yield qapp
    i18n.set_language("zh_CN")


def switch(language: str) -> None:
    """As a clerk switches, at run time (each switch retranslates every widget alive: only when needed)."""
    if i18n.current_language() != language:
        i18n.set_language(language)
        QApplication.processEvents()  # the language change is posted


def walk(qtbot, root: QWidget, where: str, window=None) -> list[str]:
    """`root` in each language."""
    problems = []
    for language in i18n.LANGUAGES:
        switch(language)
        if window is not None:
            wait_idle(qtbot, window)
        problems += language_problems(root, language, where)
    switch("zh_CN")
    return problems


def walk_pages(qtbot, window, where: str) -> list[str]:
    """Every desk of the workspace and each of its tabs, in each language."""
    problems = []
    for language in i18n.LANGUAGES:
        switch(language)
        for key, page in window.workspace.pages.items():
            window.workspace.show_page(key)
            tabs = getattr(page, "tabs", None)
            for index in range(tabs.count() if tabs is not None else 1):
                if tabs is not None:
                    tabs.setCurrentIndex(index)
                wait_idle(qtbot, window)
                problems += language_problems(window, language, f"{where} {key}/{index}")
    switch("zh_CN")
    return problems


def walk_modal(qtbot, open_it, where: str) -> list[str]:
    """A dialog run with exec() (its own event loop): walked while it is open, then closed, in each language."""
    problems = []
    for language in i18n.LANGUAGES:
        switch(language)

        def look(language=language) -> None:
            box = QApplication.activeModalWidget()
            assert box is not None, f"{where}: no dialog opened"
            problems.extend(language_problems(box, language, where))
            box.reject()

        QTimer.singleShot(0, look)
        open_it()
    switch("zh_CN")
    return problems


def walk_dialogs(qtbot, openers: dict, window) -> list[str]:
    """Window-modal dialogs (where: how to open one), each opened in each language:
    while one is open, its window's language switch is out of reach."""
    problems = []
    for language in i18n.LANGUAGES:
        switch(language)
        for where, open_it in openers.items():
            dialog: QDialog = open_it()
            qtbot.waitUntil(dialog.isVisible, timeout=5000)
            wait_idle(qtbot, window)
            problems += language_problems(dialog, language, where)
            dialog.reject()
    switch("zh_CN")
    return problems


def receipt_dialog(qtbot, donation) -> QDialog:
    donation.last_dialog = None
    donation.show_receipt()
    qtbot.waitUntil(lambda: getattr(donation, "last_dialog", None) is not None, timeout=20000)
    return donation.last_dialog


def test_every_counter_page_and_dialog_speaks_one_language(qtbot, styled, counter_city):
    first = FirstStartWindow(counter_city.path)
    qtbot.addWidget(first)
    first.show()
    first.stack.setCurrentWidget(first.creating)
    problems = walk(qtbot, first, "first start creating")
    first.start()
    problems += walk(qtbot, first, "first start agency")
    first.close()

    window = open_window(qtbot, counter_city, "market-regulation")
    try:
        problems += walk(qtbot, window, "sign-in", window)
        window.signin.user.setText("clerk")
        window.signin.password.setText("wrong-password-1")
        window.signin.sign_in()
        qtbot.waitUntil(lambda: not window.signin.banner.isHidden(), timeout=10000)
        problems += walk(qtbot, window, "sign-in refused", window)
        sign_in(qtbot, window, "supervisor")
        problems += walk_pages(qtbot, window, "market-regulation")

        issue = window.workspace.show_page("issue")
        issue.form.set_values(dict(SAMPLES["business-licence"], uscc="91330106MA2K0A1B2X", established="2019-13-01"))
        issue.sign()
        problems += walk(qtbot, window, "issue errors", window)
        issue.form.set_values(SAMPLES["business-licence"])
        problems += walk_modal(qtbot, lambda: issue._ask(issue._summary(SAMPLES["business-licence"])), "confirm")
        issue.confirm = lambda summary: True
        issue.sign()
        qtbot.waitUntil(lambda: issue.document.pdf is not None, timeout=20000)
        problems += walk(qtbot, window, "issue signed", window)
        problems += walk_dialogs(qtbot, {"printer": lambda: issue.document.choose_printer(then_print=False)}, window)

        records = window.workspace.show_page("records")
        qtbot.waitUntil(lambda: records.model.total > 0, timeout=10000)
        records.open_record(records.model.rows[0].cert_id)
        qtbot.waitUntil(lambda: records.detail.detail is not None, timeout=10000)
        for index in range(records.detail.tabs.count()):
            records.detail.tabs.setCurrentIndex(index)
            problems += walk(qtbot, window, f"record detail/{index}", window)
        changes = {
            f"{key} dialog": lambda key=key: records.detail.change(key) for key in ("suspend", "revoke", "supersede")
        }
        problems += walk_dialogs(qtbot, changes, window)
    finally:
        wait_idle(qtbot, window)
        close_window(window)

    window = open_window(qtbot, counter_city, "charity-federation")
    try:
        sign_in(qtbot, window, "supervisor")
        page = window.workspace.show_page("charity")
        qtbot.waitUntil(lambda: page.donation.fund.count() > 0, timeout=10000)
        page.donation.amount.setText("500")
        page.donation.donor.setText(spec.DISPLAY_NAMES["clerk"])
        page.donation.record()
        qtbot.waitUntil(lambda: page.donation.last is not None, timeout=10000)
        problems += walk_pages(qtbot, window, "charity-federation")  # the donation's banner, then every tab
        page.show_trace(page.donation.last.id)
        qtbot.waitUntil(lambda: page.trace.result is not None, timeout=10000)
        problems += walk(qtbot, window, "charity trace", window)
        page.tabs.setCurrentWidget(page.funds)
        dialogs = {make: getattr(page.funds, make) for make in ("fund_dialog", "project_dialog", "allocate_dialog")}
        dialogs["receipt"] = lambda: receipt_dialog(qtbot, page.donation)
        problems += walk_dialogs(qtbot, dialogs, window)
    finally:
        wait_idle(qtbot, window)
        close_window(window)

    window = open_window(qtbot, counter_city, "civil-affairs")
    try:
        sign_in(qtbot, window, "clerk")
        problems += walk_pages(qtbot, window, "civil-affairs")
    finally:
        wait_idle(qtbot, window)
        close_window(window)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    # The walk read what it should: Qt's own buttons, and the banner after signing in each language.
    assert {"取消", "签发", "Cancel", "Sign"} <= SEEN["zh_CN"] | SEEN["en"]
    assert any(t.startswith("Signed: Business licence ") for t in SEEN["en"]), "the signed banner was not read"
    assert any(t.startswith("已签发营业执照：") for t in SEEN["zh_CN"])

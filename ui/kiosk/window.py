"""The kiosk's one window: a bar (home, language, contrast, administrator), the
screens, and the rules that bind them — a scan works on every screen, slow
work runs through `ui.tasks` behind a busy screen, a session ends after the
idle timeout and leaves nothing behind, and only the PIN closes the window.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLayout,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from certificates.verify import Verdict
from citychain.errors import CityChainError
from ui import i18n
from ui.tasks import Tasks

from . import files, speech, theme
from .backend import (
    KioskBackend,
    KioskError,
    Receipt,
    certificate_id,
    classify,
    receipt_of,
)
from .config import KioskConfig, check_pin
from .flow_layout import FlowLayout
from .idle import IdleWatcher
from .scanner import ScannerFilter
from .screen_trace import FundsScreen, TraceScreen
from .screen_verdict import VerdictScreen
from .screens_basic import BusyScreen, HomeScreen, MessageScreen
from .screens_input import EntryScreen, FilesScreen, PinScreen
from .text import noop, tr
from .widgets import button, label, set_text

BUSY_DELAY_MS = 150  # quick answers go straight to their screen, without a flash of "checking"
MAX_PIN_TRIES, LOCKOUT_S = 5, 60


def relayout() -> None:
    """Lay out now what new words or a new style posted. Texts and fonts
    change at once but layouts follow one event-loop pass later; anything
    looking in between (a grab, the next resize) saw buttons at their old
    widths, their words clipped (1280×800 after a language switch)."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


class KioskWindow(QWidget):
    exit_requested = Signal()
    shown = Signal(str)  # the object name of the screen now on show (tests and benchmarks wait on it)

    def __init__(self, backend: KioskBackend, config: KioskConfig = KioskConfig(), tasks: Tasks | None = None) -> None:
        super().__init__()
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setWindowTitle("CityChain 可信城市")
        self.backend, self.config = backend, config
        self.tasks = tasks or Tasks(max_threads=2)
        self.high_contrast = config.high_contrast
        self.large_text = False
        self.speaker = speech.Speaker()
        self._scale = 0.0
        self._portrait = False
        self._generation = 0
        self._task = None
        self._leaving = False
        self._pin_failures: list[float] = []
        self._build()
        self.scanner = ScannerFilter(config.scanner_gap_ms, config.scanner_min_chars, self).install()
        self.scanner.scanned.connect(self.open_code)
        self.idle = IdleWatcher(config.idle_timeout_s, self).install()
        self.idle.expired.connect(self.reset_session)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self._show(self.busy))
        self.apply_theme()
        self.retranslate()
        self._show(self.home)

    # -- construction ---------------------------------------------------------------
    def _build(self) -> None:
        names = self.backend.agency_name
        self.home, self.busy, self.message = HomeScreen(), BusyScreen(), MessageScreen()
        self.verdict, self.entry, self.files = VerdictScreen(names), EntryScreen(), FilesScreen()
        self.trace, self.funds, self.pin = TraceScreen(names), FundsScreen(), PinScreen()
        self.files.limit_mb = self.config.max_file_mb
        self.stack = QStackedWidget()
        self.pages: dict[QWidget, QWidget] = {}
        for screen in (
            self.home,
            self.busy,
            self.message,
            self.verdict,
            self.entry,
            self.files,
            self.trace,
            self.funds,
            self.pin,
        ):
            page = screen
            if not screen.scrolls_itself:  # on a small screen the page scrolls rather than crushing its content
                page = QScrollArea()
                page.setObjectName(f"page-{screen.objectName()}")
                page.setWidgetResizable(True)
                page.setFrameShape(QFrame.Shape.NoFrame)
                page.setWidget(screen)
            self.pages[screen] = page
            self.stack.addWidget(page)
        self.home.open_files.connect(self.show_files)
        self.home.type_id.connect(lambda: self._enter("id"))
        self.home.type_receipt.connect(lambda: self._enter("receipt"))
        self.home.show_funds.connect(lambda: self.show_funds())
        self.busy.cancel.connect(self.go_home)
        for screen in (self.message, self.entry, self.files, self.pin):
            screen.back.connect(self.go_home)
        for screen in (self.verdict, self.trace, self.funds):
            screen.done.connect(self.go_home)
        self.entry.submitted.connect(self._submitted)
        self.files.chosen.connect(self.open_candidate)
        self.files.refresh.connect(self.show_files)
        self.trace.show_funds.connect(lambda: self.show_funds(self._traced_fund()))
        self.pin.entered.connect(self._check_pin)

        bar = QFrame()
        bar.setProperty("role", "bar")
        self.brand = label("big", wrap=False, name="brand")
        self.home_button = button("bar-home", "bar")
        self.language_button = button("bar-language", "bar")
        self.contrast_button = button("bar-contrast", "bar", checkable=True)
        self.large_button = button("bar-large-text", "bar", checkable=True)
        self.speech_button = button("bar-speech", "bar", checkable=True)
        self.admin_button = button("bar-admin", "bar")
        self.home_button.clicked.connect(self.go_home)
        self.language_button.clicked.connect(self.toggle_language)
        self.contrast_button.toggled.connect(self.set_high_contrast)
        self.large_button.toggled.connect(self.set_large_text)
        self.speech_button.toggled.connect(self.set_speech)
        self.admin_button.clicked.connect(self.ask_pin)
        self.bar = bar
        row = QHBoxLayout(bar)
        row.setContentsMargins(24, 8, 24, 8)
        row.addWidget(self.brand)
        buttons = QWidget()
        flow = FlowLayout(buttons)  # more rows rather than clipped words (portrait, large text)
        for widget in (
            self.home_button,
            self.language_button,
            self.contrast_button,
            self.large_button,
            self.speech_button,
            self.admin_button,
        ):
            flow.addWidget(widget)
        row.addWidget(buttons, 1)
        self.footer = label("small", wrap=False, name="footer")
        layout = QVBoxLayout(self)
        # The screen decides the size, the type follows it (resizeEvent): never the other way round.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.stack, 1)
        footer_row = QHBoxLayout()
        footer_row.setContentsMargins(24, 0, 24, 0)
        footer_row.addWidget(self.footer)
        layout.addLayout(footer_row)

    # -- looks and words ----------------------------------------------------------------
    def apply_theme(self) -> None:
        scale = theme.scale_for(max(self.width(), 640), max(self.height(), 480))
        self._scale = scale
        self.setStyleSheet(theme.stylesheet(scale, self.high_contrast, self.large_text))
        self.trace.style_flow(theme.palette(self.high_contrast), theme.text_px(26, scale, self.large_text))
        self.verdict.set_scale(scale)
        relayout()
        self._fit_bar()

    def _fit_bar(self) -> None:
        """Large type on a narrow screen: the bar's buttons keep their words, the brand gives way;
        standing up, where height is plenty, the buttons take a second row instead."""
        self.brand.setVisible(True)
        self.brand.setVisible(self._portrait or self.bar.layout().sizeHint().width() <= self.width())
        self.bar.layout().activate()  # laid out for the new words now, not at the next event loop pass

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        portrait = self.height() > self.width()
        if portrait != self._portrait:
            self._portrait = portrait
            for screen in self.pages:
                screen.set_portrait(portrait)
        if abs(theme.scale_for(self.width(), self.height()) - self._scale) > 0.02:
            self.apply_theme()
        self._fit_bar()
        super().resizeEvent(event)

    def set_high_contrast(self, on: bool) -> None:
        # Restyling repolishes every widget (most of a second), so only a change
        # restyles; the button's `toggled` brings a change back here exactly once.
        self.contrast_button.setChecked(on)
        if on != self.high_contrast:
            self.high_contrast = on
            self.apply_theme()

    def set_large_text(self, on: bool) -> None:
        """Large-text mode (适老化): every text at least 1.5 times its size; restyled only on a change."""
        self.large_button.setChecked(on)
        if on != self.large_text:
            self.large_text = on
            for screen in self.pages:
                screen.set_large_text(on)
            self.apply_theme()

    def set_speech(self, on: bool) -> None:
        """Read the verdict and each screen's instructions aloud (off by default), starting with this screen."""
        self.speech_button.setChecked(on)
        self.speaker.set_enabled(on)
        if on:
            self.speaker.say(speech.screen_words(self.current()))

    def toggle_language(self) -> None:
        i18n.set_language("en" if i18n.chinese() else "zh_CN")

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)  # a language change reaches every screen in here
        if event.type() == QEvent.Type.LanguageChange:
            relayout()
        return handled

    def retranslate(self) -> None:
        self.brand.setText(tr("CityChain self-service"))
        set_text(self.home_button, "⌂ " + tr("Home"), tr("Home"), tr("Back to the start screen"))
        other = "English" if i18n.chinese() else "中文"
        switch = tr("Switch language to {language}").format(language=other)
        set_text(self.language_button, other, switch, tr("Shows every screen in the other language"))
        set_text(self.contrast_button, "◐ " + tr("High contrast"), tr("High contrast"), tr("Light text on black"))
        set_text(
            self.large_button, "A+ " + tr("Large text"), tr("Large text"), tr("Makes all text half as large again")
        )
        set_text(
            self.speech_button, "♪ " + tr("Read aloud"), tr("Read aloud"), tr("Reads the result and instructions aloud")
        )
        set_text(self.admin_button, tr("Staff"), tr("Staff: leave the kiosk (PIN)"), tr("For staff only"))
        zh, en = self.backend.where()
        self.footer.setText(zh if i18n.chinese() else en)
        self._fit_bar()

    # -- navigation ---------------------------------------------------------------------
    def current(self) -> QWidget:
        """The screen on show."""
        page = self.stack.currentWidget()
        return next(screen for screen, p in self.pages.items() if p is page)

    def _show(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(self.pages[screen])
        self.home_button.setVisible(screen is not self.home)
        self._fit_bar()
        if self.speaker.enabled and screen is not self.busy:
            self.speaker.say(speech.screen_words(screen))
        self.shown.emit(screen.objectName())

    def go_home(self) -> None:
        self._cancel()
        self._show(self.home)

    def _enter(self, mode: str) -> None:
        self.entry.open(mode)
        self._show(self.entry)

    def ask_pin(self) -> None:
        self.pin.clear()
        self._show(self.pin)
        self.pin.field.setFocus()

    # -- background work ------------------------------------------------------------------
    def _run(self, fn: Callable[..., Any], *args: Any, what: str, done: Callable[[Any], None]) -> None:
        self._cancel()
        self._generation += 1
        generation = self._generation
        self.busy.start(what)
        self._busy_timer.start()

        def finished(result: Any) -> None:
            if generation == self._generation:
                self._busy_timer.stop()
                self.idle.poke()
                done(result)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._busy_timer.stop()
                self._failed(exc)

        self._task = self.tasks.run(fn, *args, done=finished, failed=failed)

    def _cancel(self) -> None:
        self._generation += 1  # a late answer for the last person never reaches the screen
        self._busy_timer.stop()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CityChainError):
            refused = isinstance(exc, files.FileRefused)
            title = noop("This file was refused") if refused else noop("This could not be done")
            self.message.show_message(
                exc.code, exc.message_zh, exc.message_en, title, noop("Please try again, or ask staff.")
            )
        else:
            print(f"kiosk: unexpected {type(exc).__name__}", file=sys.stderr)  # the type only: no values in logs
            self.message.show_message(
                "ERROR",
                "出了点问题，请再试一次或请工作人员帮助。",
                "Something went wrong. Please try again or ask staff.",
                noop("This could not be done"),
            )
        self._show(self.message)

    # -- what people do -----------------------------------------------------------------------
    def open_code(self, text: str) -> None:
        """A scan (from any screen) or a code typed on the entry screen."""
        self._run(self.backend.open_code, text, what=noop("Checking…"), done=self._result)

    def _submitted(self, mode: str, text: str) -> None:
        """A typo is shown beside the field at once; only a well-formed code goes to the node."""
        try:
            if mode == "receipt" or classify(text) == "receipt":
                code = receipt_of(text)
            else:
                certificate_id(text)
        except KioskError as exc:
            self.entry.show_problem(exc.message_zh, exc.message_en)
            return
        if mode == "receipt" or classify(text) == "receipt":
            self.start_trace(code)
        else:
            self._run(self.backend.lookup_id, text, what=noop("Looking up the certificate…"), done=self._result)

    def _result(self, result: Verdict | Receipt) -> None:
        if isinstance(result, Receipt):
            self.start_trace(result.code, result.check)
            return
        self.verdict.show_verdict(result)
        self._show(self.verdict)

    def start_trace(self, code: str, check: tuple[str, str, str] | None = None) -> None:
        def traced(trace) -> None:
            self.trace.show_trace(trace.report, check)
            self._show(self.trace)

        self._run(self.backend.trace, code, what=noop("Tracing the donation…"), done=traced)

    def _traced_fund(self) -> str | None:
        return ((self.trace.report or {}).get("fund") or {}).get("id")

    def show_funds(self, first: str | None = None) -> None:
        self._run(
            self.backend.funds,
            what=noop("Loading the funds…"),
            done=lambda funds: (self.funds.show_funds(funds, first), self._show(self.funds)),
        )

    def show_files(self) -> None:
        self.files.show_candidates([], searching=True)
        self._show(self.files)
        self._run(
            files.list_documents,
            self.config.file_roots,
            what=noop("Looking for files…"),
            done=lambda found: (self.files.show_candidates(found), self._show(self.files)),
        )

    def open_candidate(self, candidate: files.Candidate) -> None:
        roots, limit = self.config.file_roots, self.config.max_file_bytes

        def check(path: Path) -> Verdict | Receipt:
            kind, data = files.read_document(path, roots, limit)
            return self.backend.open_file(kind, data)

        self._run(check, candidate.path, what=noop("Checking the file…"), done=self._result)

    # -- leaving and starting over -----------------------------------------------------------
    def _check_pin(self, pin: str) -> None:
        now = time.monotonic()
        self._pin_failures = [t for t in self._pin_failures if now - t < LOCKOUT_S]
        if len(self._pin_failures) >= MAX_PIN_TRIES:
            self.pin.show_problem(tr("Too many wrong PINs. Wait a minute and try again."))
        elif (accepted := check_pin(pin, self.config)) is not None:
            self.config = accepted  # with the PIN's hash moved to Argon2 if it was older
            self._leaving = True
            self.exit_requested.emit()
            self.close()
        else:
            self._pin_failures.append(now)
            self.pin.show_problem(tr("Wrong PIN."))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._leaving:
            self._cancel()  # an answer still on its way must not reach a closed (soon deleted) window
            self.speaker.stop()
            self.scanner.uninstall()
            self.idle.uninstall()
            super().closeEvent(event)
        else:
            event.ignore()  # Alt+F4 and friends: only the PIN leaves a kiosk

    def reset_session(self) -> None:
        """The person walked away: clear every screen, back to the start, defaults again."""
        self._cancel()
        self.scanner.clear()
        for screen in (self.verdict, self.entry, self.files, self.trace, self.funds, self.message, self.pin):
            screen.clear()
        if i18n.current_language() != self.config.language:
            i18n.set_language(self.config.language)
        if self.high_contrast != self.config.high_contrast:
            self.set_high_contrast(self.config.high_contrast)
        self.set_large_text(False)
        self.set_speech(False)
        self._show(self.home)

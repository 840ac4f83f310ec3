"""A USB QR scanner is a keyboard that types very fast and presses Enter.

`ScannerFilter` sits on the whole application, so a scan works on any screen
and whatever has focus. It holds back printable keys for a moment: a burst of
at least `min_chars` keys, each within `gap_ms` of the last, ended by Enter,
is a scan and goes to `scanned`; anything slower is a person at a keyboard,
and the held keys are handed on to the focused widget unchanged, in order.
The on-screen keyboard inserts text directly, not as key events, so it never
passes through here.
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
MAX_SCAN = 4096  # characters; a QR code holds at most ~4,300


class ScannerFilter(QObject):
    scanned = Signal(str)

    def __init__(self, gap_ms: int = 60, min_chars: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gap_s = gap_ms / 1000
        self.min_chars = min_chars
        self._held: list[tuple[int, Qt.KeyboardModifier, str]] = []  # key, modifiers, text
        self._last = 0.0
        self._fast = True  # every gap so far was scanner-fast
        self._replaying = False
        self._receiver: QObject | None = None
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(max(1, gap_ms))
        self._flush.timeout.connect(self.release)

    def install(self) -> ScannerFilter:
        QApplication.instance().installEventFilter(self)
        return self

    def uninstall(self) -> None:
        """Off the application: a closed kiosk must not hold back keys meant for other windows."""
        self.clear()
        QApplication.instance().removeEventFilter(self)

    def clear(self) -> None:
        """Forget held keys (the session ended): nothing typed survives it."""
        self._flush.stop()
        self._held.clear()
        self._receiver = None
        self._fast = True

    def eventFilter(self, receiver: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Every event of the application passes here: a type check first (isinstance is
        # a C-level test; asking Qt for the event's type builds a Python enum each time).
        if self._replaying or not isinstance(event, QKeyEvent):
            return False
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not receiver.isWidgetType():
            return False  # Qt hands key events from the window to the focus widget: act at the widget
        key = event.key()
        if kind != QEvent.Type.KeyPress:
            return bool(self._held) and self._printable(event)  # releases of held keys are held back too
        now = time.monotonic()
        if key in _ENTER and self._held:
            if self._fast and len(self._held) >= self.min_chars and now - self._last <= self.gap_s:
                code = "".join(t for _, _, t in self._held)
                self.clear()
                self.scanned.emit(code)
                return True
            self.release()
            return False
        if not self._printable(event):
            self.release()
            return False
        if self._held and now - self._last > self.gap_s:
            self._fast = False
        if not self._held:
            self._receiver = receiver  # where Qt sent the keys: a person's typing goes back there
        if len(self._held) < MAX_SCAN:
            self._held.append((key, event.modifiers(), event.text()))
        self._last = now
        self._flush.start()
        return True

    @staticmethod
    def _printable(event: QKeyEvent) -> bool:
        text = event.text()
        return len(text) == 1 and text.isprintable() and not (event.modifiers() & _MODIFIERS)

    def release(self) -> None:
        """A person was typing: give the held keys to the widget they were sent to."""
        self._flush.stop()
        held, self._held = self._held, []
        self._fast = True
        target, self._receiver = self._receiver, None
        if target is None or not held or not shiboken6.isValid(target):
            return
        self._replaying = True
        try:
            for key, modifiers, text in held:
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    QCoreApplication.sendEvent(target, QKeyEvent(kind, key, modifiers, text))
        finally:
            self._replaying = False

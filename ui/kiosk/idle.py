"""People walk away mid-way: after `timeout_s` without a touch, a click, a key
or a scan, `expired` fires and the kiosk clears itself for the next person."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QInputEvent, QInputMethodEvent
from PySide6.QtWidgets import QApplication

_ACTIVITY = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.KeyPress,
        QEvent.Type.InputMethod,
    }
)
_INPUT = (QInputEvent, QInputMethodEvent)  # the classes of every event type above


class IdleWatcher(QObject):
    expired = Signal()

    def __init__(self, timeout_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(timeout_s * 1000))
        self.timer.timeout.connect(self.expired)

    def install(self) -> IdleWatcher:
        QApplication.instance().installEventFilter(self)
        self.timer.start()
        return self

    def uninstall(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)

    def poke(self) -> None:
        """Activity that is not an input event (a finished task showing its result)."""
        self.timer.start()

    def eventFilter(self, receiver: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Every event of the application passes here: only input events are worth asking their type.
        if isinstance(event, _INPUT) and event.type() in _ACTIVITY:
            self.timer.start()
        return False

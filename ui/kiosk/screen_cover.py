"""Keeping the kiosk window over the whole of its screen.

`showFullScreen()` only asks a window manager. Many kiosks have none (`xinit`
straight into the kiosk), and then the window keeps whatever size it had. So
the window is also made frameless and on top, and sized to its screen's
geometry by hand; again whenever that screen changes size (a new mode through
xrandr) and whenever the window lands on another screen (a monitor unplugged,
Xinerama). Under a kiosk compositor (Cage) or Qt's EGLFS the window is given
the whole screen anyway, and the same calls change nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QWidget

KIOSK_FLAGS = Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint


class ScreenCover(QObject):
    """Holds one top-level window to its screen's geometry."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.screen: QScreen | None = None

    def start(self) -> None:
        """Show the window frameless, on top and full screen, and keep it so."""
        self.window.setWindowFlags(self.window.windowFlags() | KIOSK_FLAGS)
        self.window.showFullScreen()
        handle = self.window.windowHandle()
        handle.screenChanged.connect(self.follow)
        self.follow(handle.screen())

    def follow(self, screen: QScreen | None) -> None:
        """The window is on `screen` now: cover it, and cover it again when it changes size."""
        if self.screen is not None:
            try:
                self.screen.geometryChanged.disconnect(self.cover)
            except (RuntimeError, TypeError):  # the old screen is gone (unplugged) or was never connected
                pass
        self.screen = screen
        if screen is not None:
            screen.geometryChanged.connect(self.cover)
            self.cover(screen.geometry())

    def cover(self, geometry: QRect) -> None:
        if self.window.geometry() != geometry:
            self.window.setGeometry(geometry)
        self.window.raise_()

"""Run by tests in a process of its own on a real display (X or Wayland): the
kiosk window made to cover its screen (ui.kiosk.screen_cover), then Qt's own
report of both as one JSON line on stdout.

    python tests/kiosk_probe.py TRUST_BUNDLE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SETTLE_S = 15  # how long the window may take to reach its screen's size


def main(bundle: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.kiosk.backend_remote import RemoteBackend
    from ui.kiosk.screen_cover import ScreenCover
    from ui.kiosk.window import KioskWindow

    app = QApplication(sys.argv[:1])
    window = KioskWindow(RemoteBackend(bundle, None))
    ScreenCover(window).start()
    start = time.monotonic()
    timer = QTimer()

    def check() -> None:
        screen = window.windowHandle().screen()
        covered = window.isVisible() and window.geometry() == screen.geometry()
        if covered or time.monotonic() - start > SETTLE_S:
            report = {
                "platform": app.platformName(),
                "screen": screen.geometry().getRect(),
                "window": window.geometry().getRect(),
            }
            print(json.dumps(report), flush=True)
            timer.stop()
            window._leaving = True
            app.quit()

    timer.timeout.connect(check)
    timer.start(50)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

"""The start screen, the busy screen and the message screen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QProgressBar, QVBoxLayout

from .text import both, noop, tr
from .widgets import Screen, button, label, set_text


class HomeScreen(Screen):
    """Scan at any time; or choose a file, type a number, trace a gift, see the funds."""

    open_files = Signal()
    type_id = Signal()
    type_receipt = Signal()
    show_funds = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("home")
        self.hero = label("hero", name="hero")
        self.hero.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sub = label("muted", name="hero-sub")
        self.sub.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tiles = {
            "files": button("tile-files", "tile", wrap=True),
            "id": button("tile-id", "tile", wrap=True),
            "receipt": button("tile-receipt", "tile", wrap=True),
            "funds": button("tile-funds", "tile", wrap=True),
        }
        self.tiles["files"].clicked.connect(self.open_files)
        self.tiles["id"].clicked.connect(self.type_id)
        self.tiles["receipt"].clicked.connect(self.type_receipt)
        self.tiles["funds"].clicked.connect(self.show_funds)
        grid = QGridLayout()
        grid.setSpacing(24)
        for i, key in enumerate(("files", "id", "receipt", "funds")):
            grid.addWidget(self.tiles[key], i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 24)
        layout.addStretch(1)
        layout.addWidget(self.hero)
        layout.addWidget(self.sub)
        layout.addSpacing(32)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.hero.setText("▣  " + tr("Hold the QR code of a certificate or a donation receipt under the scanner"))
        self.sub.setText(tr("It works on every screen. Or choose one of these:"))
        tiles = (
            ("files", "⇩", noop("Check a file from a USB stick"), noop("Choose a PDF or picture of a certificate")),
            ("id", "⌨", noop("Type a certificate number"), noop("See the status of the certificate with that number")),
            ("receipt", "¥", noop("Trace my donation"), noop("Type your receipt code to see where the money went")),
            ("funds", "▤", noop("Charity funds"), noop("See how much each charity fund raised and paid out")),
        )
        for key, symbol, name, description in tiles:
            set_text(self.tiles[key], f"{symbol}  {tr(name)}", tr(name), tr(description))


class BusyScreen(Screen):
    cancel = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("busy")
        self.text = label("title", name="busy-text")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # moving: we cannot say how long the node will take
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("busy")
        self.stop = button("busy-cancel", "quiet")
        self.stop.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(120, 24, 120, 24)
        layout.addStretch(1)
        layout.addWidget(self.text)
        layout.addSpacing(24)
        layout.addWidget(self.bar)
        layout.addSpacing(24)
        layout.addLayout(row)
        layout.addStretch(1)
        self.what = noop("Checking…")
        self.retranslate()

    def start(self, what: str) -> None:
        self.what = what
        self.retranslate()

    def retranslate(self) -> None:
        self.text.setText(tr(self.what))
        self.bar.setAccessibleName(tr(self.what))
        set_text(self.stop, tr("Cancel"), description=tr("Stop waiting and go back to the start screen"))


class MessageScreen(Screen):
    """A refusal or a problem, in both languages, and the way back."""

    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("message")
        self.symbol = label("mark", name="message-symbol")
        self.symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = label("title", name="message-title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = label("big", name="message-body")
        self.body.setProperty("bilingual", True)  # an error's own sentence, in both languages by design
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = label("muted", name="message-hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done = button("message-back")
        self.done.clicked.connect(self.back)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.done)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(80, 24, 80, 24)
        layout.addStretch(1)
        for widget in (self.symbol, self.title, self.body, self.hint):
            layout.addWidget(widget)
        layout.addSpacing(32)
        layout.addLayout(row)
        layout.addStretch(1)
        self.code = ""
        self._title = ""
        self._hint = ""
        self.retranslate()

    def show_message(self, code: str, message_zh: str, message_en: str, title: str, hint: str = "") -> None:
        """`title` and `hint` are English source strings (translated); the message is already bilingual."""
        self.code, self._title, self._hint = code, title, hint
        self.body.setText(both(message_zh, message_en))
        self.body.setAccessibleName(self.body.text())
        self.symbol.setText("✗")
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr(self._title) if self._title else "")
        self.hint.setText(tr(self._hint) if self._hint else "")
        set_text(self.done, tr("Back"), description=tr("Back to the start screen"))

    def clear(self) -> None:
        self.code = self._title = self._hint = ""
        self.body.clear()
        self.symbol.clear()
        self.retranslate()

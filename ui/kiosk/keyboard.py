"""On-screen keys for a kiosk without a keyboard: certificate numbers
(digits, letters, dot, dash), receipt codes (digits, letters for `D` and the
check character, dash) and the administrator PIN.

Keys never take focus and insert text straight into their line edit, so they
work whatever else is on screen and are never mistaken for a scanner.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLineEdit, QWidget

from .text import tr
from .widgets import button, set_text

FULL = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM.")
RECEIPT = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM")  # a check character can be any letter
DIGITS = ("123", "456", "789")

_SPOKEN = {"-": "dash 横线", ".": "dot 点"}


class OnScreenKeyboard(QWidget):
    def __init__(self, target: QLineEdit, rows: tuple[str, ...] = FULL, name: str = "keyboard") -> None:
        super().__init__()
        self.target = target
        self.setObjectName(name)
        grid = QGridLayout(self)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        width = max(len(r) for r in rows)
        self.keys: list = []
        for r, row in enumerate(rows):
            offset = (width - len(row)) // 2 if len(row) < width - 1 else 0
            for c, ch in enumerate(row):
                key = button(f"key-{ch}", "key")
                set_text(key, ch, _SPOKEN.get(ch, ch))
                self.keys.append(key)
                key.clicked.connect(lambda _=False, ch=ch: self.type(ch))
                grid.addWidget(key, r, c + offset)
        self.backspace = button("key-backspace", "key")
        self.backspace.clicked.connect(target.backspace)
        self.erase = button("key-clear", "key")
        self.erase.clicked.connect(target.clear)
        last = len(rows)
        grid.addWidget(self.erase, last, 0, 1, width // 2)
        grid.addWidget(self.backspace, last, width // 2, 1, width - width // 2)
        self.retranslate()

    def type(self, text: str) -> None:
        self.target.insert(text)

    def retranslate(self) -> None:
        set_text(
            self.backspace, "⌫ " + tr("Delete"), tr("Delete one character"), tr("Removes the last character typed")
        )
        set_text(self.erase, tr("Clear"), tr("Clear everything typed"), tr("Empties the field to start again"))
        for key in self.keys:
            key.setAccessibleDescription(tr("Types this character into the field"))


class PinPad(QWidget):
    """Digits 0–9 with delete and clear, laid out like a phone."""

    def __init__(self, target: QLineEdit) -> None:
        super().__init__()
        self.setObjectName("pinpad")
        grid = QGridLayout(self)
        grid.setSpacing(10)
        self.digits: list = []
        grid.setContentsMargins(0, 0, 0, 0)
        for r, row in enumerate(DIGITS + ("C0<",)):
            for c, ch in enumerate(row):
                key = button(f"pin-{ch}", "key")
                if ch == "C":
                    key.clicked.connect(target.clear)
                    self.erase = key
                elif ch == "<":
                    key.clicked.connect(target.backspace)
                    self.backspace = key
                else:
                    set_text(key, ch)
                    self.digits.append(key)
                    key.clicked.connect(lambda _=False, ch=ch: target.insert(ch))
                grid.addWidget(key, r, c)
        self.retranslate()

    def retranslate(self) -> None:
        set_text(self.backspace, "⌫", tr("Delete one digit"), tr("Removes the last digit typed"))
        set_text(self.erase, tr("Clear"), tr("Clear the PIN"), tr("Empties the PIN field"))
        for key in self.digits:
            key.setAccessibleDescription(tr("Types this digit of the PIN"))

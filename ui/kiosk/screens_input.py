"""Screens where a person gives the kiosk something: a typed number or code,
a file from a USB stick, the administrator PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from .backend import typing_problem
from .files import Candidate
from .keyboard import FULL, RECEIPT, OnScreenKeyboard, PinPad
from .text import tr
from .widgets import Screen, button, label, restyle, set_text


class EntryScreen(Screen):
    """Type a certificate number (`mode="id"`) or a receipt code (`mode="receipt"`);
    a wrong key or check character is named as soon as it is typed."""

    submitted = Signal(str, str)  # mode, text
    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("entry")
        self.mode = "id"
        self.title = label("title", name="entry-title")
        self.hint = label("muted", name="entry-hint")
        self.field = QLineEdit()
        self.field.setObjectName("entry-field")
        self.field.setMaxLength(80)
        self.field.returnPressed.connect(self.submit)
        self.field.textChanged.connect(self._typed)
        self.problem = label("error", name="entry-problem")
        self.keyboards = {
            "id": OnScreenKeyboard(self.field, FULL, "keyboard-id"),
            "receipt": OnScreenKeyboard(self.field, RECEIPT, "keyboard-receipt"),
        }
        self.check = button("entry-check")
        self.check.clicked.connect(self.submit)
        self.cancel = button("entry-back", "quiet")
        self.cancel.clicked.connect(self.back)
        row = QHBoxLayout()  # Back beside the field, not under the keys: large text needs that row's height
        row.addWidget(self.cancel)
        row.addWidget(self.field, 1)
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 16, 48, 16)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addStretch(1)  # above the keys: a problem shown as one types never moves them
        for keyboard in self.keyboards.values():
            layout.addWidget(keyboard)
        self.open("id")

    def open(self, mode: str) -> None:
        self.mode = mode
        self.clear()
        for name, keyboard in self.keyboards.items():
            keyboard.setVisible(name == mode)
        self.retranslate()
        self.field.setFocus()

    def submit(self) -> None:
        text = self.field.text().strip()
        if text:
            self.submitted.emit(self.mode, text)

    def _typed(self, text: str) -> None:
        problem = typing_problem(self.mode, text)
        if problem is not None:
            self.show_problem(problem.message_zh, problem.message_en)
        elif self.problem.text():
            self.show_problem("", "")

    def show_problem(self, message_zh: str, message_en: str) -> None:
        self.problem.setText(f"{message_zh}\n{message_en}".strip())
        self.problem.setAccessibleName(self.problem.text())
        if self.field.property("invalid") != bool(message_zh or message_en):
            restyle(self.field, invalid=bool(message_zh or message_en))

    def retranslate(self) -> None:
        if self.mode == "id":
            self.title.setText(tr("Type the certificate number"))
            self.hint.setText(
                tr(
                    "It is printed under the title, e.g. 1.2.156.3005.2.…  Only the public record "
                    "and the status are shown: personal details are on the document alone."
                )
            )
            self.field.setAccessibleName(tr("Certificate number"))
        else:
            self.title.setText(tr("Type the receipt code"))
            self.hint.setText(tr("It is printed on your donation receipt, e.g. D-00000123-X"))
            self.field.setAccessibleName(tr("Receipt code"))
        self.field.setPlaceholderText(self.field.accessibleName())
        self.field.setAccessibleDescription(self.hint.text())
        set_text(self.check, tr("Check"), description=tr("Checks what you typed"))
        set_text(self.cancel, tr("Back"), description=tr("Back to the start screen"))
        for keyboard in self.keyboards.values():
            keyboard.retranslate()

    def clear(self) -> None:
        self.field.clear()
        self.show_problem("", "")


class FilesScreen(Screen):
    """PDFs and images on a USB stick (or the configured folder) and nowhere else."""

    chosen = Signal(object)  # Candidate
    refresh = Signal()
    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("files")
        self.title = label("title", name="files-title")
        self.hint = label("muted", name="files-hint")
        self.empty = label("big", name="files-empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.list = QListWidget()
        self.list.setObjectName("files-list")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.itemClicked.connect(self._clicked)
        self.again = button("files-refresh", "quiet")
        self.again.clicked.connect(self.refresh)
        self.cancel = button("files-back", "quiet")
        self.cancel.clicked.connect(self.back)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 16, 48, 16)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.cancel)
        bottom.addStretch(1)
        bottom.addWidget(self.again)
        layout.addLayout(bottom)
        self.candidates: list[Candidate] = []
        self.limit_mb = 10
        self.searching = False
        self.retranslate()
        self.show_candidates([])

    def show_candidates(self, candidates: list[Candidate], searching: bool = False) -> None:
        self.candidates, self.searching = list(candidates), searching
        self.list.clear()
        for candidate in self.candidates:
            item = QListWidgetItem(f"{candidate.name}    ·  {candidate.folder}  ·  {_size(candidate.size)}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, candidate.name)
            self.list.addItem(item)
        self.list.setVisible(bool(self.candidates))
        self.empty.setVisible(not self.candidates)
        self.retranslate()

    def _clicked(self, item: QListWidgetItem) -> None:
        self.chosen.emit(self.candidates[self.list.row(item)])

    def retranslate(self) -> None:
        self.title.setText(tr("Choose a file from the USB stick"))
        self.hint.setText(
            tr("PDF, PNG or JPEG, up to {mb} MB. The file is only read, never changed or kept.").format(
                mb=self.limit_mb
            )
        )
        self.empty.setText(
            tr("Looking for files…")
            if self.searching
            else tr("No USB stick with a PDF or image was found. Insert one and tap Look again.")
        )
        self.list.setAccessibleName(tr("Files on the USB stick"))
        self.list.setAccessibleDescription(tr("Tap a file to check it"))
        set_text(self.again, "↻ " + tr("Look again"), tr("Look again"), tr("Looks for files on the USB stick again"))
        set_text(self.cancel, tr("Back"), description=tr("Back to the start screen"))

    def clear(self) -> None:
        self.show_candidates([])


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, size // 1024)} KB"


class PinScreen(Screen):
    """Leaving the kiosk: the administrator's PIN, typed on the pad."""

    entered = Signal(str)
    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("pin")
        self.title = label("title", name="pin-title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.field = QLineEdit()
        self.field.setObjectName("pin-field")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setMaxLength(16)
        self.field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.field.returnPressed.connect(self.submit)
        self.problem = label("error", name="pin-problem")
        self.problem.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pad = PinPad(self.field)
        self.ok = button("pin-ok")
        self.ok.clicked.connect(self.submit)
        self.cancel = button("pin-cancel", "quiet")
        self.cancel.clicked.connect(self.back)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.field)
        column.addWidget(self.problem)
        column.addWidget(self.pad)
        row = QHBoxLayout()
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        column.addLayout(row)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 2)
        outer.addStretch(1)
        self.retranslate()

    def submit(self) -> None:
        pin, _ = self.field.text(), self.field.clear()
        self.entered.emit(pin)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setAccessibleName(text)

    def retranslate(self) -> None:
        self.title.setText(tr("Administrator PIN to leave the kiosk"))
        self.field.setAccessibleName(tr("Administrator PIN"))
        self.field.setAccessibleDescription(tr("For staff only"))
        set_text(self.ok, tr("Leave kiosk"), description=tr("Closes the kiosk if the PIN is right"))
        set_text(self.cancel, tr("Cancel"), description=tr("Back to the start screen"))
        self.pad.retranslate()

    def clear(self) -> None:
        self.field.clear()
        self.problem.clear()

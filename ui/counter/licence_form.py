"""A form generated from a licence type's schema (certificates.types), checked
as the clerk types with the same rules the node applies (certificates.fields).

A field shows its problem once it has been typed in and left, or after the
clerk tried to sign; nothing typed is ever cleared by a check or an error.
Enter moves to the next field, and on the last one asks to sign.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from certificates.desk import default_validity
from certificates.fields import FieldErrors, validate
from certificates.types import (
    CHOICE,
    DATE,
    MONEY,
    RESIDENT_ID,
    USCC,
    Field,
    LicenceType,
)
from citychain.documents.money import AmountError, parse_yuan, yuan_amount

from . import texts
from .widgets import set_prop

LONG_TEXT = 200  # fields longer than this get a multi-line box
VALIDITY = (
    Field("valid_from", "有效期自", "Valid from", DATE),
    Field("valid_until", "有效期至", "Valid until", DATE, required=False),
)


class _Input:
    """One field: its label, its editor and the line under it for problems."""

    def __init__(self, field: Field) -> None:
        self.field = field
        self.touched = False
        self.label = QLabel()
        self.error = QLabel()
        self.error.setProperty("role", "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        if field.kind == CHOICE:
            self.editor = QComboBox()
            self.editor.addItem("", "")
            for choice in field.choices:
                self.editor.addItem(choice[0], choice[0])
        elif field.max_length > LONG_TEXT:
            self.editor = QPlainTextEdit()
            self.editor.setTabChangesFocus(True)
            self.editor.setFixedHeight(86)
        else:
            self.editor = QLineEdit()
            self.editor.setMaxLength(field.max_length + 20)  # over-long input gets a message, not a silent cut
            if field.kind in (RESIDENT_ID, USCC):
                mono = QFont("DejaVu Sans Mono")
                mono.setStyleHint(QFont.StyleHint.Monospace)
                self.editor.setFont(mono)
        self.editor.setObjectName(f"field_{field.name}")
        self.label.setBuddy(self.editor)

    def raw(self) -> str:
        if isinstance(self.editor, QComboBox):
            return self.editor.currentData() or ""
        if isinstance(self.editor, QPlainTextEdit):
            return self.editor.toPlainText()
        return self.editor.text()

    def value(self) -> tuple[str, tuple[str, str] | None]:
        """The value as the node takes it (money in fen), or a problem with the typing."""
        text = self.raw()
        if self.field.kind != MONEY or not text.strip():
            return text, None
        try:
            return str(parse_yuan(text)), None
        except AmountError as exc:
            return "", (exc.message_zh, exc.message_en)

    def set_value(self, value: str) -> None:
        if self.field.kind == MONEY and value.isdigit():
            value = yuan_amount(int(value))
        if isinstance(self.editor, QComboBox):
            self.editor.setCurrentIndex(max(0, self.editor.findData(value)))
        elif isinstance(self.editor, QPlainTextEdit):
            self.editor.setPlainText(value)
        else:
            self.editor.setText(value)
            self.editor.setCursorPosition(0)  # show the start of a long value

    def show_problem(self, problem: tuple[str, str] | None) -> None:
        set_prop(self.editor, "invalid", problem is not None)
        self.error.setVisible(problem is not None)
        self.error.setText(texts.pick(*problem) if problem else "")
        self._problem = problem

    def retranslate(self) -> None:
        mark = " *" if self.field.required else ""
        self.label.setText(texts.field_label(self.field) + mark)
        if isinstance(self.editor, QComboBox):
            self.editor.setItemText(0, texts.tr("— choose —"))
            for index, choice in enumerate(self.field.choices, start=1):
                self.editor.setItemText(index, texts.choice_label(choice))
        elif isinstance(self.editor, QLineEdit):
            hints = {
                DATE: "YYYY-MM-DD",
                MONEY: texts.tr("e.g. 1,000,000.00"),
                RESIDENT_ID: texts.tr("18-character resident ID"),
                USCC: texts.tr("18-character credit code"),
            }
            hint = hints.get(self.field.kind, "")
            if self.field.name == "valid_until":
                hint = texts.tr("YYYY-MM-DD, or empty: no end date")
            self.editor.setPlaceholderText(hint)
        if getattr(self, "_problem", None):
            self.error.setText(texts.pick(*self._problem))


class LicenceForm(QWidget):
    changed = Signal()
    submitted = Signal()  # Enter on the last field

    def __init__(self, licence: LicenceType, today: date, validity: bool = True) -> None:
        super().__init__()
        self.licence = licence
        self.inputs = [_Input(f) for f in licence.fields]
        self.validity = [_Input(f) for f in VALIDITY] if validity else []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        for row, item in enumerate(self.inputs + self.validity):
            grid.addWidget(item.label, row * 2, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(item.editor, row * 2, 1)
            grid.addWidget(item.error, row * 2 + 1, 1)
            self._connect(item)
        if self.validity:
            self.reset_validity(today)
        self.retranslate()

    # -- wiring -------------------------------------------------------------------------
    def _connect(self, item: _Input) -> None:
        editor = item.editor
        if isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(lambda _: self._edited(item))
        elif isinstance(editor, QPlainTextEdit):
            editor.textChanged.connect(lambda: self._edited(item))
        else:
            editor.textEdited.connect(lambda _: self._edited(item))
            editor.editingFinished.connect(lambda: self._left(item))
            editor.returnPressed.connect(lambda: self._next(item))

    def _edited(self, item: _Input) -> None:
        if item.touched or not item.error.isHidden():
            self.check(show=[item.field.name])
        self.changed.emit()

    def _left(self, item: _Input) -> None:
        if item.raw().strip():
            item.touched = True
        self.check(show=[i.field.name for i in self.all_inputs if i.touched])

    def _next(self, item: _Input) -> None:
        editors = [i.editor for i in self.all_inputs]
        index = editors.index(item.editor)
        if index + 1 < len(editors):
            editors[index + 1].setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.submitted.emit()

    @property
    def all_inputs(self) -> list[_Input]:
        return self.inputs + self.validity

    def first_editor(self) -> QWidget:
        return self.inputs[0].editor

    # -- values and checks -------------------------------------------------------------------
    def reset_validity(self, today: date) -> None:
        start = today.isoformat()
        self.validity[0].set_value(start)
        self.validity[1].set_value(default_validity(self.licence, today) or "")

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """The values typed (money in fen) and problems found while reading them."""
        values, problems = {}, {}
        for item in self.inputs:
            value, problem = item.value()
            if problem:
                problems[item.field.name] = problem
            elif value.strip():
                values[item.field.name] = value
        return values, problems

    def period(self) -> tuple[str, str | None]:
        if not self.validity:
            return date.today().isoformat(), None
        until = self.validity[1].raw().strip()
        return self.validity[0].raw().strip(), until or None

    def problems(self) -> dict[str, tuple[str, str]]:
        values, problems = self.form()
        valid_from, valid_until = self.period()
        try:
            validate(self.licence, values, valid_from, valid_until)
        except FieldErrors as exc:
            for name, problem in exc.by_field().items():
                problems.setdefault(name, (problem.message_zh, problem.message_en))
        return problems

    def check(self, show: list[str] | None = None) -> dict[str, tuple[str, str]]:
        """Mark the problems of the fields in `show` (all when None); returns every problem."""
        problems = self.problems()
        for item in self.all_inputs:
            if show is None or item.field.name in show:
                if show is None:
                    item.touched = True
                item.show_problem(problems.get(item.field.name))
        return problems

    def show_problems(self, problems: dict[str, tuple[str, str]]) -> None:
        """Problems the node reported (the same rules, checked again there)."""
        for item in self.all_inputs:
            item.touched = True
            item.show_problem(problems.get(item.field.name))

    def focus_first_problem(self) -> None:
        for item in self.all_inputs:
            if not item.error.isHidden():
                item.editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def set_values(self, values: dict[str, str]) -> None:
        for item in self.inputs:
            if item.field.name in values:
                item.set_value(values[item.field.name])

    def clear(self, today: date) -> None:
        for item in self.inputs:
            item.set_value("")
            item.touched = False
            item.show_problem(None)
        for item in self.validity:
            item.touched = False
            item.show_problem(None)
        if self.validity:
            self.reset_validity(today)

    def editor(self, name: str) -> QWidget:
        return next(i.editor for i in self.all_inputs if i.field.name == name)

    def error_text(self, name: str) -> str:
        item = next(i for i in self.all_inputs if i.field.name == name)
        return item.error.text() if not item.error.isHidden() else ""

    # -- language ------------------------------------------------------------------------------
    def retranslate(self) -> None:
        for item in self.all_inputs:
            item.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

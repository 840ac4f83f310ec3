"""Issue a licence: choose the type, fill the form, sign, then print or save.

Signing writes to the ledger and cannot be undone (only revoked), so the
clerk confirms a short summary first. The node signs, seals the PDF and the
pages are rendered in one background task; the form keeps its input whatever
goes wrong, and is locked after signing until "New licence" so a second
press cannot issue the same licence twice.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from certificates.types import CITY_TIME, licence_type

from ..backend import INVALID_FIELDS, BackendError
from . import texts
from .documents import DocumentPane
from .licence_form import LicenceForm
from .pdf_view import render_pages
from .widgets import Banner, Counter, button, card, label


def city_today():
    return datetime.now(CITY_TIME).date()


def sign_and_print(backend, session, type_id: str, values: dict, valid_from: str, valid_until: str | None):
    """The whole "sign" step, off the GUI thread: issue, seal the PDF, render its pages."""
    issued = backend.issue(session, type_id, values, valid_from, valid_until)
    try:
        pdf = backend.certificate_pdf(session, issued.cert_id)
        return issued, pdf, render_pages(pdf), None
    except Exception as exc:  # noqa: BLE001 — the licence exists; say so and let Records reprint it
        return issued, None, None, exc


class IssuePage(QWidget):
    issued = Signal(str)

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.forms: dict[str, LicenceForm] = {}
        self.locked = False
        self.correcting: LicenceForm | None = None  # the form whose problems the banner counts
        self.confirm = self._ask  # tests replace it

        self.title = label("", "title")
        self.banner = Banner()
        left, left_layout = card()
        self.type_label = label("", "subtitle")
        self.types = QComboBox()
        self.types.setObjectName("licenceType")
        for type_id in counter.info.licence_types:
            self.types.addItem(texts.licence_name(type_id), type_id)
        self.types.currentIndexChanged.connect(lambda _: self._show_form())
        self.form_stack = QStackedWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_stack)
        self.hint = label("", "muted", wrap=True)
        buttons = QHBoxLayout()
        self.clear_button = button()
        self.clear_button.clicked.connect(self.new_licence)
        self.sign_button = button("", "primary")
        self.sign_button.setObjectName("signButton")
        self.sign_button.clicked.connect(self.sign)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_button)
        left_layout.addWidget(self.type_label)
        left_layout.addWidget(self.types)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.hint)
        left_layout.addLayout(buttons)

        right, right_layout = card()
        self.document = DocumentPane(counter)
        right_layout.addWidget(self.document)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 520])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)

        QShortcut(QKeySequence("Ctrl+Return"), self, self.sign)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.sign)
        QShortcut(QKeySequence.StandardKey.New, self, self.new_licence)
        self._show_form()
        self.retranslate()

    # -- forms ----------------------------------------------------------------------------
    @property
    def type_id(self) -> str:
        return self.types.currentData() or ""

    @property
    def form(self) -> LicenceForm | None:
        return self.forms.get(self.type_id)

    def _show_form(self) -> None:
        """One form per type, kept: switching types never loses what was typed."""
        if not self.type_id:
            return
        if self.type_id not in self.forms:
            form = LicenceForm(licence_type(self.type_id), city_today())
            form.submitted.connect(self.sign)
            form.changed.connect(lambda form=form: self._form_changed(form))
            self.forms[self.type_id] = form
            self.form_stack.addWidget(form)
        self.form_stack.setCurrentWidget(self.forms[self.type_id])

    def choose_type(self, type_id: str) -> None:
        self.types.setCurrentIndex(self.types.findData(type_id))

    def focus_form(self) -> None:
        if self.form is not None and not self.locked:
            self.form.first_editor().setFocus(Qt.FocusReason.OtherFocusReason)

    # -- signing -------------------------------------------------------------------------------
    def _ask(self, summary: str) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Question, self.tr("Sign this licence?"), summary, QMessageBox.StandardButton.Cancel, self
        )
        sign = box.addButton(self.tr("Sign"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(sign)
        box.exec()
        return box.clickedButton() is sign

    def _summary(self, values: dict[str, str]) -> str:
        licence = licence_type(self.type_id)
        holder = next((values[n] for n in ("holder_name", "company_name") if n in values), "")
        valid_from, valid_until = self.form.period()
        return (
            self.tr(
                "%1 for %2, valid %3 – %4.\n\nSigning writes it to the ledger for good; "
                "a mistake can later only be revoked or superseded."
            )
            .replace("%1", texts.pick(licence.name_zh, licence.name_en))
            .replace("%2", holder)
            .replace("%3", texts.date_text(valid_from))
            .replace("%4", texts.date_text(valid_until))
        )

    def sign(self) -> None:
        form = self.form
        if form is None or self.locked or not self.sign_button.isEnabled():
            return
        problems = form.check()
        if problems:
            self._show_corrections(form, len(problems))
            form.focus_first_problem()
            return
        values, _ = form.form()
        if not self.confirm(self._summary(values)):
            return
        self.correcting = None
        self.banner.clear()
        self.sign_button.setEnabled(False)
        valid_from, valid_until = form.period()
        self.counter.run(
            sign_and_print,
            self.counter.backend,
            self.counter.session,
            self.type_id,
            values,
            valid_from,
            valid_until,
            done=self._signed,
            failed=self._failed,
            what=self.tr("Signing and sealing…"),
        )

    def _show_corrections(self, form: LicenceForm, count: int) -> None:
        """The banner over a form with problems; kept up to date as the clerk fixes them."""
        self.correcting = form
        if count:
            self.banner.show_pair(
                f"还有 {count} 处需要更正，已用红色标出。",
                f"{count} field(s) need correcting; they are marked in red.",
            )
        else:
            self.banner.show_pair(
                "标出的栏目都已更正，可以签发。", "Every marked field is corrected; the licence can be signed.", "ok"
            )

    def _form_changed(self, form: LicenceForm) -> None:
        if form is self.correcting and not self.locked:
            self._show_corrections(form, len(form.problems()))

    def _failed(self, exc: BaseException) -> None:
        self.correcting = None  # the node's own words stay until the next attempt
        self.sign_button.setEnabled(True)
        marks = (INVALID_FIELDS, "LIVE_LICENCE")  # a live licence blocks it: mark its code, premises or ID number
        if isinstance(exc, BackendError) and exc.code in marks and exc.fields and self.form:
            self.form.show_problems(exc.fields)
            self.form.focus_first_problem()
        self.banner.show_error(exc)

    def _signed(self, result) -> None:
        issued, pdf, images, problem = result
        self._lock(True)
        name_zh, name_en = texts.licence_names(issued.type)
        if pdf is None:
            self.banner.show_pair(
                f"{name_zh}已签发（{issued.cert_id}），但打印文件没有生成：{problem}。请在“证照记录”中重新打印。",
                f"The {name_en.lower()} was signed ({issued.cert_id}) but its PDF could not be made: {problem}. "
                "Reprint it from Records.",
            )
        else:
            self.banner.show_pair(
                f"已签发{name_zh}：{issued.cert_id}。可以打印或保存。",
                f"Signed: {name_en} {issued.cert_id}. Print it or save it.",
                "ok",
            )
            caption = (f"{name_zh} · {issued.cert_id}", f"{name_en} · {issued.cert_id}")
            self.document.show_document(pdf, f"{issued.cert_id}.pdf", caption, images)
            self.document.print_button.setFocus()
        self.counter.changed.emit("certificates")
        self.issued.emit(issued.cert_id)

    def _lock(self, locked: bool) -> None:
        self.locked = locked
        self.form_stack.setEnabled(not locked)
        self.types.setEnabled(not locked)
        self.sign_button.setEnabled(not locked)

    def new_licence(self) -> None:
        """Start the next licence: clear the form (and the last document)."""
        if self.form is not None:
            self.form.clear(city_today())
        self._lock(False)
        self.correcting = None
        self.banner.clear()
        self.document.clear(self.tr("The signed licence appears here, ready to print."))
        self.focus_form()

    # -- language --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Issue a licence"))
        self.type_label.setText(self.tr("Licence type"))
        for index in range(self.types.count()):
            self.types.setItemText(index, texts.licence_name(self.types.itemData(index)))
        self.hint.setText(self.tr("Fields marked * are required. Enter moves to the next field; Ctrl+Enter signs."))
        self.clear_button.setText(self.tr("New licence  (Ctrl+N)"))
        self.sign_button.setText(self.tr("Sign and preview  (Ctrl+Enter)"))
        if self.document.pdf is None:
            self.document.view.set_placeholder(self.tr("The signed licence appears here, ready to print."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

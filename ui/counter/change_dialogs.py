"""Dialogs that change a certificate: revoke, suspend, reinstate (with a
reason) and supersede (a corrected licence, with a reason).

A dialog stays open while the node works and closes only on success; a
refusal is shown inside it, with the reason and the form as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from certificates.types import licence_type

from ..backend import INVALID_FIELDS, BackendError
from . import texts
from .issue_page import city_today
from .licence_form import LicenceForm
from .widgets import Banner, Counter, button, label

CHANGE_TEXT = {
    "revoke": (
        ("撤销证照", "Revoke the licence"),
        (
            "撤销后证照永久失效，无法恢复。核验时将显示“已撤销”。",
            "A revoked licence is void for good and cannot be reinstated; verifiers will see it as revoked.",
        ),
    ),
    "suspend": (
        ("暂停证照", "Suspend the licence"),
        ("暂停期间证照无效，之后可以恢复。", "The licence is not valid while suspended; it can be reinstated later."),
    ),
    "reinstate": (("恢复证照", "Reinstate the licence"), ("恢复后证照重新有效。", "The licence becomes valid again.")),
}


class _WorkingDialog(QDialog):
    """Runs the change in the background; closes itself when the node agrees."""

    def __init__(self, counter: Counter, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.result_value: Any = None
        self.banner = Banner()
        self.ok = button("", "primary")
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.submit)
        self.cancel = button(self.tr("Cancel"))
        self.cancel.clicked.connect(self.reject)

    def buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        return row

    def work(self, fn: Callable, *args: Any) -> None:
        self.banner.clear()
        self.ok.setEnabled(False)
        self.counter.run(fn, *args, done=self._done, failed=self._failed, what=self.windowTitle())

    def _done(self, value: Any) -> None:
        self.result_value = value
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.banner.show_error(exc)

    def submit(self) -> None:  # pragma: no cover — each dialog has its own
        raise NotImplementedError


class ReasonDialog(_WorkingDialog):
    def __init__(self, counter: Counter, cert_id: str, change: str, parent: QWidget | None = None) -> None:
        super().__init__(counter, parent)
        self.cert_id, self.change = cert_id, change
        self.resize(560, 360)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setTabChangesFocus(True)
        if change == "revoke":
            self.ok.setProperty("role", "danger")
        self.heading, self.explanation, self.reason_label = label("", "subtitle"), label(wrap=True), label("", "value")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(label(cert_id, "muted"))
        layout.addWidget(self.explanation)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.banner)
        layout.addLayout(self.buttons())
        self.retranslate()

    def retranslate(self) -> None:
        title, explanation = CHANGE_TEXT[self.change]
        self.setWindowTitle(texts.pick(*title))
        self.heading.setText(texts.pick(*title))
        self.explanation.setText(texts.pick(*explanation))
        self.reason_label.setText(self.tr("Reason"))
        self.reason.setPlaceholderText(self.tr("Why? (required; it is written to the ledger)"))
        self.ok.setText(texts.pick(*title))
        self.cancel.setText(self.tr("Cancel"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def submit(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.banner.show_pair("请填写原因。", "Please give a reason.")
            self.reason.setFocus()
            return
        self.work(self.counter.backend.change_status, self.counter.session, self.cert_id, self.change, reason)


class SupersedeDialog(_WorkingDialog):
    """A corrected or renewed licence replacing this one (same number, next version)."""

    def __init__(self, counter: Counter, cert_id: str, type_id: str, parent: QWidget | None = None) -> None:
        super().__init__(counter, parent)
        self.cert_id = cert_id
        self.setWindowTitle(self.tr("Supersede the licence"))
        self.resize(760, 720)
        self.form = LicenceForm(licence_type(type_id), city_today())
        self.form.setEnabled(False)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText(self.tr("Why? (required; it is written to the ledger)"))
        self.ok.setText(self.tr("Sign the new licence"))
        self.ok.setEnabled(False)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.tr("Supersede the licence"), "subtitle"))
        layout.addWidget(
            label(
                self.tr(
                    "The new licence gets the next version of this number; the old one is "
                    "marked superseded. Correct what is wrong below."
                ),
                wrap=True,
            )
        )
        layout.addWidget(label(cert_id, "muted"))
        layout.addWidget(scroll, 1)
        layout.addWidget(label(self.tr("Reason"), "value"))
        layout.addWidget(self.reason)
        layout.addWidget(self.banner)
        layout.addLayout(self.buttons())
        counter.run(
            counter.backend.certificate_values,
            counter.session,
            cert_id,
            done=self._loaded,
            failed=self._failed,
            what=self.tr("Loading the licence…"),
        )

    def _loaded(self, values: dict[str, str]) -> None:
        self.form.set_values(values)
        self.form.setEnabled(True)
        self.ok.setEnabled(True)

    def submit(self) -> None:
        problems = self.form.check()
        reason = self.reason.toPlainText().strip()
        if problems:
            self.banner.show_pair("请更正标出的栏目。", "Please correct the marked fields.")
            self.form.focus_first_problem()
            return
        if not reason:
            self.banner.show_pair("请填写原因。", "Please give a reason.")
            self.reason.setFocus()
            return
        values, _ = self.form.form()
        valid_from, valid_until = self.form.period()
        self.work(
            self.counter.backend.supersede, self.counter.session, self.cert_id, values, reason, valid_from, valid_until
        )

    def _failed(self, exc: BaseException) -> None:
        super()._failed(exc)
        if isinstance(exc, BackendError) and exc.code == INVALID_FIELDS and exc.fields:
            self.form.show_problems(exc.fields)

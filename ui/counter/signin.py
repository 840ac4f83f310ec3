"""Signing in with the node's own users; the node checks the password (and
locks an account after repeated failures), the screen only asks.

The window appears at once; the node opens in the background and the form
becomes usable when it is ready, so a slow disk or network never shows as a
frozen window. What was typed stays after a failed attempt, except the
password.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from ..backend import NodeInfo, Session
from . import texts
from .widgets import Banner, Counter, button, card, label, label_controls


class SignInPage(QWidget):
    signed_in = Signal(object)  # Session

    def __init__(self, demo_hint: bool = False) -> None:
        super().__init__()
        self.setObjectName("page")
        self.counter: Counter | None = None
        self.demo_hint = demo_hint
        box, inner = card(32)
        box.setFixedWidth(520)
        self.heading = label("", "title")
        self.agency = label("", "subtitle", wrap=True)
        self.location = label("", "muted", wrap=True)
        self.user_label, self.password_label = label(), label()
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.banner = Banner()
        self.submit = button("", "primary")
        self.submit.setObjectName("signIn")
        self.submit.setDefault(True)
        self.hint = label("", "muted", wrap=True)
        inner.addWidget(self.heading)
        inner.addWidget(self.agency)
        inner.addWidget(self.location)
        inner.addSpacing(10)
        inner.addWidget(self.user_label)
        inner.addWidget(self.user)
        inner.addWidget(self.password_label)
        inner.addWidget(self.password)
        inner.addWidget(self.banner)
        inner.addSpacing(6)
        inner.addWidget(self.submit)
        inner.addWidget(self.hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.sign_in)
        self.submit.clicked.connect(self.sign_in)
        label_controls(self)
        self._set_ready(False)
        self.retranslate()

    # -- the node --------------------------------------------------------------------------
    def node_ready(self, counter: Counter) -> None:
        self.counter = counter
        self.banner.clear()
        self._set_ready(True)
        self._show_agency()
        self.user.setFocus()

    def node_failed(self, exc: BaseException) -> None:
        self.banner.show_error(exc)
        self.location.setText("")

    def _set_ready(self, ready: bool) -> None:
        for widget in (self.user, self.password, self.submit):
            widget.setEnabled(ready)

    def _show_agency(self) -> None:
        info: NodeInfo | None = self.counter.info if self.counter else None
        if info is None:
            self.agency.setText(self.tr("Opening the node…"))
            return
        self.agency.setText(texts.pick(info.name_zh, info.name_en))
        where = self.tr("Node: %1").replace("%1", info.location)
        self.location.setText(where)

    # -- signing in ---------------------------------------------------------------------------
    def sign_in(self) -> None:
        if self.counter is None or not self.submit.isEnabled():
            return
        name, password = self.user.text().strip(), self.password.text()
        if not name or not password:
            self.banner.show_pair("请输入用户名和密码。", "Enter your user name and password.")
            (self.user if not name else self.password).setFocus()
            return
        self.banner.clear()
        self._set_ready(False)
        self.counter.run(
            self.counter.backend.sign_in,
            name,
            password,
            done=self._done,
            failed=self._failed,
            what=self.tr("Signing in…"),
        )

    def _done(self, session: Session) -> None:
        self.password.clear()
        self._set_ready(True)
        self.signed_in.emit(session)

    def _failed(self, exc: BaseException) -> None:
        self._set_ready(True)
        self.banner.show_error(exc)
        self.password.clear()
        self.password.setFocus()

    def reset(self) -> None:
        """Back to an empty form (after signing out)."""
        self.password.clear()
        self.banner.clear()
        self.user.setFocus()

    # -- language --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.heading.setText(self.tr("Counter sign-in"))
        self.user_label.setText(self.tr("User name"))
        self.password_label.setText(self.tr("Password"))
        self.submit.setText(self.tr("Sign in"))
        self.hint.setText(
            self.tr("Demo city users: clerk / clerk-demo-2026, supervisor / supervisor-demo-2026")
            if self.demo_hint
            else ""
        )
        self.hint.setVisible(self.demo_hint)
        self._show_agency()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

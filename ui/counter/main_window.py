"""The counter window: a header (agency, language, who is signed in), the
sign-in page, then the workspace with a desk per thing this agency does, and
a status bar that always says agency, user, role and the node's state.

The window shows at once; the node opens in a background task. Any forked or
rule-breaking ledger puts a red bar across every screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .. import i18n
from ..backend import Backend, NodeStatus, Session
from ..tasks import Tasks
from . import texts
from .node_panel import alert_lines
from .signin import SignInPage
from .widgets import Activity, Counter, button, label
from .workspace import Workspace

STATUS_MS = 15000
RETRY_MS = 3000  # a node that cannot be opened (a remote one down) is tried again


def open_backend(opener: Callable[[], Backend]):
    """Off the GUI thread: open the node and read what it is."""
    backend = opener()
    return backend, backend.info()


class CounterWindow(QMainWindow):
    language_changed = Signal(str)

    def __init__(self, opener: Callable[[], Backend], demo_hint: bool = False, tasks: Tasks | None = None) -> None:
        super().__init__()
        self.tasks = tasks or Tasks()
        self.counter: Counter | None = None
        self.workspace: Workspace | None = None
        self._user = ""
        self.resize(1280, 800)
        self.setMinimumSize(1024, 680)

        self.header = QWidget()
        self.header.setObjectName("header")
        self.app_title = label()
        self.app_title.setObjectName("appTitle")
        self.agency_title = label()
        self.agency_title.setObjectName("agencyTitle")
        self.who = label()
        self.language_button = button()
        self.language_button.setObjectName("languageButton")
        self.language_button.clicked.connect(self.toggle_language)
        self.sign_out_button = button()
        self.sign_out_button.setObjectName("signOut")
        self.sign_out_button.clicked.connect(self.sign_out)
        self.sign_out_button.hide()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.app_title)
        titles.addWidget(self.agency_title)
        head = QHBoxLayout(self.header)
        head.setContentsMargins(20, 10, 20, 10)
        head.addLayout(titles)
        head.addStretch(1)
        head.addWidget(self.who)
        head.addSpacing(12)
        head.addWidget(self.language_button)
        head.addWidget(self.sign_out_button)

        self.alert_bar = QWidget()
        self.alert_bar.setObjectName("alertBar")
        self.alert_text = label(wrap=True)
        alert_layout = QHBoxLayout(self.alert_bar)
        alert_layout.setContentsMargins(20, 8, 20, 8)
        alert_layout.addWidget(self.alert_text)
        self.alert_bar.hide()
        self._alerts: list[tuple[str, str]] = []

        self.stack = QStackedWidget()
        self.signin = SignInPage(demo_hint)
        self.signin.signed_in.connect(self.enter)
        self.stack.addWidget(self.signin)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        column.addWidget(self.alert_bar)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.activity = Activity()
        self.status_agency, self.status_user, self.status_node = QLabel(), QLabel(), QLabel()
        for widget in (self.status_agency, self.status_user, self.status_node):
            self.statusBar().addWidget(widget)
        self.statusBar().addPermanentWidget(self.activity)
        self._node_words: tuple[str, str] = ("正在打开节点…", "Opening the node…")
        self.node_timer = QTimer(self, interval=STATUS_MS, timeout=self.check_node)
        self.retranslate()

        self._opener = opener
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS, timeout=self._open)
        self._open()

    def _open(self) -> None:
        self.tasks.run(open_backend, self._opener, done=self._opened, failed=self._open_failed)

    # -- opening and signing in ------------------------------------------------------------------
    def _opened(self, result) -> None:
        backend, info = result
        self.counter = Counter(backend, info, self.tasks, self.activity)
        self.counter.session_expired.connect(self._expired)
        self.counter.changed.connect(self._written)
        self.signin.node_ready(self.counter)
        self._node_words = ("节点已连接", "Node connected")
        self.retranslate()
        self.check_node()
        self.node_timer.start()

    def _open_failed(self, exc: BaseException) -> None:
        """Say why, and try again in a moment: a node that comes back is used at once."""
        self._node_words = ("节点无法打开，稍后自动重试", "The node could not be opened; trying again shortly")
        self.signin.node_failed(exc)
        self.retranslate()
        self._retry.start()

    @property
    def backend(self) -> Backend | None:
        return self.counter.backend if self.counter else None

    def enter(self, session: Session) -> None:
        """Into the workspace; after an expired session the same person finds it as they left it."""
        resume = self.workspace is not None and self._user == session.user
        self.counter.session = session
        self._user = session.user
        if not resume:
            self._drop_workspace()
            self.workspace = Workspace(self.counter)
            self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.sign_out_button.show()
        self.retranslate()
        if resume:
            self.workspace.show_page(self.workspace.current)
        else:
            self.workspace.start()

    def sign_out(self) -> None:
        if self.counter is None or self.counter.session is None:
            return
        self.counter.run(self.counter.backend.sign_out, self.counter.session, quiet=True)
        self._drop_workspace()
        self._to_sign_in()

    def _expired(self) -> None:
        """The node no longer knows this session: sign in again; typed input stays."""
        if self.workspace is not None:
            self.workspace.stop()
        self._to_sign_in()
        self.signin.banner.show_pair(
            "登录已失效，请重新登录；刚才输入的内容都还在。",
            "You were signed out; sign in again — what you typed is still there.",
            "info",
        )

    def _drop_workspace(self) -> None:
        if self.workspace is not None:
            self.workspace.stop()
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None

    def _to_sign_in(self) -> None:
        self.counter.session = None
        self.stack.setCurrentWidget(self.signin)
        self.sign_out_button.hide()
        self.signin.reset()
        self.retranslate()

    # -- node state --------------------------------------------------------------------------------
    def check_node(self) -> None:
        if self.counter is not None:
            self.counter.run(
                self.counter.backend.node_status, done=self.show_node_state, failed=self._node_unreachable, quiet=True
            )

    def _written(self, what: str) -> None:
        """Something was written or synced: the status bar's ledger size is out of date."""
        self.check_node()

    def show_node_state(self, status: NodeStatus) -> None:
        if self.counter is None:  # the window closed while the answer was on its way
            return
        self._alerts = alert_lines(self.counter.info, status)
        failing = sum(1 for p in status.peers if p.error)
        if self._alerts:
            self._node_words = ("账本告警！", "Ledger alert!")
        elif failing:
            self._node_words = (f"节点正常 · {failing} 个对等节点无法连接", f"Node OK · {failing} peer(s) unreachable")
        else:
            self._node_words = (f"节点正常 · 账本 {status.own_size} 条", f"Node OK · ledger {status.own_size} records")
        self.retranslate()

    def _node_unreachable(self, exc: BaseException) -> None:
        zh, en = getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))
        self._node_words = (f"无法连接节点：{zh}", f"Node unreachable: {en}")
        self.retranslate()

    # -- language ------------------------------------------------------------------------------------
    def toggle_language(self) -> None:
        language = "en" if i18n.chinese() else "zh_CN"
        i18n.set_language(language)
        self.language_changed.emit(language)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("CityChain counter"))
        self.app_title.setText(self.tr("CityChain · Service counter"))
        info = self.counter.info if self.counter else None
        self.agency_title.setText(texts.pick(info.name_zh, info.name_en) if info else "")
        self.language_button.setText("English" if i18n.chinese() else "中文")
        self.language_button.setToolTip(self.tr("Switch the language"))
        self.sign_out_button.setText(self.tr("Sign out"))
        session = self.counter.session if self.counter else None
        role = texts.word(texts.ROLES, session.role) if session else ""
        self.who.setText(f"{session.display_name} · {role}" if session else "")
        self.status_agency.setText(texts.pick(info.name_zh, info.name_en) if info else "")
        self.status_user.setText(
            self.tr("%1 (%2)").replace("%1", session.user).replace("%2", role) if session else self.tr("Not signed in")
        )
        self.status_node.setText(texts.pick(*self._node_words))
        self.status_node.setStyleSheet("color: #b42318; font-weight: bold;" if self._alerts else "")
        self.alert_bar.setVisible(bool(self._alerts))
        self.alert_text.setText("\n".join(texts.pick(zh, en) for zh, en in self._alerts))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:
        self.node_timer.stop()
        self._retry.stop()
        if self.workspace is not None:
            self.workspace.stop()
        self.tasks.wait(30000)
        if self.counter is not None:
            self.counter.backend.close()
            self.counter = None
        super().closeEvent(event)

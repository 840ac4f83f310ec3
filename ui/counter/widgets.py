"""Small widgets every counter screen uses: the message banner, the status
pill, the activity indicator in the status bar, and `Counter`, the shared
context (backend, session, background tasks) handed to each screen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..backend import UNAUTHENTICATED, Backend, BackendError, NodeInfo, Session
from ..tasks import Cancelled, Task, Tasks
from . import texts

log = logging.getLogger("citychain.counter")


def set_prop(widget: QWidget, name: str, value: Any) -> None:
    """Set a style property and make the stylesheet look at it again."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


INPUTS = (QLineEdit, QComboBox, QPlainTextEdit, QAbstractItemView, QAbstractSpinBox)


def label_controls(root: QWidget) -> None:
    """Make the label shown beside (form rows) or right above (box layouts) each
    input its buddy: a screen reader then says the label as the input's name,
    in the language on screen. Inputs named explicitly are left alone."""
    for layout in root.findChildren(QLayout):
        if isinstance(layout, QFormLayout):
            pairs = [
                (layout.itemAt(row, QFormLayout.ItemRole.LabelRole), layout.itemAt(row, QFormLayout.ItemRole.FieldRole))
                for row in range(layout.rowCount())
            ]
        else:
            items = [layout.itemAt(i) for i in range(layout.count())]
            pairs = list(zip(items, items[1:]))
        for before, item in pairs:
            caption = before.widget() if before is not None else None
            control = item.widget() if item is not None else None
            if isinstance(caption, QLabel) and caption.buddy() is None and isinstance(control, INPUTS):
                if not control.accessibleName():
                    caption.setBuddy(control)


def label(text: str = "", role: str | None = None, wrap: bool = False) -> QLabel:
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    return widget


def button(text: str = "", role: str | None = None) -> QPushButton:
    widget = QPushButton(text)
    if role:
        widget.setProperty("role", role)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    return widget


def card(layout_margin: int = 18) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(layout_margin, layout_margin, layout_margin, layout_margin)
    layout.setSpacing(10)
    return frame, layout


def error_pair(exc: BaseException) -> tuple[str, str]:
    """What to tell a person about a failure, in both languages."""
    if isinstance(exc, Cancelled):
        return "已取消。", "Cancelled."
    zh, en = getattr(exc, "message_zh", None), getattr(exc, "message_en", None)
    if zh and en:
        return zh, en
    log.error("unexpected failure: %s", getattr(exc, "__traceback_text__", repr(exc)))
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return f"无法连接或读写数据：{exc}", f"Could not connect or read the data: {exc}"
    return (
        f"出现意外错误（{type(exc).__name__}）。输入的内容都还在，请再试一次；如仍失败请联系管理员。",
        f"Something unexpected went wrong ({type(exc).__name__}). What you typed is still here; "
        "please try again, and call the administrator if it keeps failing.",
    )


class Banner(QLabel):
    """A one-line message above a form: error, success or information."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._pair: tuple[str, str] | None = None
        self.hide()

    def show_pair(self, zh: str, en: str, tone: str = "error") -> None:
        self._pair = (zh, en)
        set_prop(self, "tone", tone)
        self.setText(texts.pick(zh, en))
        self.setToolTip(en if texts.pick(zh, en) == zh else zh)
        self.show()

    def show_error(self, exc: BaseException) -> None:
        self.show_pair(*error_pair(exc), tone="error")

    def clear(self) -> None:
        self._pair = None
        self.hide()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and self._pair:
            self.setText(texts.pick(*self._pair))
        super().changeEvent(event)


class StatusPill(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setProperty("role", "pill")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self._status = ""

    def set_status(self, status: str) -> None:
        self._status = status
        set_prop(self, "tone", status)
        self.setText(texts.word(texts.STATUS, status))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and self._status:
            self.setText(texts.word(texts.STATUS, self._status))
        super().changeEvent(event)


class Activity(QWidget):
    """The status bar's "working…" indicator: appears for work that takes a
    moment, shows progress when the work reports it, and offers Cancel."""

    DELAY_MS = 250

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.cancel = QPushButton()
        self.cancel.clicked.connect(self._cancel)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._tasks: list[tuple[Task, str, bool]] = []
        self._timer = QTimer(self, singleShot=True, interval=self.DELAY_MS, timeout=self._refresh)
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        self.cancel.setText(self.tr("Cancel"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def begin(self, task: Task, what: str, cancellable: bool) -> None:
        self._tasks.append((task, what, cancellable))
        task.progressed.connect(self._progress)
        task.ended.connect(lambda: self._end(task))
        self._timer.start()
        if not task.running:  # it ended before we listened, and its `ended` reached nobody
            self._end(task)

    def _end(self, task: Task) -> None:
        self._tasks = [entry for entry in self._tasks if entry[0] is not task]
        self._refresh()

    def _refresh(self) -> None:
        if not self._tasks:
            self.hide()
            return
        task, what, cancellable = self._tasks[-1]
        self.text.setText(what)
        self.bar.setRange(0, 0)  # busy until the work reports progress
        self.cancel.setVisible(cancellable)
        self.show()

    def _progress(self, done: int, total: int, text: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        if text:
            self.text.setText(text)

    def _cancel(self) -> None:
        for task, _, cancellable in self._tasks:
            if cancellable:
                task.cancel()


def _deliver(callback: Callable[[Any], None], value: Any) -> None:
    """Hand a result to its screen — unless the screen was closed while the work ran."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return
    try:
        callback(value)
    except RuntimeError as exc:
        if "already deleted" not in str(exc):  # a widget of a closed screen, reached through a lambda
            raise
        log.debug("dropped a result for a closed screen: %s", exc)


class Counter(QObject):
    """What every screen needs: the node, who is signed in, and one way to run
    slow work off the GUI thread (ui.tasks) with the activity indicator."""

    session_expired = Signal()
    changed = Signal(str)  # "certificates" | "charity" | "node": views of it should reload

    def __init__(
        self, backend: Backend, info: NodeInfo, tasks: Tasks | None = None, activity: Activity | None = None
    ) -> None:
        super().__init__()
        self.backend, self.info = backend, info
        self.session: Session | None = None
        self.tasks = tasks or Tasks()
        self.activity = activity

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        what: str = "",
        cancellable: bool = False,
        quiet: bool = False,
        **kwargs: Any,
    ) -> Task:
        def on_failure(exc: BaseException) -> None:
            if isinstance(exc, BackendError) and exc.code == UNAUTHENTICATED and self.session is not None:
                self.session_expired.emit()
            if failed is not None:
                _deliver(failed, exc)
            else:
                log.error("background work failed: %s", getattr(exc, "__traceback_text__", exc))

        task = self.tasks.run(
            fn, *args, done=(lambda value: _deliver(done, value)) if done else None, failed=on_failure, **kwargs
        )
        if self.activity is not None and not quiet:
            self.activity.begin(task, what or self.tr("Working…"), cancellable)
        return task

    def may(self, action: str) -> bool:
        return self.session is not None and self.session.may(action)

"""After sign-in: the desks this agency has and this role may use, on the
left (Ctrl+1 … Ctrl+5), and the chosen one on the right.

Which desks appear follows from the node (what the agency may do, in the
trust log) and the session (what the role may do, from the node's users);
the node still checks every request itself.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .node_panel import NodePanel
from .widgets import Counter, button, label, label_controls


class Workspace(QWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.setObjectName("page")
        self.counter = counter
        self.pages: dict[str, QWidget] = {}
        self.buttons: dict[str, object] = {}
        self.stack = QStackedWidget()
        info = counter.info
        if info.licence_types and counter.may("certificate.issue"):
            from .issue_page import IssuePage

            self._add("issue", IssuePage(counter))
        if info.licence_types:
            from .records_page import RecordsPage

            self._add("records", RecordsPage(counter))
        if info.charity:
            from .charity_page import CharityPage

            self._add("charity", CharityPage(counter))
        if info.acknowledges and counter.may("charity.acknowledge"):
            from .acknowledge_page import AcknowledgePage

            self._add("acknowledge", AcknowledgePage(counter))
        self._add("node", NodePanel(counter))

        nav = QWidget()
        nav.setObjectName("nav")
        nav.setFixedWidth(230)
        nav_layout = QVBoxLayout(nav)
        nav_layout.setContentsMargins(12, 16, 12, 16)
        nav_layout.setSpacing(6)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        for number, key in enumerate(self.pages, start=1):
            widget = button()
            widget.setObjectName(f"nav_{key}")
            widget.setCheckable(True)
            widget.clicked.connect(lambda _=False, k=key: self.show_page(k))
            self.group.addButton(widget)
            self.buttons[key] = widget
            nav_layout.addWidget(widget)
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda k=key: self.show_page(k))
        nav_layout.addStretch(1)
        self.hint = label()
        self.hint.setObjectName("navHint")
        self.hint.setWordWrap(True)
        nav_layout.addWidget(self.hint)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(nav)
        layout.addWidget(self.stack, 1)
        label_controls(self)
        self.retranslate()

    def _add(self, key: str, page: QWidget) -> None:
        self.pages[key] = page
        page.setObjectName("page")
        self.stack.addWidget(page)

    @property
    def current(self) -> str:
        widget = self.stack.currentWidget()
        return next((k for k, p in self.pages.items() if p is widget), "")

    def show_page(self, key: str) -> QWidget:
        previous = self.pages.get(self.current)
        if previous is not None and hasattr(previous, "deactivate"):
            previous.deactivate()
        page = self.pages[key]
        self.stack.setCurrentWidget(page)
        self.buttons[key].setChecked(True)
        if hasattr(page, "activate"):
            page.activate()
        if hasattr(page, "focus_form"):
            page.focus_form()
        else:  # the keyboard starts on the desk's own button, one Tab from its page (never nowhere)
            self.buttons[key].setFocus()
        return page

    def start(self) -> None:
        self.show_page(next(iter(self.pages)))

    def stop(self) -> None:
        for page in self.pages.values():
            if hasattr(page, "deactivate"):
                page.deactivate()

    def retranslate(self) -> None:
        names = {
            "issue": self.tr("Issue a licence"),
            "records": self.tr("Licence records"),
            "charity": self.tr("Charity desk"),
            "acknowledge": self.tr("Charity receipts"),
            "node": self.tr("Node status"),
        }
        for number, (key, widget) in enumerate(self.buttons.items(), start=1):
            widget.setText(names[key])
            widget.setToolTip(f"Ctrl+{number}")
        self.hint.setText(self.tr("Ctrl+1 … Ctrl+%1 switch desks").replace("%1", str(len(self.buttons))))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

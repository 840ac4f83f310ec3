"""One certificate: what it says, its status, its history, and the ledger's
evidence for it (the signed entry, the inclusion proof, the checkpoint and
who co-signed it). Reprint for anyone; status changes only for the roles the
node allows — the buttons are not even shown to others.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from certificates.types import licence_type

from ..backend import CertificateDetail
from . import texts
from .change_dialogs import ReasonDialog, SupersedeDialog
from .documents import DocumentDialog
from .widgets import Banner, Counter, StatusPill, button, card, label

# action → (button key, the statuses it applies to)
ACTIONS = {
    "certificate.suspend": ("suspend", ("valid",)),
    "certificate.reinstate": ("reinstate", ("suspended",)),
    "certificate.revoke": ("revoke", ("valid", "suspended")),
    "certificate.supersede": ("supersede", ("valid", "suspended")),
}


def _mono(read_only: bool = True) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(read_only)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    box.setStyleSheet("font-family: 'DejaVu Sans Mono', monospace; font-size: 10.5pt;")
    return box


class RecordDetail(QWidget):
    back = Signal()
    opened = Signal(str)  # another certificate to show (a successor)

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.detail: CertificateDetail | None = None
        self.back_button = button()
        self.back_button.clicked.connect(self.back.emit)
        self.title = label("", "title")
        self.pill = StatusPill()
        self.cert_id = label("", "muted")
        self.cert_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = Banner()
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(12)
        top.addWidget(self.title)
        top.addWidget(self.pill)
        top.addStretch(1)
        self.reprint = button("", "primary")
        self.reprint.clicked.connect(self.reprint_pdf)
        self.action_buttons = {key: button("", "danger" if key == "revoke" else None) for key, _ in ACTIONS.values()}
        actions = QHBoxLayout()
        actions.addWidget(self.reprint)
        for key, widget in self.action_buttons.items():
            widget.setObjectName(f"action_{key}")
            widget.clicked.connect(lambda _=False, k=key: self.change(k))
            actions.addWidget(widget)
        actions.addStretch(1)

        left, left_layout = card()
        self.fields_title = label("", "subtitle")
        holder = QWidget()
        self.fields = QGridLayout(holder)
        self.fields.setContentsMargins(0, 0, 8, 0)
        self.fields.setColumnStretch(1, 1)
        self.fields.setVerticalSpacing(8)
        self.fields.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        left_layout.addWidget(self.fields_title)
        left_layout.addWidget(scroll, 1)

        self.tabs = QTabWidget()
        self.history = QTableWidget(0, 5)
        self.history.setTabKeyNavigation(False)  # Tab leaves the list (arrows move in it): no keyboard trap
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.setWordWrap(True)
        self.entry = _mono()
        self.proof = _mono()
        self.tabs.addTab(self.history, "")
        self.tabs.addTab(self.entry, "")
        self.tabs.addTab(self.proof, "")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([440, 600])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.cert_id)
        layout.addLayout(actions)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.back.emit)
        QShortcut(QKeySequence.StandardKey.Print, self, self.reprint_pdf)
        self.retranslate()

    # -- loading ----------------------------------------------------------------------------
    def load(self, cert_id: str) -> None:
        self.banner.clear()
        self.counter.run(
            self.counter.backend.certificate,
            self.counter.session,
            cert_id,
            done=self.show_detail,
            failed=self.banner.show_error,
            what=self.tr("Opening the licence…"),
        )

    def show_detail(self, detail: CertificateDetail) -> None:
        self.detail = detail
        self.cert_id.setText(detail.cert_id)
        self.pill.set_status(texts.shown_status(detail.status, detail.valid_until))
        self._fill()
        self._update_actions()

    def _update_actions(self) -> None:
        detail = self.detail
        for action, (key, statuses) in ACTIONS.items():
            widget = self.action_buttons[key]
            widget.setVisible(self.counter.may(action))
            widget.setEnabled(detail is not None and detail.status in statuses)
        self.reprint.setEnabled(detail is not None and not detail.erased)

    def _fill(self) -> None:
        detail = self.detail
        if detail is None:
            return
        licence = licence_type(detail.type)
        self.title.setText(texts.pick(licence.name_zh, licence.name_en))
        while self.fields.count():
            item = self.fields.takeAt(0)
            if item.widget():
                item.widget().hide()  # gone now, not at the next turn of the event loop
                item.widget().deleteLater()
        rows = [
            (texts.field_label(licence.field(name)).replace("（元）", "").replace(" (yuan)", ""), value, True)
            for name, value in detail.fields
        ]
        rows += [
            (self.tr("Valid from"), texts.date_text(detail.valid_from), False),
            (self.tr("Valid until"), texts.date_text(detail.valid_until), False),
            (self.tr("Signed at"), texts.time_text(detail.issued_at), False),
        ]
        if detail.superseded_by:
            rows.append((self.tr("Replaced by"), detail.superseded_by, True))
        if detail.erased:
            rows.insert(
                0, (self.tr("Personal data"), self.tr("erased on request; the ledger keeps only hashes"), False)
            )
        for row, (name, value, data) in enumerate(rows):
            key = label(name, "muted")
            shown = label(value, "value", wrap=True)
            shown.setProperty("data", data)  # what the licence holds, as signed: not interface text
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            self.fields.addWidget(shown, row, 1)
        self._fill_history()
        self.entry.setPlainText(json.dumps(detail.leaf, ensure_ascii=False, indent=2))
        self._fill_proof()

    def _fill_history(self) -> None:
        detail = self.detail
        self.history.setRowCount(len(detail.history))
        for row, entry in enumerate(detail.history):
            who = f"{entry.user} ({texts.word(texts.ROLES, entry.role)})" if entry.user else ""
            cells = (
                texts.time_text(entry.time),
                texts.word(texts.KINDS, entry.kind),
                who,
                str(entry.seq),
                entry.reason or entry.other,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.history.setItem(row, column, item)
        self.history.resizeRowsToContents()

    def _fill_proof(self) -> None:
        detail = self.detail
        quorum = f"{len(detail.cosigners)}"
        lines = [
            self.tr("Leaf hash (SHA-256)") + f": {detail.leaf_hash}",
            self.tr("Position in the log") + f": {detail.leaf['record']['seq']} / {detail.log_size}",
            self.tr("Witness co-signatures")
            + f": {quorum} — "
            + (", ".join(texts.agency_name(self.counter.info, a) for a in detail.cosigners) or self.tr("none yet")),
            "",
            self.tr("Inclusion proof (RFC 9162, base64)") + ":",
            *[f"  {h}" for h in detail.inclusion],
            "",
            self.tr("Checkpoint (C2SP signed note)") + ":",
            detail.checkpoint,
        ]
        self.proof.setPlainText("\n".join(lines))

    # -- actions ------------------------------------------------------------------------------
    def reprint_pdf(self) -> None:
        if self.detail is None or not self.isVisible() or self.detail.erased:
            return
        cert_id = self.detail.cert_id
        self.counter.run(
            self.counter.backend.certificate_pdf,
            self.counter.session,
            cert_id,
            done=lambda pdf: self._show_pdf(cert_id, pdf),
            failed=self.banner.show_error,
            what=self.tr("Sealing the reprint…"),
        )

    def _show_pdf(self, cert_id: str, pdf: bytes) -> None:
        dialog = DocumentDialog(self.counter, self.tr("Reprint"), self)
        dialog.pane.show_document(pdf, f"{cert_id}.pdf", cert_id)
        self.last_dialog = dialog
        dialog.open()

    def change(self, key: str) -> QDialog | None:
        if self.detail is None:
            return None
        if key == "supersede":
            dialog = SupersedeDialog(self.counter, self.detail.cert_id, self.detail.type, self)
            dialog.accepted.connect(lambda: self._superseded(dialog.result_value))
        else:
            dialog = ReasonDialog(self.counter, self.detail.cert_id, key, self)
            dialog.accepted.connect(lambda: self._changed(dialog.result_value))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def _changed(self, detail: CertificateDetail) -> None:
        self.show_detail(detail)
        status = texts.STATUS.get(detail.status, (detail.status, detail.status))
        self.banner.show_pair(f"证照状态已改为“{status[0]}”。", f"The licence is now {status[1].lower()}.", "ok")
        self.counter.changed.emit("certificates")

    def _superseded(self, issued) -> None:
        self.counter.changed.emit("certificates")
        self.opened.emit(issued.cert_id)
        self.banner.show_pair(
            f"已签发替换证照 {issued.cert_id}；请为持证人打印。",
            f"Signed the replacement {issued.cert_id}; print it for the holder.",
            "ok",
        )

    # -- language ----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.back_button.setText(self.tr("← Back to results  (Esc)"))
        self.reprint.setText(self.tr("Reprint  (Ctrl+P)"))
        names = {
            "suspend": self.tr("Suspend…"),
            "reinstate": self.tr("Reinstate…"),
            "revoke": self.tr("Revoke…"),
            "supersede": self.tr("Supersede…"),
        }
        for key, widget in self.action_buttons.items():
            widget.setText(names[key])
        self.fields_title.setText(self.tr("What the licence says"))
        self.tabs.setTabText(0, self.tr("History"))
        self.tabs.setTabText(1, self.tr("Ledger entry"))
        self.tabs.setTabText(2, self.tr("Proof and co-signatures"))
        for index, widget in enumerate((self.history, self.entry, self.proof)):
            widget.setAccessibleName(self.tabs.tabText(index))  # what a screen reader says inside the tab
        self.history.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("What"), self.tr("Who"), self.tr("Record"), self.tr("Reason")]
        )
        if self.detail is not None:
            self.pill.set_status(texts.shown_status(self.detail.status, self.detail.valid_until))
            self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

"""The node panel: our own log and its witnesses, the peers we pull from, the
logs we mirror — and, in red across the top, any log that forked or broke the
rules. Refreshed every few seconds by a background task (never two at once),
so the window stays responsive when a peer hangs.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..backend import NodeStatus, SyncReport
from . import texts
from .widgets import Banner, Counter, button, card, label

REFRESH_MS = 5000


def alert_lines(info, status: NodeStatus) -> list[tuple[str, str]]:
    """Each forked or invalid log, said plainly in both languages."""
    lines = []
    for log in status.alerts:
        name_zh = name_en = log.agency
        for agency, zh, en in info.agencies:
            if agency == log.agency:
                name_zh, name_en = zh, en
        if log.status == "forked":
            lines.append(
                (
                    f"警告：{name_zh}的账本出现分叉（同一账本有两个互相矛盾的版本）。其记录暂不可信，请联系该机构和信任根。",
                    f"Warning: {name_en}'s ledger has forked (two conflicting versions). Its records "
                    "cannot be trusted for now; contact the agency and the trust root.",
                )
            )
        else:
            lines.append(
                (
                    f"警告：{name_zh}的账本违反了规则，已被标记：{log.detail}",
                    f"Warning: {name_en}'s ledger broke the rules and is flagged: {log.detail}",
                )
            )
    if not status.signing:
        lines.append((f"本节点已停止写入账本：{status.refusal}", f"This node has stopped writing: {status.refusal}"))
    return lines


def _table(columns: int, stretch: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setTabKeyNavigation(False)  # Tab leaves the list (arrows move in it): no keyboard trap
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class NodePanel(QWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.status: NodeStatus | None = None
        self._refreshing = False
        self.title = label("", "title")
        self.alerts = Banner()
        self.alerts.setObjectName("banner")
        self.banner = Banner()
        self.sync_button = button("", "primary")
        self.sync_button.setObjectName("syncNow")
        self.sync_button.clicked.connect(self.sync_now)
        self.updated = label("", "muted")
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.updated)
        top.addWidget(self.sync_button)

        own, own_layout = card()
        self.own_title = label("", "subtitle")
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.own_rows = {
            key: (label("", "muted"), label("", "value", wrap=True))
            for key in ("size", "checkpoint", "cosigners", "signing")
        }
        for row, (key_label, value) in enumerate(self.own_rows.values()):
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(key_label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
        own_layout.addWidget(self.own_title)
        own_layout.addLayout(grid)

        self.peers_title = label("", "subtitle")
        self.peers = _table(5, stretch=4)
        self.logs_title = label("", "subtitle")
        self.logs = _table(3, stretch=0)
        lower = QHBoxLayout()
        left, left_layout = card()
        left_layout.addWidget(self.peers_title)
        left_layout.addWidget(self.peers)
        right, right_layout = card()
        right_layout.addWidget(self.logs_title)
        right_layout.addWidget(self.logs)
        lower.addWidget(left, 3)
        lower.addWidget(right, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.alerts)
        layout.addWidget(self.banner)
        layout.addWidget(own)
        layout.addLayout(lower, 1)
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.retranslate()

    # -- refreshing ------------------------------------------------------------------------------
    def activate(self) -> None:
        self.refresh()
        self.timer.start()

    def deactivate(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        self.counter.run(self.counter.backend.node_status, done=self.show_status, failed=self._failed, quiet=True)

    def _failed(self, exc: BaseException) -> None:
        self._refreshing = False
        self.banner.show_error(exc)

    def show_status(self, status: NodeStatus) -> None:
        self._refreshing = False
        self.status = status
        self._fill()

    def sync_now(self) -> None:
        self.sync_button.setEnabled(False)
        self.counter.run(
            self.counter.backend.sync_now,
            self.counter.session,
            done=self._synced,
            failed=self._sync_failed,
            what=self.tr("Syncing with the peers…"),
        )

    def _synced(self, report: SyncReport) -> None:
        self.sync_button.setEnabled(True)
        self.banner.show_pair(
            "同步完成，各对等节点的结果见下表。", "Sync done; each peer's result is in the table below.", "info"
        )
        self.banner.setToolTip("\n".join(report.lines))
        self.refresh()
        self.counter.changed.emit("node")

    def _sync_failed(self, exc: BaseException) -> None:
        self.sync_button.setEnabled(True)
        self.banner.show_error(exc)

    # -- showing ------------------------------------------------------------------------------------
    def _fill(self) -> None:
        status = self.status
        if status is None:
            return
        lines = alert_lines(self.counter.info, status)
        if lines:
            self.alerts.show_pair("\n".join(zh for zh, _ in lines), "\n".join(en for _, en in lines), "error")
        else:
            self.alerts.clear()
        name = lambda agency: texts.agency_name(self.counter.info, agency)  # noqa: E731
        values = {
            "size": self.tr("%1 records").replace("%1", f"{status.own_size:,}"),
            "checkpoint": (
                self.tr("signed at size %1").replace("%1", status.checkpoint.split("\n")[1])
                if status.checkpoint
                else self.tr("none yet")
            )
            + (
                self.tr(" · last co-signed %1").replace("%1", texts.time_text(status.checkpoint_time))
                if status.checkpoint_time
                else ""
            ),
            "cosigners": self.tr("%1 co-signatures (%2 needed)")
            .replace("%1", str(len(status.cosigners)))
            .replace("%2", str(status.quorum))
            + (": " + ", ".join(name(a) for a in status.cosigners) if status.cosigners else ""),
            "signing": self.tr("writing normally") if status.signing else status.refusal or "",
        }
        for key, (_, value) in self.own_rows.items():
            value.setText(values[key])
        self.peers.setRowCount(len(status.peers))
        for row, peer in enumerate(status.peers):
            lag = sum(peer.lag_entries.values())
            seconds = max(peer.lag_seconds.values(), default=0)
            contact = texts.time_text(peer.last_contact) if peer.last_contact else self.tr("never")
            state = peer.error or (self.tr("ok") if peer.last_contact else self.tr("not contacted yet"))
            cells = (
                peer.url,
                contact,
                self.tr("%1 records, %2 s").replace("%1", str(lag)).replace("%2", f"{seconds:.0f}"),
                str(peer.failures),
                state,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 4 and peer.error:
                    item.setForeground(Qt.GlobalColor.darkRed)
                item.setToolTip(text)
                self.peers.setItem(row, column, item)
        self.logs.setRowCount(len(status.logs))
        for row, log in enumerate(status.logs):
            item = QTableWidgetItem(texts.word(texts.PROOF_STATUS, log.status) if log.status != "ok" else self.tr("ok"))
            if log.status != "ok":
                item.setForeground(Qt.GlobalColor.red)
            self.logs.setItem(row, 0, QTableWidgetItem(name(log.agency)))
            self.logs.setItem(row, 1, QTableWidgetItem(f"{log.size:,}"))
            self.logs.setItem(row, 2, item)
        self.updated.setText(self.tr("Refreshed every 5 seconds"))

    # -- language -------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Node status"))
        self.sync_button.setText(self.tr("Sync now"))
        self.own_title.setText(self.tr("Our ledger"))
        labels = {
            "size": self.tr("Size"),
            "checkpoint": self.tr("Checkpoint"),
            "cosigners": self.tr("Witnesses"),
            "signing": self.tr("State"),
        }
        for key, (key_label, _) in self.own_rows.items():
            key_label.setText(labels[key])
        self.peers_title.setText(self.tr("Peers"))
        self.peers.setHorizontalHeaderLabels(
            [
                self.tr("Address"),
                self.tr("Last contact"),
                self.tr("Behind by"),
                self.tr("Failures"),
                self.tr("Last error"),
            ]
        )
        self.logs_title.setText(self.tr("Ledgers held here"))
        self.logs.setHorizontalHeaderLabels([self.tr("Agency"), self.tr("Records"), self.tr("State")])
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

"""The charity desk's disclosure tab: `charity disclose` at the counter. Pick a
quarter and a folder, make each project's sealed report, CSV and JSON there,
and see which projects owe a report (due) or are past its date (late);
a supervisor may also sign the disclosure records of a quarter that is over.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from charity.periods import Quarter
from charity.schedule import STATUS_WORDS
from ui import i18n

from ..backend import DisclosureRow
from .charity_forms import set_row, table
from .widgets import Banner, Counter, button, card, label

QUARTERS_SHOWN = 8


def recent_quarters(today: date) -> list[str]:
    """The last quarter that is over first, then older ones, then the current one."""
    current = Quarter.containing(today)
    out, quarter = [], current.previous()
    for _ in range(QUARTERS_SHOWN):
        out.append(str(quarter))
        quarter = quarter.previous()
    return out + [str(current)]


class DisclosureTab(QWidget):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.rows: tuple[DisclosureRow, ...] = ()
        self.banner = Banner()
        self.intro = label("", "muted", wrap=True)
        self.quarter = QComboBox()
        self.quarter.setObjectName("disclosureQuarter")
        self.quarter.addItems(recent_quarters(date.today()))
        self.folder = QLineEdit(str(Path.home() / "citychain-disclosure"))
        self.folder.setObjectName("disclosureFolder")
        self.choose = button()
        self.choose.clicked.connect(self._choose)
        self.record = QCheckBox()
        self.record.setObjectName("disclosureRecord")
        self.record.setVisible(counter.may("charity.disclose"))
        self.make = button("", "primary")
        self.make.setObjectName("disclose")
        self.make.clicked.connect(self.disclose)
        self.table = table(4, stretch=3)
        self.table.setObjectName("disclosures")
        box, box_layout = card()
        row = QHBoxLayout()
        row.addWidget(self.quarter)
        row.addWidget(self.folder, 1)
        row.addWidget(self.choose)
        box_layout.addLayout(row)
        actions = QHBoxLayout()
        actions.addWidget(self.record)
        actions.addStretch(1)
        actions.addWidget(self.make)
        box_layout.addLayout(actions)
        box_layout.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.banner)
        layout.addWidget(box, 1)
        self.retranslate()

    def _choose(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Folder for the reports"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def disclose(self) -> None:
        self.make.setEnabled(False)
        self.counter.run(
            self.counter.backend.disclose,
            self.counter.session,
            self.quarter.currentText(),
            self.folder.text().strip(),
            self.record.isChecked(),
            done=self._show,
            failed=self._failed,
            what=self.tr("Making the disclosure reports…"),
        )

    def _failed(self, exc: BaseException) -> None:
        self.make.setEnabled(True)
        self.banner.show_error(exc)

    def _show(self, rows: tuple[DisclosureRow, ...]) -> None:
        self.make.setEnabled(True)
        self.rows = rows
        self._fill()
        files = sum(len(r.files) for r in rows)
        owed = sum(len(r.owed) for r in rows)
        self.banner.show_pair(
            f"已写出 {files} 个文件；{owed} 份报告待公开或逾期。",
            f"{files} files written; {owed} reports due or late.",
            "ok" if owed == 0 else "info",
        )

    def _fill(self) -> None:
        self.table.setRowCount(len(self.rows))
        for row, r in enumerate(self.rows):
            state = i18n.pick(*STATUS_WORDS[r.state])
            owed = "; ".join(f"{period} {i18n.pick(*STATUS_WORDS[status])} ≤ {due}" for period, due, status in r.owed)
            set_row(self.table, row, [r.project, i18n.pick(r.name_zh, r.name_en), state, owed or "—"], r.project)

    def retranslate(self) -> None:
        self.intro.setText(
            self.tr(
                "Projects longer than six months publish their progress every quarter, by the end of the "
                "following month; an ended project publishes the full use of its money within three months."
            )
        )
        self.choose.setText(self.tr("Choose…"))
        self.record.setText(self.tr("Also record the quarter's reports as disclosed (signed in the ledger)"))
        self.make.setText(self.tr("Make the reports"))
        self.folder.setAccessibleName(self.tr("Folder for the reports"))
        self.table.setAccessibleName(self.tr("Projects and their reports"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Project"), self.tr("Name"), self.tr("State"), self.tr("Reports due or late")]
        )
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

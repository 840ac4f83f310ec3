"""Funds and projects: what each fund raised and where it is, drawn as a
flow; its projects; and, for supervisors, new funds, new projects and
allocations from a fund to a project."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from charity.flow import fund_flow

from . import texts
from .charity_forms import (
    CharityData,
    FormDialog,
    MoneyEdit,
    fill_combo,
    flow_view,
    fund_items,
    project_items,
    set_row,
    table,
)
from .widgets import Counter, button, card, label


class FundsTab(QWidget):
    def __init__(self, counter: Counter, data: CharityData) -> None:
        super().__init__()
        self.counter, self.data = counter, data
        left, left_layout = card()
        self.funds_title = label("", "subtitle")
        self.funds = table(3, stretch=0)
        self.funds.setObjectName("funds")
        self.funds.itemSelectionChanged.connect(self._show_fund)
        self.new_fund = button()
        self.new_project = button()
        self.allocate_button = button("", "primary")
        self.allocate_button.setObjectName("allocate")
        self.new_fund.clicked.connect(self.fund_dialog)
        self.new_project.clicked.connect(self.project_dialog)
        self.allocate_button.clicked.connect(self.allocate_dialog)
        for widget, action in (
            (self.new_fund, "charity.fund.manage"),
            (self.new_project, "charity.fund.manage"),
            (self.allocate_button, "charity.allocate"),
        ):
            widget.setVisible(counter.may(action))
        row = QHBoxLayout()
        row.addWidget(self.new_fund)
        row.addWidget(self.new_project)
        row.addStretch(1)
        row.addWidget(self.allocate_button)
        self.empty = label("", "muted", wrap=True)
        left_layout.addWidget(self.funds_title)
        left_layout.addWidget(self.funds, 1)
        left_layout.addWidget(self.empty)
        left_layout.addLayout(row)

        right, right_layout = card()
        self.flow_title = label("", "subtitle")
        self.diagram = flow_view("fundFlow")
        self.projects_title = label("", "subtitle")
        self.projects = table(5, stretch=0)
        right_layout.addWidget(self.flow_title)
        right_layout.addWidget(self.diagram, 3)
        right_layout.addWidget(self.projects_title)
        right_layout.addWidget(self.projects, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(split)
        data.updated.connect(self._fill)
        self.retranslate()

    # -- showing ------------------------------------------------------------------------------
    def _fill(self) -> None:
        chosen = self.selected_fund()
        funds = self.data.funds
        self.funds.blockSignals(True)
        self.funds.setRowCount(len(funds))
        for row, fund in enumerate(funds):
            set_row(
                self.funds,
                row,
                [
                    texts.pick(fund.name_zh, fund.name_en),
                    texts.money(fund.raised_fen),
                    texts.money(fund.unallocated_fen),
                ],
                fund.id,
            )
            if fund.id == chosen or (chosen is None and row == 0):
                self.funds.selectRow(row)
        self.funds.blockSignals(False)
        self.empty.setVisible(not funds)
        self._show_fund()

    def selected_fund(self) -> str | None:
        rows = self.funds.selectionModel().selectedRows() if self.funds.selectionModel() else []
        if not rows:
            return None
        return self.funds.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _show_fund(self) -> None:
        fund = self.data.fund(self.selected_fund() or "")
        projects = [p for p in self.data.projects if fund and p.fund == fund.id]
        self.diagram.set_flow(fund_flow(fund, projects) if fund else None)
        name = texts.pick(fund.name_zh, fund.name_en) if fund else ""
        self.flow_title.setText(
            self.tr("Where the money of %1 is").replace("%1", name) if fund else self.tr("Where the money is")
        )
        self.projects.setRowCount(len(projects))
        for row, p in enumerate(projects):
            set_row(
                self.projects,
                row,
                [
                    texts.pick(p.name_zh, p.name_en),
                    texts.money(p.budget_fen),
                    texts.money(p.allocated_fen),
                    texts.money(p.held_fen),
                    texts.money(p.disbursed_fen),
                ],
                p.id,
            )

    # -- supervisors' dialogs ------------------------------------------------------------------------
    def _open(self, dialog: FormDialog) -> FormDialog:
        dialog.accepted.connect(lambda: self.counter.changed.emit("charity"))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def fund_dialog(self) -> FormDialog:
        fund_id, name_zh, name_en, target = QLineEdit(), QLineEdit(), QLineEdit(), MoneyEdit()
        fund_id.setPlaceholderText("FUND-2026-EDU")
        target.setPlaceholderText(self.tr("optional"))
        backend, session = self.counter.backend, self.counter.session

        def build():
            goal = target.fen() if target.text().strip() else None
            return backend.create_fund, (session, fund_id.text().strip(), name_zh.text(), name_en.text(), goal)

        return self._open(
            FormDialog(
                self.counter,
                self.tr("New fund"),
                [
                    (self.tr("Fund code"), fund_id),
                    (self.tr("Name (Chinese)"), name_zh),
                    (self.tr("Name (English)"), name_en),
                    (self.tr("Target (yuan)"), target),
                ],
                build,
                self.tr("Create"),
                self,
            )
        )

    def project_dialog(self) -> FormDialog:
        project_id, fund, name_zh, name_en, budget = QLineEdit(), QComboBox(), QLineEdit(), QLineEdit(), MoneyEdit()
        project_id.setPlaceholderText("PRJ-2026-01")
        fill_combo(fund, fund_items(self.data))
        fund.setCurrentIndex(max(0, fund.findData(self.selected_fund())))
        backend, session = self.counter.backend, self.counter.session

        def build():
            return backend.create_project, (
                session,
                project_id.text().strip(),
                fund.currentData(),
                name_zh.text(),
                name_en.text(),
                budget.fen(),
            )

        return self._open(
            FormDialog(
                self.counter,
                self.tr("New project"),
                [
                    (self.tr("Project code"), project_id),
                    (self.tr("Fund"), fund),
                    (self.tr("Name (Chinese)"), name_zh),
                    (self.tr("Name (English)"), name_en),
                    (self.tr("Budget (yuan)"), budget),
                ],
                build,
                self.tr("Create"),
                self,
            )
        )

    def allocate_dialog(self) -> FormDialog:
        fund, project, amount = QComboBox(), QComboBox(), MoneyEdit()
        fund.currentIndexChanged.connect(lambda _: fill_combo(project, project_items(self.data, fund.currentData())))
        fill_combo(fund, fund_items(self.data))
        fund.setCurrentIndex(max(0, fund.findData(self.selected_fund())))
        backend, session = self.counter.backend, self.counter.session

        def build():
            return backend.allocate, (session, fund.currentData(), project.currentData(), amount.fen())

        return self._open(
            FormDialog(
                self.counter,
                self.tr("Allocate to a project"),
                [(self.tr("From fund"), fund), (self.tr("To project"), project), (self.tr("Amount (yuan)"), amount)],
                build,
                self.tr("Allocate"),
                self,
            )
        )

    # -- language -----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.funds_title.setText(self.tr("Funds"))
        self.funds.setHorizontalHeaderLabels([self.tr("Fund"), self.tr("Raised"), self.tr("Not allocated")])
        self.projects_title.setText(self.tr("Projects of this fund"))
        self.projects.setHorizontalHeaderLabels(
            [self.tr("Project"), self.tr("Budget"), self.tr("Allocated"), self.tr("Held"), self.tr("Disbursed")]
        )
        self.new_fund.setText(self.tr("New fund…"))
        self.new_project.setText(self.tr("New project…"))
        self.allocate_button.setText(self.tr("Allocate…"))
        self.empty.setText(self.tr("No funds yet. A supervisor creates the first fund with “New fund…”."))
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

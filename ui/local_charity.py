"""The charity half of `LocalBackend`: the charity desk (charity.desk) of the
embedded node, with results as the plain data of ui.backend.

A mixin, because the Protocol wants one object; it uses the backend's node,
sessions and read connections, and adds no state of its own but the desk.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from charity import request_list

from .backend import (
    UNAVAILABLE,
    BackendError,
    Disbursement,
    DisclosureRow,
    Donation,
    Fund,
    Project,
    Session,
    Trace,
    Written,
)
from .errors import translated


def _fund(t) -> Fund:
    return Fund(
        t.id,
        t.name_zh,
        t.name_en,
        t.target_fen,
        t.donations,
        t.raised_fen,
        t.refunded_fen,
        t.allocated_fen,
        t.unallocated_fen,
        t.pending_fen,
        t.disbursed_fen,
        t.acknowledged_fen,
        t.spent_fen,
        t.held_fen,
    )


def _project(t) -> Project:
    return Project(
        t.id,
        t.fund,
        t.name_zh,
        t.name_en,
        t.budget_fen,
        t.allocated_fen,
        t.pending_fen,
        t.disbursed_fen,
        t.acknowledged_fen,
        t.spent_fen,
        t.held_fen,
    )


class CharityMethods:
    node: Any

    @cached_property
    def charity(self):
        from charity.desk import CharityDesk

        return CharityDesk(self.node, self.node.private())

    @cached_property
    def public_charity(self):
        """The desk for public reads: no private store, so no passphrase (a kiosk's read-only node)."""
        from charity.desk import CharityDesk

        return CharityDesk(self.node)

    def _written(self, id_: str, leaf=None) -> Written:
        if leaf is None:
            head = self.node.store.head(self.node.config.agency)
            leaf = self.desk.leaf(head.size - 1)  # the record just appended (we hold the node's lock)
        return Written(id_, leaf.record.seq, leaf.hash_hex)

    # -- reading ------------------------------------------------------------------------
    def funds(self, session: Session) -> tuple[Fund, ...]:
        self._user(session)
        with translated():
            return tuple(_fund(t) for t in self.charity.funds())

    def projects(self, session: Session, fund_id: str | None = None) -> tuple[Project, ...]:
        self._user(session)
        with translated():
            return tuple(_project(t) for t in self.charity.projects(fund_id or None))

    def donations(self, session: Session, limit: int = 200) -> tuple[Donation, ...]:
        self._user(session)
        with translated():
            listed = self.charity.donations()
        return tuple(
            Donation(
                d.receipt,
                d.seq,
                d.time,
                d.fund,
                d.amount_fen,
                d.channel,
                d.anonymous,
                d.refunded_fen,
                d.reversed_by,
                d.donor,
            )
            for d in reversed(listed[-limit:])
        )

    def disbursements(self, session: Session, status: str = "") -> tuple[Disbursement, ...]:
        self._user(session)
        with translated():
            rows = request_list.charity_requests(self.readers.store().conn, self.node.config.agency, status)
        return tuple(Disbursement(**row) for row in rows)

    def to_acknowledge(self, session: Session) -> tuple[Disbursement, ...]:
        self._user(session)
        with translated():
            rows = request_list.to_acknowledge(self.readers.store().conn, self.node.config.agency)
        return tuple(Disbursement(**row) for row in rows)

    def trace(self, receipt: str) -> Trace:
        with translated():
            report = self.public_charity.trace(receipt)
        breakdown = tuple((b["state"], b["amount_fen"]) for b in report["breakdown"])
        return Trace(report["receipt"], report["amount_fen"], breakdown, report)

    def receipt_pdf(self, session: Session, receipt: str) -> bytes:
        self._user(session)
        try:
            from charity.receipt_pdf import receipt_pdf
        except ImportError:
            raise BackendError(
                UNAVAILABLE, "本版本还不能打印捐赠收据", "receipts cannot be printed by this version yet"
            ) from None
        with translated(), self.node.lock:
            return receipt_pdf(self.node, receipt, self.node.private())

    def disclose(self, session: Session, quarter: str, out: str, record: bool = False) -> tuple[DisclosureRow, ...]:
        from pathlib import Path

        from charity.disclosure import write_reports
        from charity.periods import Quarter

        user = self._user(session)
        try:
            period = Quarter.parse(quarter)
        except ValueError:
            raise BackendError("BAD_QUARTER", "季度应写成 2026Q4", "a quarter is written like 2026Q4") from None
        with translated():
            if record:
                self.charity.record_disclosures(user, period)
            written = write_reports(self.node, period, Path(out))
        return tuple(
            DisclosureRow(
                p.project.id,
                p.project.name_zh,
                p.project.name_en,
                p.state,
                tuple((o.period, o.due.isoformat(), o.status) for o in p.outstanding),
                tuple(f.name for f in written.files if f.name.startswith(f"{p.project.id}-")),
            )
            for p in written.projects
        )

    # -- writing ---------------------------------------------------------------------------
    def create_fund(
        self, session: Session, fund_id: str, name_zh: str, name_en: str, target_fen: int | None = None
    ) -> Written:
        user = self._user(session)
        with translated():
            return self._written(fund_id, self.charity.create_fund(user, fund_id.strip(), name_zh, name_en, target_fen))

    def create_project(
        self, session: Session, project_id: str, fund_id: str, name_zh: str, name_en: str, budget_fen: int
    ) -> Written:
        user = self._user(session)
        with translated():
            leaf = self.charity.create_project(user, project_id.strip(), fund_id, name_zh, name_en, budget_fen)
            return self._written(project_id, leaf)

    def record_donation(
        self,
        session: Session,
        fund_id: str,
        amount_fen: int,
        channel: str,
        donor_name: str,
        donor_id_number: str | None = None,
        anonymous: bool = False,
    ) -> Written:
        user = self._user(session)
        with translated(), self.node.lock:
            receipt = self.charity.record_donation(
                user, fund_id, amount_fen, channel, donor_name, donor_id_number or None, anonymous
            )
            return self._written(receipt)

    def allocate(self, session: Session, fund_id: str, project_id: str, amount_fen: int) -> Written:
        user = self._user(session)
        with translated(), self.node.lock:
            return self._written(self.charity.allocate(user, fund_id, project_id, amount_fen))

    def request_disbursement(
        self,
        session: Session,
        project_id: str,
        amount_fen: int,
        beneficiary_name: str,
        beneficiary_id_number: str,
        beneficiary_agency: str,
        purpose: str,
    ) -> Written:
        user = self._user(session)
        with translated(), self.node.lock:
            rid = self.charity.request_disbursement(
                user,
                project_id,
                amount_fen,
                beneficiary_name,
                beneficiary_id_number or None,
                beneficiary_agency,
                purpose,
            )
            return self._written(rid)

    def approve(self, session: Session, request_id: str) -> Written:
        user = self._user(session)
        with translated():
            return self._written(request_id, self.charity.approve(user, request_id))

    def cancel(self, session: Session, request_id: str, reason: str) -> Written:
        user = self._user(session)
        with translated():
            return self._written(request_id, self.charity.cancel(user, request_id, reason))

    def acknowledge(self, session: Session, charity: str, request_id: str) -> Written:
        user = self._user(session)
        with translated():
            return self._written(request_id, self.charity.acknowledge(user, charity, request_id))

"""The charity desk of one node: the one place the CLI, the HTTP routes, the
demo city and the apps go through to record and read charity money.

Everything is written with `Node.append`, so roles, the trust log and the
charity rules hold exactly as over HTTP; the names of the people who act
(`requested_by`, `approved_by`, …) are always the signed-in user's. Donors and
beneficiaries reach the ledger only as commitments; their clear values and the
fresh seed go to the node's encrypted private store in the same step:

    namespace "charity.donor",       key = receipt code,
    namespace "charity.beneficiary", key = request id,
    value {"seed": <32 hex>, "name": …, "id_number": … or null, "anonymous": bool}

A refusal (bad input, a broken rule, a missing role) raises a bilingual error
and leaves both the ledger and the private store as they were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from citychain.documents.money import check_fen
from citychain.errors import BilingualError
from citychain.log.records import Leaf
from citychain.node.node import Node
from citychain.node.private import PrivateStore

from . import bodies
from . import trace as tracing
from .kinds import ACKNOWLEDGE
from .privacy import BENEFICIARY, DONOR, mask_name, new_seed, person_commitment
from .receipts import InvalidReceipt, make_receipt, parse_receipt
from .rules import CHANNELS
from .trace_json import ProofView, trace_report

DONOR_NS = "charity.donor"
BENEFICIARY_NS = "charity.beneficiary"
RECEIPT_WIDTH = 8  # D-00000123-X; the next serial is found by index order, so the width is fixed
ID_WIDTH = 6  # ALLOC-000012
PREFIXES = {"allocation": "ALLOC", "request": "REQ", "expenditure": "EXP", "refund": "RF", "reversal": "REV"}
ANONYMOUS_ZH = "匿名"
CHANNEL_WORDS = {"cash": ("现金", "cash"), "bank": ("银行转账", "bank transfer"), "online": ("网上支付", "online")}


class CharityError(BilingualError):
    """A request the desk refuses before anything is written: an unknown
    fund, project or request is a 404, a rule's refusal a 422."""

    @property
    def status(self) -> int:
        return 404 if self.code.startswith("UNKNOWN_") else 422


@dataclass(frozen=True)
class Person:
    """A donor or beneficiary as typed at the counter."""

    name: str
    id_number: str | None = None


@dataclass(frozen=True)
class DonationInput:
    fund_id: str
    amount_fen: int
    channel: str
    donor: Person
    anonymous: bool = False


@dataclass(frozen=True)
class DonationListing:
    """One donation as the desk lists it: the donor masked (张**) or 匿名."""

    charity: str
    receipt: str
    seq: int
    time: str
    fund: str
    amount_fen: int
    channel: str
    anonymous: bool
    refunded_fen: int
    reversed_by: str | None
    donor: str | None  # masked name, 匿名, or None when the clear name is not on this node

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _text(value: Any, what_zh: str, what_en: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CharityError("MISSING", f"请填写{what_zh}", f"{what_en} is required")
    return value.strip()


def _person(person: Person, what_zh: str, what_en: str) -> Person:
    name = _text(person.name, f"{what_zh}姓名", f"the {what_en}'s name")
    id_number = person.id_number.strip() if person.id_number and person.id_number.strip() else None
    return Person(name, id_number)


def file_sha256(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise CharityError(
            "EVIDENCE", f"无法读取凭证文件 {path}", f"cannot read the evidence file {path}: {exc.strerror}"
        ) from None


class CharityDesk:
    def __init__(self, node: Node, private_store: PrivateStore | None = None) -> None:
        self.node = node
        self.private_store = private_store

    @property
    def agency(self) -> str:
        return self.node.config.agency

    # -- reading ---------------------------------------------------------------
    def trace(self, receipt: str, charity: str | None = None) -> dict[str, Any]:
        """The donation's breakdown and steps, each with its proof status (trace_json)."""
        node = self.node
        with node.lock:
            view = ProofView(
                node.store.conn,
                node.trust,
                node.config.city,
                node.config.witness_quorum,
                int(node.clock.now().timestamp()),
            )
            return traced(lambda: trace_report(view, receipt, charity))

    def donations(self, charity: str | None = None) -> list[DonationListing]:
        """Every donation of `charity` (default: this node's own log) in log order."""
        with self.node.lock:
            rows = list(tracing.donations(self.node.store.conn, charity or self.agency))
        return [DonationListing(**asdict(d), donor=self._donor_display(d.receipt, d.anonymous)) for d in rows]

    def _donor_display(self, receipt: str, anonymous: bool) -> str | None:
        if anonymous:
            return ANONYMOUS_ZH
        clear = self.private_store.get(DONOR_NS, receipt) if self.private_store else None
        return mask_name(clear["name"]) if clear else None

    def funds(self, charity: str | None = None) -> tuple[tracing.FundTotals, ...]:
        with self.node.lock:
            return traced(lambda: tracing.funds(self.node.store.conn, charity or self.agency))

    def projects(self, fund_id: str | None = None, charity: str | None = None) -> tuple[tracing.ProjectTotals, ...]:
        with self.node.lock:
            return traced(lambda: tracing.projects(self.node.store.conn, charity or self.agency, fund_id))

    def fund_totals(self, fund_id: str, charity: str | None = None) -> tracing.FundTotals:
        with self.node.lock:
            return traced(lambda: tracing.fund_totals(self.node.store.conn, charity or self.agency, fund_id))

    def pending_requests(self) -> list[dict[str, Any]]:
        """Requests of this node's log awaiting a decision (for the approver's list)."""
        with self.node.lock:
            rows = self.node.store.conn.execute(  # per project: an index seek on (log, project, status)
                "SELECT r.id, r.project, r.amount, r.purpose, r.requested_by, r.beneficiary_agency, r.seq "
                "FROM charity_projects p CROSS JOIN charity_requests r ON r.log = p.log AND r.project = p.id "
                "AND r.status = 'pending' WHERE p.log = ? ORDER BY r.seq",
                (self._own_log(),),
            ).fetchall()
        keys = ("id", "project", "amount_fen", "purpose", "requested_by", "beneficiary_agency", "seq")
        return [dict(zip(keys, row)) for row in rows]

    # -- writing: funds and projects ------------------------------------------
    def create_fund(self, user, fund_id: str, name_zh: str, name_en: str, target_fen: int | None = None) -> Leaf:
        if target_fen is not None:
            check_fen(target_fen, "筹款目标", "the target")
        item = bodies.fund(
            fund_id,
            _text(name_zh, "中文名称", "a Chinese name"),
            _text(name_en, "英文名称", "an English name"),
            target_fen,
        )
        return self._append(user, item, fund_id)

    def create_project(
        self,
        user,
        project_id: str,
        fund_id: str,
        name_zh: str,
        name_en: str,
        budget_fen: int,
        milestones: Sequence[dict[str, Any]] = (),
    ) -> Leaf:
        check_fen(budget_fen, "预算", "the budget")
        item = bodies.project(
            project_id,
            fund_id,
            _text(name_zh, "中文名称", "a Chinese name"),
            _text(name_en, "英文名称", "an English name"),
            budget_fen,
            milestones,
        )
        return self._append(user, item, project_id)

    # -- writing: a project's life and its disclosures ---------------------------
    def start_project(self, user, project_id: str, start: str, planned_end: str) -> Leaf:
        return self._append(user, bodies.project_started(project_id, start, planned_end, user.name), project_id)

    def end_project(self, user, project_id: str, end: str) -> Leaf:
        return self._append(user, bodies.project_ended(project_id, end, user.name), project_id)

    def close_project(self, user, project_id: str) -> Leaf:
        """The closure record, committing to the final report as the log gives it now."""
        from .project_log import read_projects
        from .quarterly import final_report

        with self.node.lock:
            project = self._project(read_projects(self.node.store.conn, self.agency), project_id)
            if project.end is None:
                raise CharityError(
                    "NOT_ENDED", f"项目 {project_id} 尚未结束，不能结项", f"project {project_id} has not ended"
                )
            item = bodies.project_closed(project_id, final_report(project).sha256, user.name)
            return self._append(user, item, project_id)

    def record_disclosures(self, user, quarter) -> list[tuple[str, str]]:
        """A disclosure record for each project's `quarter` report not yet
        recorded (the quarter must be over); [(project, report sha256)]."""
        from .disclosure import city_today, quarter_reports

        with self.node.lock:
            today = city_today(self.node.clock.now())
            items = [
                bodies.project_disclosed(p.project.id, r.period, r.sha256, user.name)
                for p in quarter_reports(self.node.store.conn, self.agency, quarter, today)
                for r in p.reports
                if r.period == str(quarter) and p.recorded_sha256(r) is None
            ]
            if items:
                self.node.append(user, items, target=str(quarter))
        return [(body["project"], body["report_sha256"]) for _, body in items]

    @staticmethod
    def _project(projects, project_id: str):
        found = next((p for p in projects if p.id == project_id), None)
        if found is None:
            raise CharityError(
                "UNKNOWN_PROJECT", f"本机构没有项目 {project_id}", f"this organisation has no project {project_id}"
            )
        return found

    # -- writing: money in -------------------------------------------------------
    def record_donation(
        self,
        user,
        fund_id: str,
        amount_fen: int,
        channel: str,
        donor_name: str,
        donor_id_number: str | None = None,
        anonymous: bool = False,
    ) -> str:
        """Returns the receipt code."""
        return self.record_donations(
            user, [DonationInput(fund_id, amount_fen, channel, Person(donor_name, donor_id_number), anonymous)]
        )[0]

    def record_donations(self, user, donations: Iterable[DonationInput]) -> list[str]:
        """Several donations in one signed batch (all or none); their receipt codes."""
        donations = list(donations)
        if not donations:
            return []
        for d in donations:
            check_fen(d.amount_fen)
            if d.channel not in CHANNELS:
                raise CharityError(
                    "BAD_CHANNEL",
                    "捐赠渠道须为现金、银行转账或网上支付（cash / bank / online）",
                    f"the channel must be cash, bank or online, not {d.channel!r}",
                )
        people = [_person(d.donor, "捐赠人", "donor") for d in donations]
        with self.node.lock:
            first = self._next_receipt_number()
            receipts = [make_receipt(first + i, RECEIPT_WIDTH) for i in range(len(donations))]
            items, private = [], []
            for receipt, d, person in zip(receipts, donations, people):
                seed = new_seed()
                items.append(
                    bodies.donation(
                        receipt,
                        d.fund_id,
                        d.amount_fen,
                        d.channel,
                        person_commitment(seed, DONOR, person.name, person.id_number, self.node.config.suite.hash),
                        d.anonymous,
                    )
                )
                private.append(
                    (
                        receipt,
                        {
                            "seed": seed.hex(),
                            "name": person.name,
                            "id_number": person.id_number,
                            "anonymous": d.anonymous,
                        },
                    )
                )
            self._append_with_private(user, items, DONOR_NS, private, receipts[0])
        return receipts

    def refund(self, user, receipt: str, amount_fen: int, reason: str) -> str:
        check_fen(amount_fen)
        reason = _text(reason, "退款原因", "a reason")
        code = traced(lambda: str(parse_receipt(receipt)))
        return self._append_new_id(user, "refund", lambda rid: bodies.refund(rid, code, amount_fen, reason), code)

    # -- writing: money out ------------------------------------------------------
    def allocate(self, user, fund_id: str, project_id: str, amount_fen: int) -> str:
        check_fen(amount_fen)
        return self._append_new_id(
            user, "allocation", lambda aid: bodies.allocation(aid, fund_id, project_id, amount_fen), project_id
        )

    def request_disbursement(
        self,
        user,
        project_id: str,
        amount_fen: int,
        beneficiary_name: str,
        beneficiary_id_number: str | None,
        beneficiary_agency: str,
        purpose: str,
        evidence_files: Sequence[Path | str] = (),
    ) -> str:
        """Returns the request id; the amount is reserved until a second person decides."""
        check_fen(amount_fen)
        person = _person(Person(beneficiary_name, beneficiary_id_number), "受益人", "beneficiary")
        purpose = _text(purpose, "用途", "a purpose")
        self._check_beneficiary_agency(beneficiary_agency)
        evidence = [file_sha256(Path(f)) for f in evidence_files]
        seed = new_seed()
        beneficiary = person_commitment(seed, BENEFICIARY, person.name, person.id_number, self.node.config.suite.hash)
        with self.node.lock:
            rid = self._next_id("request")
            item = bodies.request(
                rid, project_id, amount_fen, beneficiary, beneficiary_agency, purpose, user.name, evidence
            )
            clear = {"seed": seed.hex(), "name": person.name, "id_number": person.id_number, "anonymous": False}
            self._append_with_private(user, [item], BENEFICIARY_NS, [(rid, clear)], rid)
        return rid

    def approve(self, user, request_id: str) -> Leaf:
        """By a supervisor other than the requester (the rules check both)."""
        return self._append(user, bodies.approval(request_id, user.name), request_id)

    def cancel(self, user, request_id: str, reason: str) -> Leaf:
        return self._append(
            user, bodies.cancellation(request_id, user.name, _text(reason, "取消原因", "a reason")), request_id
        )

    def record_expenditure(
        self, user, project_id: str, amount_fen: int, purpose: str, evidence_files: Sequence[Path | str] = ()
    ) -> str:
        check_fen(amount_fen)
        purpose = _text(purpose, "用途", "a purpose")
        evidence = [file_sha256(Path(f)) for f in evidence_files]
        return self._append_new_id(
            user,
            "expenditure",
            lambda eid: bodies.expenditure(eid, project_id, amount_fen, purpose, user.name, evidence),
            project_id,
        )

    def reverse(self, user, target: str, reason: str) -> str:
        reason = _text(reason, "冲正原因", "a reason")
        return self._append_new_id(user, "reversal", lambda vid: bodies.reversal(vid, target, reason), target)

    def acknowledge(self, user, charity_agency: str, request_id: str) -> Leaf:
        """On the beneficiary agency's node: receipt of an approved disbursement,
        pointing to the approval in the charity's log as this node mirrors it."""
        with self.node.lock:
            try:
                item = bodies.acknowledgement(self.node.store.conn, charity_agency, request_id, user.name)
            except bodies.NotApproved:
                raise CharityError(
                    "NOT_APPROVED",
                    f"本节点未见到 {charity_agency} 批准支出申请 {request_id}（请先同步）",
                    f"this node holds no approval of request {request_id} by {charity_agency} (sync first?)",
                ) from None
            return self._append(user, item, request_id)

    # -- internals -----------------------------------------------------------------
    def _append(self, user, item: tuple[str, dict], target: str) -> Leaf:
        return self.node.append(user, [item], target=target).leaves[0]

    def _append_new_id(self, user, kind: str, build, target: str) -> str:
        with self.node.lock:
            new_id = self._next_id(kind)
            self._append(user, build(new_id), target)
        return new_id

    def _append_with_private(self, user, items: list, ns: str, private: list[tuple[str, dict]], target: str) -> None:
        """Clear values first (a crash leaves an unused private row, never a ledger
        record nobody can open); taken back if the ledger refuses."""
        if self.private_store is None:
            raise CharityError(
                "NO_PRIVATE_STORE", "此操作需要本节点的加密私有存储", "this needs the node's encrypted private store"
            )
        for key, value in private:
            self.private_store.put(ns, key, value)
        try:
            self.node.append(user, items, target=target)
        except BaseException:
            for key, _ in private:
                self.private_store.erase(ns, key)
            raise

    def _own_log(self) -> int | None:
        head = self.node.store.head(self.agency)
        return head.id if head else None

    def _next_receipt_number(self) -> int:
        row = self.node.store.conn.execute(
            "SELECT receipt FROM charity_donations WHERE log=? AND receipt GLOB ? ORDER BY receipt DESC LIMIT 1",
            (self._own_log(), "D-" + "[0-9]" * RECEIPT_WIDTH + "-?"),
        ).fetchone()
        return int(row[0][2 : 2 + RECEIPT_WIDTH]) + 1 if row else 1

    def _next_id(self, kind: str) -> str:
        prefix = PREFIXES[kind]
        row = self.node.store.conn.execute(
            "SELECT id FROM charity_items WHERE log=? AND id >= ? AND id < ? AND id GLOB ? ORDER BY id DESC LIMIT 1",
            (self._own_log(), f"{prefix}-0", f"{prefix}-:", f"{prefix}-" + "[0-9]" * ID_WIDTH),
        ).fetchone()
        number = int(row[0][len(prefix) + 1 :]) + 1 if row else 1
        return f"{prefix}-{number:0{ID_WIDTH}d}"

    def _check_beneficiary_agency(self, agency: str) -> None:
        known = self.node.trust.agencies.get(agency)
        if known is None:
            raise CharityError(
                "UNKNOWN_AGENCY", f"信任日志中没有机构 {agency}", f"the trust log has no agency {agency!r}"
            )
        if ACKNOWLEDGE not in known.permissions:
            raise CharityError(
                "NOT_BENEFICIARY_AGENCY",
                f"{known.name_zh} 无权确认慈善款",
                f"{known.name_en} may not acknowledge charity disbursements",
            )


def traced(read):
    """Run a trace read; its lookup errors become the desk's bilingual errors."""
    try:
        return read()
    except tracing.TraceError as exc:
        raise CharityError(exc.code, exc.message_zh, exc.message_en) from None
    except InvalidReceipt as exc:
        raise CharityError("BAD_RECEIPT", exc.message_zh, exc.message_en) from None


__all__ = [
    "ANONYMOUS_ZH",
    "BENEFICIARY_NS",
    "CHANNEL_WORDS",
    "CharityDesk",
    "CharityError",
    "DONOR_NS",
    "DonationInput",
    "DonationListing",
    "Person",
]

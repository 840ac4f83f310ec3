"""Donation traces against a reference model that keeps every fen separately.

The model below is the FIFO rule of docs/charity.md written the slow, obvious
way: a list with one owner per fen. The node keeps ranges in SQLite. Random
sequences of records go to both; the node must accept exactly what the model
accepts, every breakdown must equal the model's and add up to its donation
although each state is summed from its own rows, and the fund, project and
donation totals must reconcile."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_charity_rules import (
    CHARITY,
    CIVIL,
    append_as_actors,
    mirror,
    open_node,
    sign_in,
    size,
)

from charity import bodies as b
from charity.privacy import (
    BENEFICIARY,
    DONOR,
    mask_id_number,
    mask_name,
    new_seed,
    opens_person,
    person_commitment,
)
from charity.receipts import InvalidReceipt, make_receipt, parse_receipt
from charity.trace import (
    STATES,
    TraceError,
    donations,
    fund_totals,
    project_totals,
    trace_donation,
)
from citychain.node.kinds import RecordRejected

DONOR_C = "d" * 64
BENEF_C = "e" * 64


# -- the reference model: one owner per fen -----------------------------------------
@dataclass
class Project:
    fund: str
    budget: int
    allocated: int = 0
    line: list = field(default_factory=list)


@dataclass
class Model:
    funds: dict[str, list] = field(default_factory=dict)  # fund → owner of each fen (None: unallocated)
    projects: dict[str, Project] = field(default_factory=dict)
    donations: dict[str, dict] = field(default_factory=dict)
    allocations: dict[str, dict] = field(default_factory=dict)
    requests: dict[str, dict] = field(default_factory=dict)
    expenditures: dict[str, dict] = field(default_factory=dict)
    acknowledged: set = field(default_factory=set)

    # Each operation applies itself and returns True, or changes nothing and returns False.
    def donate(self, receipt: str, fund: str, amount: int) -> bool:
        self.donations[receipt] = {"fund": fund, "start": len(self.funds[fund]), "amount": amount, "reversed": False}
        self.funds[fund].extend([None] * amount)
        return True

    def allocate(self, alloc_id: str, fund: str, project: str, amount: int) -> bool:
        p = self.projects[project]
        free = [i for i, owner in enumerate(self.funds[fund]) if owner is None]
        if p.fund != fund or len(free) < amount or p.allocated + amount > p.budget:
            return False
        taken = free[:amount]  # FIFO: the oldest unallocated fen
        for i in taken:
            self.funds[fund][i] = ("allocation", alloc_id)
        self.allocations[alloc_id] = {
            "fund": fund,
            "project": project,
            "start": len(p.line),
            "fen": {pos: len(p.line) + k for k, pos in enumerate(taken)},
            "reversed": False,
        }
        p.line.extend([None] * amount)
        p.allocated += amount
        return True

    def _take(self, project: str, owner: tuple, amount: int) -> bool:
        line = self.projects[project].line
        free = [i for i, o in enumerate(line) if o is None]
        if len(free) < amount:
            return False
        for i in free[:amount]:
            line[i] = owner
        return True

    def _free(self, project: str, owner: tuple) -> None:
        line = self.projects[project].line
        for i, o in enumerate(line):
            if o == owner:
                line[i] = None

    def request(self, rid: str, project: str, amount: int, requested_by: str) -> bool:
        if not self._take(project, ("request", rid), amount):
            return False
        self.requests[rid] = {"project": project, "amount": amount, "by": requested_by, "status": "pending"}
        return True

    def approve(self, rid: str, approved_by: str) -> bool:
        r = self.requests[rid]
        if r["status"] != "pending" or r["by"] == approved_by:
            return False
        r["status"] = "approved"
        return True

    def cancel(self, rid: str) -> bool:
        r = self.requests[rid]
        if r["status"] != "pending":
            return False
        r["status"] = "cancelled"
        self._free(r["project"], ("request", rid))
        return True

    def spend(self, eid: str, project: str, amount: int) -> bool:
        if not self._take(project, ("expenditure", eid), amount):
            return False
        self.expenditures[eid] = {"project": project, "reversed": False}
        return True

    def refund(self, fid: str, receipt: str, amount: int) -> bool:
        d = self.donations[receipt]
        line = self.funds[d["fund"]]
        free = [i for i in range(d["start"], d["start"] + d["amount"]) if line[i] is None]
        if d["reversed"] or len(free) < amount:
            return False
        for i in free[len(free) - amount :]:  # the donation's own newest unallocated fen
            line[i] = ("refund", fid)
        return True

    def reverse(self, vid: str, kind: str, target: str) -> bool:
        if kind == "donation":
            d = self.donations[target]
            line = self.funds[d["fund"]]
            span = range(d["start"], d["start"] + d["amount"])
            if d["reversed"] or any(line[i] is not None for i in span):
                return False
            for i in span:
                line[i] = ("reversal", vid)
            d["reversed"] = True
        elif kind == "allocation":
            a = self.allocations[target]
            p = self.projects[a["project"]]
            span = sorted(a["fen"].values())
            if a["reversed"] or any(p.line[i] is not None for i in span):
                return False
            for i in span:
                p.line[i] = ("reversal", vid)
            for pos in a["fen"]:
                self.funds[a["fund"]][pos] = None
            p.allocated -= len(span)
            a["reversed"] = True
        elif kind == "request":
            r = self.requests[target]
            if r["status"] != "approved":
                return False
            r["status"] = "reversed"
            self._free(r["project"], ("request", target))
        else:
            e = self.expenditures[target]
            if e["reversed"]:
                return False
            e["reversed"] = True
            self._free(e["project"], ("expenditure", target))
        return True

    def detail(self, receipt: str) -> Counter:
        """Where each fen is, with project expenditure (`spent`) and a reversed
        donation (`reversed`) told apart."""
        d = self.donations[receipt]
        states: Counter = Counter()
        for pos in range(d["start"], d["start"] + d["amount"]):
            owner = self.funds[d["fund"]][pos]
            if owner is None:
                states["unallocated"] += 1
            elif owner[0] in ("refund", "reversal"):
                states["refunded" if owner[0] == "refund" else "reversed"] += 1
            else:
                a = self.allocations[owner[1]]
                inner = self.projects[a["project"]].line[a["fen"][pos]]
                if inner is None:
                    states["held_in_project"] += 1
                elif inner[0] == "expenditure":
                    states["spent"] += 1
                else:
                    r = self.requests[inner[1]]
                    if r["status"] == "pending":
                        states["pending"] += 1
                    else:
                        states["acknowledged" if inner[1] in self.acknowledged else "disbursed"] += 1
        return states

    def breakdown(self, receipt: str) -> dict[str, int]:
        """The six states of docs/charity.md §5: spent counts as disbursed, reversed as refunded."""
        states = self.detail(receipt)
        folded = {state: states[state] for state in STATES}
        folded["disbursed"] += states["spent"]
        folded["refunded"] += states["reversed"]
        return folded


# -- random operations ----------------------------------------------------------------
FUNDS = ("F0", "F1")
PROJECTS = (("P0", "F0", 150), ("P1", "F0", 1_000), ("P2", "F1", 1_000))
amounts = st.integers(1, 60)
index = st.integers(0, 40)
operations = st.one_of(
    st.tuples(st.just("donate"), st.integers(0, 1), amounts),
    st.tuples(st.just("allocate"), st.integers(0, 2), st.integers(1, 120), st.sampled_from((False,) * 5 + (True,))),
    st.tuples(st.just("request"), st.integers(0, 2), amounts, st.booleans()),
    st.tuples(st.just("approve"), index),
    st.tuples(st.just("cancel"), index),
    st.tuples(st.just("spend"), st.integers(0, 2), amounts),
    st.tuples(st.just("refund"), index, amounts),
    st.tuples(st.just("reverse"), st.sampled_from(("donation", "allocation", "request", "expenditure")), index),
)
_examples = itertools.count()
_receipts = itertools.count(1)


def pick(items: dict, i: int) -> str | None:
    keys = list(items)
    return keys[i % len(keys)] if keys else None


def run(op: tuple, model: Model, x: str, n: int) -> tuple[tuple[str, dict], bool] | None:
    """The record for `op` and whether the model accepts it (None: nothing to aim at)."""
    name, *args = op
    new = f"{x}-{name}{n}"
    if name == "donate":
        fund, receipt = f"{x}-{FUNDS[args[0]]}", make_receipt(next(_receipts))
        return b.donation(receipt, fund, args[1], "online", DONOR_C), model.donate(receipt, fund, args[1])
    if name == "allocate":  # from the project's own fund, or now and then from the other one
        project_id, home, _ = PROJECTS[args[0]]
        fund = f"{x}-{FUNDS[(FUNDS.index(home) + args[2]) % 2]}"
        project = f"{x}-{project_id}"
        return b.allocation(new, fund, project, args[1]), model.allocate(new, fund, project, args[1])
    if name == "request":
        project, by = f"{x}-{PROJECTS[args[0]][0]}", "supervisor" if args[2] else "clerk"
        return (
            b.request(new, project, args[1], BENEF_C, CIVIL, "助学金 / grant", by),
            model.request(new, project, args[1], by),
        )
    if name in ("approve", "cancel"):
        rid = pick(model.requests, args[0])
        if rid is None:
            return None
        if name == "approve":
            return b.approval(rid, "supervisor"), model.approve(rid, "supervisor")
        return b.cancellation(rid, "supervisor", "撤回 / withdrawn"), model.cancel(rid)
    if name == "spend":
        project = f"{x}-{PROJECTS[args[0]][0]}"
        return b.expenditure(new, project, args[1], "文具 / stationery", "supervisor"), model.spend(
            new, project, args[1]
        )
    if name == "refund":
        receipt = pick(model.donations, args[0])
        if receipt is None:
            return None
        return b.refund(new, receipt, args[1], "捐赠人要求 / donor asked"), model.refund(new, receipt, args[1])
    kind, i = args
    target = pick(
        {
            "donation": model.donations,
            "allocation": model.allocations,
            "request": model.requests,
            "expenditure": model.expenditures,
        }[kind],
        i,
    )
    if target is None:
        return None
    return b.reversal(new, target, "冲正 / reversed"), model.reverse(new, kind, target)


# Money first (so that later operations have something to move), then anything.
histories = st.tuples(
    st.lists(st.tuples(st.just("donate"), st.integers(0, 1), st.integers(20, 200)), min_size=2, max_size=6),
    st.lists(st.tuples(st.just("allocate"), st.integers(0, 2), st.integers(10, 120), st.just(False)), max_size=4),
    st.lists(operations, min_size=20, max_size=60),
).map(lambda parts: parts[0] + parts[1] + parts[2])


# Each example appends and fsyncs dozens of batches: 60 histories of 20-60
# operations cover every operation, acceptance and refusal many times over.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=histories, acks=st.lists(st.booleans(), max_size=12))
def test_random_histories_trace_exactly(demo_city, ops, acks):
    x = f"x{next(_examples)}"  # the demo city is shared by the examples; each has its own ids
    model = Model(
        funds={f"{x}-{f}": [] for f in FUNDS},
        projects={f"{x}-{p}": Project(f"{x}-{f}", budget) for p, f, budget in PROJECTS},
    )
    with open_node(demo_city) as node:
        signed_in = {"supervisor": sign_in(node, "supervisor")}
        node.append(
            signed_in["supervisor"],
            [b.fund(f, "基金", "Fund", 5_000) for f in model.funds]
            + [b.project(p, v.fund, "项目", "Project", v.budget) for p, v in model.projects.items()],
        )
        for n, op in enumerate(ops):
            planned = run(op, model, x, n)
            if planned is None:
                continue
            item, valid = planned
            event(f"{op[0]} {'accepted' if valid else 'refused'}")
            before = size(node)
            if valid:
                append_as_actors(node, [item], signed_in)
            else:
                with pytest.raises(RecordRejected):
                    append_as_actors(node, [item], signed_in)
                assert size(node) == before

        approved = [rid for rid, r in model.requests.items() if r["status"] in ("approved", "reversed")]
        to_ack = [rid for rid, ack in zip(approved, acks) if ack]
        if to_ack:
            with open_node(demo_city, CIVIL) as civil:
                mirror(node, civil, CHARITY)
                civil.append(
                    sign_in(civil, "clerk"),
                    [b.acknowledgement(civil.store.conn, CHARITY, rid, "clerk") for rid in to_ack],
                )
                mirror(civil, node, CIVIL)
            model.acknowledged.update(to_ack)
            event("acknowledgements")

        conn = node.store.conn
        by_fund: dict[str, Counter] = {f: Counter() for f in model.funds}
        for receipt, d in model.donations.items():
            trace = trace_donation(conn, receipt)
            got = dict(trace.breakdown)
            assert list(got) == list(STATES)
            assert got == model.breakdown(receipt), receipt
            assert sum(got.values()) == trace.amount_fen == d["amount"]
            assert all(v >= 0 for v in got.values())
            detail = model.detail(receipt)
            assert (trace.spent_fen, trace.reversed_fen) == (detail["spent"], detail["reversed"])
            by_fund[d["fund"]].update(detail)

        for fund, states in by_fund.items():
            t = fund_totals(conn, CHARITY, fund)
            assert min(t.raised_fen, t.unallocated_fen, t.held_fen, t.pending_fen, t.refunded_fen) >= 0
            assert t.unallocated_fen == states["unallocated"] == model.funds[fund].count(None)
            assert t.refunded_fen == states["refunded"]
            assert t.pending_fen == states["pending"]
            assert t.held_fen == states["held_in_project"]
            assert t.spent_fen == states["spent"]
            assert t.acknowledged_fen == states["acknowledged"]
            assert t.disbursed_fen == states["disbursed"] + states["acknowledged"]
            assert t.raised_fen + states["reversed"] == sum(
                d["amount"] for d in model.donations.values() if d["fund"] == fund
            )
            assert t.raised_fen == t.refunded_fen + t.unallocated_fen + t.allocated_fen
            assert t.allocated_fen == t.pending_fen + t.disbursed_fen + t.spent_fen + t.held_fen
        for project, p in model.projects.items():
            t = project_totals(conn, CHARITY, project)
            assert t.allocated_fen == p.allocated == len(p.line) - sum(1 for o in p.line if o and o[0] == "reversal")
            assert t.held_fen == p.line.count(None) >= 0
            assert t.allocated_fen == t.pending_fen + t.disbursed_fen + t.spent_fen + t.held_fen
            assert 0 <= t.acknowledged_fen <= t.disbursed_fen


# -- the rule on a worked example (the one in docs/charity.md) -----------------------------
def test_fifo_worked_example(demo_city):
    d1, d2, d3 = make_receipt(101), make_receipt(102), make_receipt(103)
    with open_node(demo_city) as node:
        s = sign_in(node, "supervisor")
        node.append(
            s,
            [
                b.fund("F", "基金", "Fund", 100_000),
                b.project("P", "F", "项目", "Project", 100_000),
                b.donation(d1, "F", 10_000, "cash", DONOR_C),
                b.donation(d2, "F", 20_000, "bank", DONOR_C),
                b.donation(d3, "F", 30_000, "online", DONOR_C, anonymous=True),
            ],
        )
        append_as_actors(
            node,
            [
                b.allocation("A1", "F", "P", 15_000),  # all of d1, 50 of d2
                b.refund("RF", d2, 5_000, "捐赠人要求"),  # d2's newest 50 yuan
                b.request("R1", "P", 12_000, BENEF_C, CIVIL, "助学金", "clerk"),  # d1 100, d2 20
                b.approval("R1", "supervisor"),
                b.request("R2", "P", 2_000, BENEF_C, CIVIL, "助学金", "clerk"),  # d2 20
                b.allocation("A2", "F", "P", 20_000),  # d2's other 100 yuan, d3 100
                b.expenditure("E1", "P", 1_000, "文具", "supervisor"),  # d2 10
                b.reversal("V1", "R1", "银行退回"),
            ],
        )  # R1's 120 yuan held in P again
        # R1's freed place is the project's oldest money again: R3 takes it first, then 10 yuan of A2 (d2).
        append_as_actors(node, [b.request("R3", "P", 13_000, BENEF_C, CIVIL, "助学金", "clerk")])
        conn = node.store.conn
        expect = {
            d1: {"pending": 10_000},
            d2: {"pending": 2_000 + 2_000 + 1_000, "disbursed": 1_000, "held_in_project": 9_000, "refunded": 5_000},
            d3: {"held_in_project": 10_000, "unallocated": 20_000},
        }
        for receipt, want in expect.items():
            got = {k: v for k, v in trace_donation(conn, receipt).breakdown if v}
            assert got == want, receipt
        trace = trace_donation(conn, "d-00000102-" + make_receipt(102)[-1].lower())  # typed in lower case
        assert [(a.id, a.amount_fen) for a in trace.allocations] == [("A1", 5_000), ("A2", 10_000)]
        assert [(r.id, r.amount_fen) for r in trace.refunds] == [("RF", 5_000)]
        assert [(d.request, d.amount_fen, d.state) for d in trace.allocations[0].disbursements] == [
            ("R3", 2_000, "pending"),
            ("R2", 2_000, "pending"),
        ]
        assert [(d.request, d.amount_fen) for d in trace.allocations[1].disbursements] == [("R3", 1_000)]
        assert [(e.id, e.amount_fen) for e in trace.allocations[0].expenditures] == [("E1", 1_000)]
        assert trace.spent_fen == 1_000 and trace.reversed_fen == 0 and trace.reversal is None
        assert trace.to_json()["breakdown"] == [{"state": s, "amount_fen": dict(trace.breakdown)[s]} for s in STATES]
        assert trace.to_json()["breakdown"][0] == {"state": "acknowledged", "amount_fen": 0}
        f = fund_totals(conn, CHARITY, "F")
        assert (
            f.raised_fen,
            f.refunded_fen,
            f.allocated_fen,
            f.unallocated_fen,
            f.pending_fen,
            f.spent_fen,
            f.held_fen,
            f.unspent_fen,
        ) == (60_000, 5_000, 35_000, 20_000, 15_000, 1_000, 19_000, 54_000)
        assert [d.receipt for d in donations(conn, CHARITY)][-3:] == [d1, d2, d3]


def test_trace_errors_are_precise(demo_city):
    with open_node(demo_city) as node:
        with pytest.raises(InvalidReceipt):
            trace_donation(node.store.conn, "D-00000001-3")
        with pytest.raises(TraceError) as caught:
            trace_donation(node.store.conn, make_receipt(1))
        assert caught.value.code == "UNKNOWN_RECEIPT"


def test_receipts_and_privacy_helpers():
    code = make_receipt(123)
    assert code == "D-00000123-" + code[-1] and str(parse_receipt(code.lower())) == code
    for typo in (code[:-1] + ("0" if code[-1] != "0" else "1"), "D-00000213-" + code[-1]):
        with pytest.raises(InvalidReceipt):
            parse_receipt(typo)
    seed = new_seed()
    commitment = person_commitment(seed, DONOR, "张三丰", "110101199003074578")
    assert len(commitment) == 64 and "张" not in commitment
    assert opens_person(commitment, seed, DONOR, " 张三丰 ", "110101199003074578")
    assert not opens_person(commitment, seed, BENEFICIARY, "张三丰", "110101199003074578")
    assert not opens_person(commitment, new_seed(), DONOR, "张三丰", "110101199003074578")
    assert mask_name("张三丰") == "张**" and mask_name("欧阳娜娜") == "欧阳**" and mask_name("李四") == "李*"
    assert mask_name("John Smith") == "J*** S****"
    assert mask_id_number("110101199003074578") == "110*************78"


# -- every lookup is an index seek, never a walk through a whole log -----------------------
def _plans(conn, statements):
    bad = []
    for sql in dict.fromkeys(statements):
        if "charity_" not in sql or not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue
        for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql):
            whole_log = detail.endswith("(log=?)")
            if (
                (detail.startswith("SCAN ") and not detail.startswith(("SCAN l", "SCAN logs", "SCAN charity USING")))
                or whole_log
                or "AUTOMATIC" in detail
            ):
                bad.append((sql, detail))
    return bad


def test_hot_queries_use_their_indexes(demo_city):
    seen: list[str] = []
    with open_node(demo_city) as node:
        s = sign_in(node, "supervisor")
        node.append(
            s,
            [b.fund("F", "基金", "Fund"), b.project("P", "F", "项目", "Project", 10**9)]
            + [b.donation(make_receipt(i), "F", 5_000, "bank", DONOR_C) for i in range(1, 6)],
        )
        node.store.conn.set_trace_callback(seen.append)
        append_as_actors(
            node,
            [
                b.allocation("A1", "F", "P", 12_000),
                b.refund("RF", make_receipt(5), 1_000, "x"),
                b.request("R1", "P", 3_000, BENEF_C, CIVIL, "x", "clerk"),
                b.approval("R1", "supervisor"),
                b.request("R2", "P", 3_000, BENEF_C, CIVIL, "x", "clerk"),
                b.cancellation("R2", "supervisor", "x"),
                b.expenditure("E1", "P", 1_000, "x", "supervisor"),
                b.reversal("V1", "E1", "x"),
                b.reversal("V2", make_receipt(4), "x"),
                b.allocation("A2", "F", "P", 1_000),
                b.reversal("V3", "A2", "x"),
                b.reversal("V4", "R1", "x"),
            ],
        )
        node.store.conn.set_trace_callback(None)
        with open_node(demo_city, CIVIL) as civil:
            mirror(node, civil, CHARITY)
            civil.store.conn.set_trace_callback(seen.append)
            civil.append(sign_in(civil, "clerk"), [b.acknowledgement(civil.store.conn, CHARITY, "R1", "clerk")])
            civil.store.conn.set_trace_callback(None)
            node.store.conn.set_trace_callback(seen.append)
            mirror(civil, node, CIVIL)
        for i in range(1, 6):
            trace_donation(node.store.conn, make_receipt(i))
        fund_totals(node.store.conn, CHARITY, "F")
        node.store.conn.set_trace_callback(None)
        assert len(seen) > 100
        assert _plans(node.store.conn, seen) == []
        # The guard itself: a lookup by a column no index leads with is caught.
        assert _plans(node.store.conn, ["SELECT 1 FROM charity_funds WHERE log=1 AND name_en='Fund'"]) != []

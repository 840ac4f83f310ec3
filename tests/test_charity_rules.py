"""Charity rules through real demo nodes: every overspend, double decision and
wrong reference is refused with a clear message and writes nothing, and a
node mirroring a hand-built log that breaks a rule rejects it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import FAST_ARGON2

from charity import bodies as b
from charity.kinds import PLUGIN
from charity.privacy import BENEFICIARY, DONOR, new_seed, person_commitment
from charity.receipts import make_receipt
from charity.rules import first_violation, invalid_acks, resolve_pending_acks
from charity.trace import project_totals, trace_donation
from citychain.accounts.users import PermissionDenied
from citychain.clock import format_time
from citychain.log import merkle
from citychain.log.checkpoint import Checkpoint, sign_checkpoint
from citychain.log.keys import Signer, load_key
from citychain.log.records import GENESIS_PREV, Record, make_leaf, parse_leaf
from citychain.node.kinds import RecordRejected
from citychain.node.mirror import MirrorRejected
from citychain.node.node import Node
from democity import spec

CHARITY = "charity-federation"
CIVIL = "civil-affairs"
DONOR_C = person_commitment(new_seed(), DONOR, "张三丰", "110101199003074578")
BENEF_C = person_commitment(new_seed(), BENEFICIARY, "李小龙")


# -- helpers shared with test_charity_trace ---------------------------------------
def open_node(city, agency: str = CHARITY, clock=None) -> Node:
    return Node.open(Path(city.home(agency)), (PLUGIN,), clock=clock, argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def agency_signer(city, agency: str = CHARITY) -> Signer:
    return load_key(Path(city.home(agency)) / "keys" / "agency.key", spec.PASSPHRASE)


def hand_built_log(signer: Signer, agency: str, items, clock, start: int = 0, prev: str = GENESIS_PREV) -> list[bytes]:
    """Leaves signed by the agency's own key, checked by nobody."""
    leaves = []
    for seq, (kind, body) in enumerate(items, start=start):
        leaf = make_leaf(Record(agency, seq, prev, format_time(clock.now()), kind, body), signer)
        leaves.append(leaf.data)
        prev = leaf.hash_hex
    return leaves


def checkpoint_over(leaves: list[bytes], signer: Signer, agency: str) -> str:
    return sign_checkpoint(
        Checkpoint(f"citychain/demo/{agency}", len(leaves), merkle.MemoryTree(leaves).root()), signer.private_key
    )


ACTOR_FIELDS = ("requested_by", "approved_by", "cancelled_by", "recorded_by", "acknowledged_by")


def append_as_actors(node: Node, items, signed_in: dict | None = None) -> None:
    """Append each run of items as the user its body names as acting (the node
    insists on it), the supervisor where no one is named. `signed_in` keeps
    the sessions for the next call (each sign-in commits an audit row)."""
    signed_in = {} if signed_in is None else signed_in

    def actor(item) -> str:
        return next((item[1][f] for f in ACTOR_FIELDS if f in item[1]), "supervisor")

    for name, run in itertools.groupby(items, key=actor):
        if name not in signed_in:
            signed_in[name] = sign_in(node, name)
        node.append(signed_in[name], list(run))


def log_of(node: Node, agency: str) -> tuple[list[bytes], str]:
    head = node.store.head(agency)
    return node.store.leaves(head.id, 0, head.size), head.checkpoint


def mirror(source: Node, target: Node, agency: str) -> None:
    """Bring `target`'s copy of `agency`'s log up to `source`'s."""
    leaves, note = log_of(source, agency)
    head = target.store.head(agency)
    have = head.size if head else 0
    target.import_log(agency, f"citychain/demo/{agency}", have, leaves[have:], note)


def setup_items(fund_target: int | None = 1_000_000, budget: int = 500_000) -> list:
    return [
        b.fund("F1", "助学基金", "Education Fund", fund_target),
        b.fund("F2", "助医基金", "Medical Fund"),
        b.project("P1", "F1", "山区助学", "Mountain schools", budget, [{"name": "第一学期", "amount_fen": 1000}]),
        b.project("P2", "F2", "大病救助", "Serious illness", budget),
    ]


def donate(serial: int, amount: int, fund: str = "F1", channel: str = "bank"):
    return b.donation(make_receipt(serial), fund, amount, channel, DONOR_C)


def size(node: Node, agency: str = CHARITY) -> int:
    head = node.store.head(agency)
    return head.size if head else 0


@pytest.fixture
def charity(demo_city):
    """The charity node with two funds and a project in each, 300 yuan donated to F1."""
    with open_node(demo_city) as node:
        supervisor = sign_in(node, "supervisor")
        node.append(supervisor, setup_items())
        node.append(sign_in(node, "clerk"), [donate(1, 10_000), donate(2, 20_000)])
        yield node


def refused(node: Node, user, items, code: str) -> RecordRejected:
    before = size(node)
    with pytest.raises(RecordRejected) as caught:
        node.append(user, items)
    assert caught.value.code == code, str(caught.value)
    assert size(node) == before
    return caught.value


# -- roles ------------------------------------------------------------------------
def test_clerks_record_and_request_supervisors_decide(charity):
    clerk, supervisor = sign_in(charity, "clerk"), sign_in(charity, "supervisor")
    for item in (
        b.allocation("A1", "F1", "P1", 100),
        b.fund("F3", "基金", "Fund"),
        b.refund("RF", make_receipt(1), 1, "x"),
        b.reversal("RV", make_receipt(1), "x"),
    ):
        with pytest.raises(PermissionDenied):
            charity.append(clerk, [item])
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 5_000)])
    charity.append(clerk, [b.request("R1", "P1", 1_000, BENEF_C, CIVIL, "学费 / tuition", "clerk")])
    with pytest.raises(PermissionDenied):
        charity.append(clerk, [b.approval("R1", "clerk")])
    charity.append(supervisor, [b.approval("R1", "supervisor")])


def test_another_agency_may_not_write_charity_records(demo_city):
    with open_node(demo_city, "market-regulation") as node:
        with pytest.raises(RecordRejected) as caught:
            node.append(sign_in(node, "supervisor"), [b.fund("F1", "基金", "Fund")])
    assert caught.value.code == "ISSUER_NOT_AUTHORISED"


# -- overspending -----------------------------------------------------------------
def test_allocation_beyond_the_fund_is_refused(charity):
    supervisor = sign_in(charity, "supervisor")
    error = refused(charity, supervisor, [b.allocation("A1", "F1", "P1", 30_001)], "INSUFFICIENT_FUNDS")
    assert error.message_zh == "基金 F1 可用余额 300.00 元，不足 300.01 元"
    assert error.message_en == "fund F1 has 300.00 yuan available, less than the 300.01 yuan asked for"
    assert error.field == "amount_fen"
    # A fund's money is its own: F2 received nothing.
    refused(charity, supervisor, [b.allocation("A1", "F2", "P2", 1)], "INSUFFICIENT_FUNDS")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 30_000)])
    refused(charity, supervisor, [b.allocation("A2", "F1", "P1", 1)], "INSUFFICIENT_FUNDS")


def test_a_batch_that_overspends_part_way_writes_nothing(charity):
    supervisor = sign_in(charity, "supervisor")
    refused(
        charity,
        supervisor,
        [b.allocation("A1", "F1", "P1", 20_000), b.allocation("A2", "F1", "P1", 10_001)],
        "INSUFFICIENT_FUNDS",
    )
    assert charity.store.conn.execute("SELECT COUNT(*) FROM charity_allocations").fetchone() == (0,)


def test_pending_requests_reserve_their_amount(charity):
    supervisor, clerk = sign_in(charity, "supervisor"), sign_in(charity, "clerk")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 10_000)])
    charity.append(clerk, [b.request("R1", "P1", 6_000, BENEF_C, CIVIL, "学费", "clerk")])
    error = refused(
        charity, clerk, [b.request("R2", "P1", 4_001, BENEF_C, CIVIL, "学费", "clerk")], "INSUFFICIENT_FUNDS"
    )
    assert "40.00" in error.message_zh and "40.01" in error.message_en
    refused(charity, supervisor, [b.expenditure("E1", "P1", 4_001, "文具", "supervisor")], "INSUFFICIENT_FUNDS")
    charity.append(supervisor, [b.cancellation("R1", "supervisor", "重复申请 / duplicate")])
    charity.append(clerk, [b.request("R2", "P1", 10_000, BENEF_C, CIVIL, "学费", "clerk")])


def test_refund_only_from_the_donations_own_unallocated_money(charity):
    supervisor = sign_in(charity, "supervisor")
    receipt = make_receipt(1)  # 100 yuan, the fund's oldest money: allocations take it first
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 6_000)])
    error = refused(charity, supervisor, [b.refund("RF1", receipt, 4_001, "捐赠人要求")], "INSUFFICIENT_FUNDS")
    assert error.message_en == (
        "only 40.00 yuan of donation D-00000001-2 is still unallocated; 40.01 yuan cannot be refunded"
    )
    charity.append(supervisor, [b.refund("RF1", receipt, 4_000, "捐赠人要求 / donor asked")])
    refused(charity, supervisor, [b.refund("RF2", receipt, 1, "again")], "INSUFFICIENT_FUNDS")
    # The other donation is untouched by the first one's refund.
    charity.append(supervisor, [b.refund("RF2", make_receipt(2), 20_000, "全部退回 / all back")])
    refused(charity, supervisor, [b.allocation("A2", "F1", "P1", 1)], "INSUFFICIENT_FUNDS")


def test_budget_and_fund_of_the_project_are_kept(demo_city):
    with open_node(demo_city) as node:
        supervisor = sign_in(node, "supervisor")
        node.append(supervisor, setup_items(budget=5_000) + [donate(1, 10_000), donate(2, 10_000, fund="F2")])
        refused(node, supervisor, [b.allocation("A1", "F1", "P1", 5_001)], "BUDGET_EXCEEDED")
        refused(node, supervisor, [b.allocation("A1", "F2", "P1", 100)], "WRONG_FUND")
        node.append(supervisor, [b.allocation("A1", "F1", "P1", 5_000)])
        node.append(supervisor, [b.reversal("V1", "A1", "错拨 / wrong project")])
        node.append(supervisor, [b.allocation("A2", "F1", "P1", 5_000)])  # the reversal gave the budget back


# -- two people, one decision ------------------------------------------------------
def test_approver_must_not_be_the_requester(charity):
    supervisor = sign_in(charity, "supervisor")
    charity.append(
        supervisor,
        [b.allocation("A1", "F1", "P1", 10_000), b.request("R1", "P1", 1_000, BENEF_C, CIVIL, "学费", "supervisor")],
    )
    error = refused(charity, supervisor, [b.approval("R1", "supervisor")], "SAME_PERSON")
    assert error.field == "approved_by"
    assert "second person" in error.message_en and "另一人" in error.message_zh


def test_the_person_named_as_acting_is_the_signed_in_user(charity):
    supervisor, clerk = sign_in(charity, "supervisor"), sign_in(charity, "clerk")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 10_000)])
    # a supervisor cannot file a request in a clerk's name and then approve it as the "second person"
    error = refused(
        charity, supervisor, [b.request("R1", "P1", 1_000, BENEF_C, CIVIL, "学费", "clerk")], "NOT_THE_SIGNED_IN_USER"
    )
    assert error.field == "requested_by" and "supervisor" in error.message_en
    charity.append(clerk, [b.request("R1", "P1", 1_000, BENEF_C, CIVIL, "学费", "clerk")])
    refused(charity, supervisor, [b.approval("R1", "admin")], "NOT_THE_SIGNED_IN_USER")
    refused(charity, supervisor, [b.cancellation("R1", "clerk", "x")], "NOT_THE_SIGNED_IN_USER")


def test_no_double_approval_or_cancellation(charity):
    supervisor, clerk = sign_in(charity, "supervisor"), sign_in(charity, "clerk")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 10_000)])
    charity.append(
        clerk,
        [
            b.request("R1", "P1", 1_000, BENEF_C, CIVIL, "学费", "clerk"),
            b.request("R2", "P1", 1_000, BENEF_C, CIVIL, "学费", "clerk"),
        ],
    )
    charity.append(supervisor, [b.approval("R1", "supervisor"), b.cancellation("R2", "supervisor", "重复")])
    error = refused(charity, supervisor, [b.approval("R1", "supervisor")], "BAD_STATE")
    assert error.message_en == "disbursement request R1 is already approved"
    refused(charity, supervisor, [b.cancellation("R1", "supervisor", "x")], "BAD_STATE")
    refused(charity, supervisor, [b.approval("R2", "supervisor")], "BAD_STATE")
    refused(charity, supervisor, [b.reversal("V1", "R2", "x")], "NOT_REVERSIBLE")
    charity.append(supervisor, [b.reversal("V1", "R1", "银行退回 / bank returned it")])
    refused(charity, supervisor, [b.reversal("V2", "R1", "x")], "BAD_STATE")


# -- references and formats ----------------------------------------------------------
@pytest.mark.parametrize(
    "item, code, field",
    [
        (b.allocation("A9", "F1", "F2", 100), "WRONG_KIND", "project"),
        (b.allocation("A9", "P1", "P1", 100), "WRONG_KIND", "fund"),
        (b.allocation("A9", "F9", "P1", 100), "UNKNOWN_REFERENCE", "fund"),
        (b.refund("RF", "F1", 100, "x"), "WRONG_KIND", "receipt"),
        (b.approval(make_receipt(1), "supervisor"), "WRONG_KIND", "request"),
        (b.request("R9", "F1", 100, BENEF_C, CIVIL, "x", "supervisor"), "WRONG_KIND", "project"),
        (b.reversal("V9", "F1", "x"), "NOT_REVERSIBLE", "target"),
        (b.reversal("V9", "nothing", "x"), "UNKNOWN_REFERENCE", "target"),
        (b.donation(make_receipt(1), "F1", 100, "bank", DONOR_C), "DUPLICATE", "receipt"),
        (b.fund("P1", "基金", "Fund"), "DUPLICATE", "id"),
        (b.donation("D-00000003-Y", "F1", 100, "bank", DONOR_C), "BAD_RECEIPT", "receipt"),
        (b.donation(make_receipt(3), "F1", 0, "bank", DONOR_C), "BAD_AMOUNT", "amount_fen"),
        (b.donation(make_receipt(3), "F1", -5, "bank", DONOR_C), "BAD_AMOUNT", "amount_fen"),
        (b.donation(make_receipt(3), "F1", True, "bank", DONOR_C), "BAD_AMOUNT", "amount_fen"),
        (b.donation(make_receipt(3), "F1", "100", "bank", DONOR_C), "BAD_AMOUNT", "amount_fen"),
        (b.donation(make_receipt(3), "F1", 100, "cheque", DONOR_C), "MALFORMED", "channel"),
        (b.donation(make_receipt(3), "F1", 100, "bank", "张三丰"), "MALFORMED", "donor"),
        (("charity.donation.received", {**donate(3, 100)[1], "donor_name": "张三丰"}), "MALFORMED", "donor_name"),
        (b.allocation("A9", "F1", "P1", 1.5), "MALFORMED", None),  # not canonical JSON: no floats
    ],
)
def test_wrong_records_are_refused_and_nothing_is_written(charity, item, code, field):
    error = refused(charity, sign_in(charity, "supervisor"), [item], code)
    if field is not None:
        assert error.field == field


def test_a_donation_is_reversible_only_while_untouched(charity):
    supervisor = sign_in(charity, "supervisor")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 5_000)])
    refused(charity, supervisor, [b.reversal("V1", make_receipt(1), "x")], "NOT_REVERSIBLE")
    charity.append(supervisor, [b.reversal("V1", make_receipt(2), "银行退票 / bounced")])
    refused(charity, supervisor, [b.reversal("V2", make_receipt(2), "x")], "BAD_STATE")
    refused(charity, supervisor, [b.refund("RF", make_receipt(2), 1, "x")], "BAD_STATE")
    trace = trace_donation(charity.store.conn, make_receipt(2))
    assert trace.amount_in("refunded") == trace.reversed_fen == 20_000  # voided: counted as refunded
    assert trace.reversal is not None and trace.reversal.id == "V1" and trace.refunds == ()


# -- a log that breaks the rules is rejected by every node that mirrors it -------------
def overspending_log() -> list:
    return setup_items() + [donate(1, 10_000), b.allocation("A1", "F1", "P1", 10_001)]


@pytest.mark.parametrize(
    "items, code, seq",
    [
        (overspending_log(), "INSUFFICIENT_FUNDS", 5),
        (
            setup_items()
            + [
                donate(1, 10_000),
                b.allocation("A1", "F1", "P1", 10_000),
                b.request("R1", "P1", 6_000, BENEF_C, CIVIL, "x", "clerk"),
                b.request("R2", "P1", 6_000, BENEF_C, CIVIL, "x", "clerk"),
            ],
            "INSUFFICIENT_FUNDS",
            7,
        ),
        (setup_items() + [donate(1, 10_000), b.refund("RF", make_receipt(1), 10_001, "x")], "INSUFFICIENT_FUNDS", 5),
        (
            setup_items()
            + [
                donate(1, 10_000),
                b.allocation("A1", "F1", "P1", 10_000),
                b.request("R1", "P1", 6_000, BENEF_C, CIVIL, "x", "clerk"),
                b.approval("R1", "clerk"),
            ],
            "SAME_PERSON",
            7,
        ),
    ],
)
def test_a_mirroring_node_rejects_a_hand_built_log_that_breaks_a_rule(demo_city, clock, items, code, seq):
    signer = agency_signer(demo_city)
    leaves = hand_built_log(signer, CHARITY, items, clock)
    with open_node(demo_city, CIVIL) as peer:
        with pytest.raises(MirrorRejected) as caught:
            peer.import_log(CHARITY, f"citychain/demo/{CHARITY}", 0, leaves, checkpoint_over(leaves, signer, CHARITY))
        assert (caught.value.code, caught.value.seq) == ("LOG_INVALID", seq)
        assert code in str(caught.value) and f"entry {seq}" in str(caught.value)
        assert size(peer) == 0
        assert peer.store.conn.execute("SELECT COUNT(*) FROM charity_items").fetchone() == (0,)
        head = peer.store.head(CHARITY)
        assert head.status == "invalid" and f"entry {seq}" in head.status_detail  # flagged, named, kept
    violation = first_violation(parse_leaf(data).record for data in leaves)
    assert (violation.code, violation.seq) == (code, seq)


def test_an_honest_log_has_no_violation_and_mirrors(charity, demo_city):
    supervisor = sign_in(charity, "supervisor")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 15_000)])
    charity.append(sign_in(charity, "clerk"), [b.request("R1", "P1", 6_000, BENEF_C, CIVIL, "x", "clerk")])
    charity.append(supervisor, [b.approval("R1", "supervisor"), b.refund("RF", make_receipt(2), 5_000, "x")])
    leaves, _ = log_of(charity, CHARITY)
    assert first_violation(parse_leaf(data).record for data in leaves) is None
    with open_node(demo_city, CIVIL) as peer:
        mirror(charity, peer, CHARITY)
        for serial in (1, 2):
            assert trace_donation(peer.store.conn, make_receipt(serial)) == trace_donation(
                charity.store.conn, make_receipt(serial)
            )


# -- acknowledgements in the beneficiary agency's log ----------------------------------
@pytest.fixture
def approved(charity):
    """R1 (60 yuan, to be acknowledged by civil affairs) approved; R2 pending."""
    supervisor = sign_in(charity, "supervisor")
    charity.append(supervisor, [b.allocation("A1", "F1", "P1", 15_000)])
    charity.append(
        sign_in(charity, "clerk"),
        [
            b.request("R1", "P1", 6_000, BENEF_C, CIVIL, "助学金", "clerk"),
            b.request("R2", "P1", 1_000, BENEF_C, CIVIL, "助学金", "clerk"),
        ],
    )
    charity.append(supervisor, [b.approval("R1", "supervisor")])
    return charity


def test_the_beneficiary_agency_acknowledges_once(approved, demo_city):
    with open_node(demo_city, CIVIL) as civil:
        mirror(approved, civil, CHARITY)
        clerk = sign_in(civil, "clerk")
        kind, body = b.acknowledgement(civil.store.conn, CHARITY, "R1", "clerk")
        for wrong, code in (
            ({"leaf_hash": "0" * 64}, "ACK_MISMATCH"),
            ({"amount_fen": 5_999}, "ACK_MISMATCH"),
            ({"request": "R2"}, "ACK_MISMATCH"),
            ({"seq": body["seq"] - 1}, "ACK_MISMATCH"),
            ({"charity": CIVIL}, "MALFORMED"),
        ):
            with pytest.raises(RecordRejected) as caught:
                civil.append(clerk, [(kind, {**body, **wrong})])
            assert caught.value.code == code, wrong
        donation_seq = 4  # the first donation: a record of the charity log, but no approval
        leaves, _ = log_of(approved, CHARITY)
        with pytest.raises(RecordRejected) as caught:
            civil.append(
                clerk,
                [(kind, {**body, "seq": donation_seq, "leaf_hash": merkle.leaf_hash(leaves[donation_seq]).hex()})],
            )
        assert caught.value.code == "WRONG_KIND"
        civil.append(clerk, [(kind, body)])
        with pytest.raises(RecordRejected) as caught:
            civil.append(clerk, [(kind, body)])
        assert caught.value.code == "ALREADY_ACKNOWLEDGED"
        assert size(civil, CIVIL) == 1
        mirror(civil, approved, CIVIL)
    trace = trace_donation(approved.store.conn, make_receipt(1))
    assert trace.amount_in("acknowledged") == 6_000
    r1, r2 = trace.allocations[0].disbursements
    assert (r1.request, r1.state, r1.acknowledgements[0].status, r1.acknowledgements[0].agency) == (
        "R1",
        "acknowledged",
        "verified",
        CIVIL,
    )
    assert (r2.request, r2.state, r2.acknowledgements) == ("R2", "pending", ())


def test_an_acknowledgement_that_arrives_first_is_held_then_checked(approved, demo_city):
    with open_node(demo_city, CIVIL) as civil:
        mirror(approved, civil, CHARITY)
        civil.append(sign_in(civil, "clerk"), [b.acknowledgement(civil.store.conn, CHARITY, "R1", "clerk")])
        with open_node(demo_city, "market-regulation") as third:
            mirror(civil, third, CIVIL)  # the acknowledgement before the disbursement it names
            status = third.store.conn.execute("SELECT status FROM charity_acks").fetchall()
            assert status == [("pending",)]
            mirror(approved, third, CHARITY)
            mirror(civil, approved, CIVIL)
            # Readers check a held acknowledgement on the spot...
            for serial in (1, 2):
                here = trace_donation(third.store.conn, make_receipt(serial))
                assert here == trace_donation(approved.store.conn, make_receipt(serial))
                assert here.amount_in("acknowledged") == 6_000 * (serial == 1)
            assert project_totals(third.store.conn, CHARITY, "P1") == project_totals(approved.store.conn, CHARITY, "P1")
            # ...and the node settles it after the import (and flags it, had it been wrong).
            assert resolve_pending_acks(third.store.conn) == ()
            assert third.store.conn.execute("SELECT status FROM charity_acks").fetchall() == [("verified",)]


def test_a_held_acknowledgement_that_does_not_match_is_flagged(approved, demo_city, clock):
    leaves, _ = log_of(approved, CHARITY)
    seq = len(leaves) - 1
    wrong = {
        "charity": CHARITY,
        "seq": seq,
        "leaf_hash": "ab" * 32,
        "request": "R1",
        "amount_fen": 6_000,
        "acknowledged_by": "clerk",
    }
    signer = agency_signer(demo_city, CIVIL)
    ack_log = hand_built_log(signer, CIVIL, [("charity.acknowledged", wrong)], clock)
    with open_node(demo_city, "market-regulation") as third:
        third.import_log(CIVIL, f"citychain/demo/{CIVIL}", 0, ack_log, checkpoint_over(ack_log, signer, CIVIL))
        assert third.store.head(CIVIL).status == "ok"  # its disbursement is not here yet: held
        mirror(approved, third, CHARITY)
        (problem,) = invalid_acks(third.store.conn)
        assert (problem.agency, problem.ack_seq, problem.charity, problem.seq, problem.code) == (
            CIVIL,
            0,
            CHARITY,
            seq,
            "ACK_MISMATCH",
        )
        head = third.store.head(CIVIL)  # judged as the charity's log arrived, and the acknowledging log flagged
        assert head.status == "invalid" and "entry 0" in head.status_detail and "ACK_MISMATCH" in head.status_detail
        assert resolve_pending_acks(third.store.conn) == ()
        assert trace_donation(third.store.conn, make_receipt(2)).amount_in("acknowledged") == 0


# -- … and by a node that meets it while syncing over HTTP ----------------------------
def test_a_syncing_node_flags_an_overspending_log_and_names_the_record(demo_city, clock):
    from nodes import NodeProcess, free_port, wait_for
    from test_hostile_peer import HostilePeer, peer_error

    signer = agency_signer(demo_city)
    leaves = hand_built_log(signer, CHARITY, overspending_log(), clock)
    with HostilePeer("as built", leaves, signer, agency=CHARITY) as peer:
        node = NodeProcess(demo_city.home(CIVIL), free_port(), [peer.url]).start()
        try:
            wait_for(lambda: peer_error(node, peer.url) == "LOG_INVALID", timeout=30)
            (held,) = [log for log in node.get("/v1/logs").json()["logs"] if log["agency"] == CHARITY]
        finally:
            node.stop()
    assert held["status"] == "invalid" and held["size"] == 0
    assert "entry 5 (charity.allocation)" in held["status_detail"] and "INSUFFICIENT_FUNDS" in held["status_detail"]

"""The charity desk on real demo homes: amounts typed by people, clear values
in the encrypted private store and commitments on the ledger, refusals that
write nothing, the demo city's charity data, and the HTTP trace on real node
processes (the charity's own and a peer that synced it)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pypdfium2
import pytest
from conftest import FAST_ARGON2, quiet_demo_city
from nodes import NodeProcess, free_port, wait_for

from charity.desk import BENEFICIARY_NS, DONOR_NS, CharityDesk, CharityError
from charity.kinds import PLUGIN as CHARITY_PLUGIN
from charity.privacy import BENEFICIARY, DONOR, opens_person
from charity.receipts import make_receipt
from charity.trace import STATES
from citychain.documents.money import AmountError, parse_yuan
from citychain.node.kinds import RecordRejected
from citychain.node.node import Node
from democity import charity_demo, spec

CHARITY = "charity-federation"
CIVIL = "civil-affairs"


# -- shared with test_charity_cli --------------------------------------------------------
def charity_city(path: Path) -> Path:
    """A demo city with the charity plug-in (so with the demo's charity data); no stored peers."""
    return quiet_demo_city(path, (CHARITY_PLUGIN,)).path


def log_size(home: Path, agency: str = CHARITY) -> int:
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        row = conn.execute("SELECT size FROM logs WHERE agency=?", (agency,)).fetchone()
    return row[0] if row else 0


def private_rows(home: Path) -> int:
    with sqlite3.connect(home / "private" / "store.sqlite") as conn:
        return conn.execute("SELECT COUNT(*) FROM sealed").fetchone()[0]


def without_witnesses(report: dict) -> dict:
    """A trace as every honest node gives it: proofs differ only in which
    checkpoint (and co-signatures) each node holds at the moment."""
    out = json.loads(json.dumps(report))
    for step in out["steps"]:
        step["proof"] = {k: v for k, v in step["proof"].items() if k in ("status", "leaf_hash")}
    return out


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return charity_city(tmp_path_factory.mktemp("charity-desk") / "city")


def open_home(city: Path, agency: str = CHARITY) -> Node:
    return Node.open(city / agency, (CHARITY_PLUGIN,), argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


# -- amounts people type -----------------------------------------------------------------
@pytest.mark.parametrize(
    "text, fen",
    [
        ("1,234.50", 123_450),
        ("1234.5", 123_450),
        ("0.01", 1),
        ("12", 1_200),
        ("¥ 300", 30_000),
        ("１２３．４５", 12_345),
        ("1,000,000", 100_000_000),
        (" 7.00 ", 700),
    ],
)
def test_parse_yuan_reads_exactly(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text, zh, en",
    [
        ("", "请填写金额", "required"),
        ("12.345", "两位小数", "two decimals"),
        ("-5", "正数", "positive"),
        ("0", "大于零", "more than zero"),
        ("0.00", "大于零", "more than zero"),
        ("abc", "不是金额", "not an amount"),
        ("1,23.00", "不是金额", "not an amount"),
        ("1e3", "不是金额", "not an amount"),
        ("12,3456", "不是金额", "not an amount"),
        ("99999999999999", "过大", "large"),
    ],
)
def test_parse_yuan_says_what_is_wrong(text, zh, en):
    with pytest.raises(AmountError) as caught:
        parse_yuan(text)
    assert caught.value.code == "BAD_AMOUNT"
    assert zh in caught.value.message_zh and en in caught.value.message_en


# -- the desk on the charity's node --------------------------------------------------------
def test_clear_values_stay_private_and_open_the_commitments(city, tmp_path):
    evidence = tmp_path / "invoice.txt"
    evidence.write_bytes(b"tuition invoice 2026")
    with open_home(city) as node:
        desk = CharityDesk(node, node.private())
        clerk, boss = sign_in(node, "clerk"), sign_in(node, "supervisor")
        desk.create_fund(boss, "F-DESK", "测试基金", "Test fund", 1_000_000)
        desk.create_project(
            boss,
            "P-DESK",
            "F-DESK",
            "测试项目",
            "Test project",
            500_000,
            [{"name": "第一期", "due": "2026-06-30", "amount_fen": 100_000}],
        )
        first = desk.record_donation(clerk, "F-DESK", 50_000, "bank", " 欧阳娜娜 ", "110101199003074578")
        second = desk.record_donation(clerk, "F-DESK", 30_000, "cash", "李四", anonymous=True)
        assert int(second[2:10]) == int(first[2:10]) + 1 and second == make_receipt(int(second[2:10]))

        clear = node.private().get(DONOR_NS, first)
        assert set(clear) == {"seed", "name", "id_number", "anonymous"}
        assert (clear["name"], clear["id_number"], clear["anonymous"]) == ("欧阳娜娜", "110101199003074578", False)
        assert node.private().get(DONOR_NS, second)["id_number"] is None
        body = _body(node, first)
        assert "欧阳" not in json.dumps(body, ensure_ascii=False)
        assert opens_person(body["donor"], bytes.fromhex(clear["seed"]), DONOR, "欧阳娜娜", "110101199003074578")

        allocation = desk.allocate(boss, "F-DESK", "P-DESK", 60_000)
        request = desk.request_disbursement(
            clerk, "P-DESK", 20_000, "王小明", "330106200501010013", CIVIL, "学费", [evidence]
        )
        assert allocation.startswith("ALLOC-") and len(allocation) == 12 and request.startswith("REQ-")
        beneficiary = node.private().get(BENEFICIARY_NS, request)
        body = _body(node, request, "charity_requests", "id")
        assert body["requested_by"] == "clerk"
        assert body["evidence"] == [hashlib.sha256(b"tuition invoice 2026").hexdigest()]
        assert opens_person(
            body["beneficiary"], bytes.fromhex(beneficiary["seed"]), BENEFICIARY, "王小明", "330106200501010013"
        )
        masked = {d.receipt: d.donor for d in desk.donations()}
        assert masked[first] == "欧阳**" and masked[second] == "匿名"


def _body(node: Node, key: str, table: str = "charity_donations", column: str = "receipt") -> dict:
    from citychain.log.records import parse_leaf

    seq = node.store.conn.execute(f"SELECT seq FROM {table} WHERE {column} = ?", (key,)).fetchone()[0]
    head = node.store.head(CHARITY)
    return parse_leaf(node.store.leaves(head.id, seq, seq + 1)[0]).record.body


def test_refusals_write_nothing(city):
    home = city / CHARITY
    with open_home(city) as node:
        desk = CharityDesk(node, node.private())
        clerk, boss = sign_in(node, "clerk"), sign_in(node, "supervisor")
        desk.create_fund(boss, "F-NO", "基金", "Fund")
        desk.create_project(boss, "P-NO", "F-NO", "项目", "Project", 100_000)
        receipt = desk.record_donation(clerk, "F-NO", 10_000, "online", "张三")
        before = (log_size(home), private_rows(home))
        attempts = [
            (lambda: desk.record_donation(clerk, "F-NOPE", 100, "cash", "张三"), "UNKNOWN_REFERENCE"),
            (lambda: desk.record_donation(clerk, "F-NO", 100, "cheque", "张三"), "BAD_CHANNEL"),
            (lambda: desk.record_donation(clerk, "F-NO", 0, "cash", "张三"), "BAD_AMOUNT"),
            (lambda: desk.record_donation(clerk, "F-NO", 100, "cash", "  "), "MISSING"),
            (lambda: desk.allocate(boss, "F-NO", "P-NO", 10_001), "INSUFFICIENT_FUNDS"),
            (lambda: desk.request_disbursement(clerk, "P-NO", 1, "李四", None, CIVIL, "x"), "INSUFFICIENT_FUNDS"),
            (
                lambda: desk.request_disbursement(clerk, "P-NO", 1, "李四", None, "market-regulation", "x"),
                "NOT_BENEFICIARY_AGENCY",
            ),
            (
                lambda: desk.request_disbursement(clerk, "P-NO", 1, "李四", None, CIVIL, "x", ["/no/such/file"]),
                "EVIDENCE",
            ),
            (lambda: desk.refund(boss, receipt, 10_001, "x"), "INSUFFICIENT_FUNDS"),
            (lambda: desk.refund(boss, "D-00000001-3", 1, "x"), "BAD_RECEIPT"),
            (lambda: desk.approve(boss, "REQ-999999"), "UNKNOWN_REFERENCE"),
            (lambda: desk.acknowledge(clerk, CIVIL, "REQ-000001"), "NOT_APPROVED"),
        ]
        for attempt, code in attempts:
            with pytest.raises((CharityError, AmountError, RecordRejected)) as caught:
                attempt()
            assert caught.value.code == code, str(caught.value)
            assert caught.value.message_zh and caught.value.message_en
            assert (log_size(home), private_rows(home)) == before, code
        with pytest.raises(RecordRejected) as caught:
            desk.allocate(boss, "F-NO", "P-NO", 10_001)
        assert "100.00" in caught.value.message_zh and "100.01" in caught.value.message_en


def test_a_second_person_must_approve(city):
    with open_home(city) as node:
        desk = CharityDesk(node, node.private())
        clerk, boss = sign_in(node, "clerk"), sign_in(node, "supervisor")
        desk.create_fund(boss, "F-TWO", "基金", "Fund")
        desk.create_project(boss, "P-TWO", "F-TWO", "项目", "Project", 100_000)
        desk.record_donation(clerk, "F-TWO", 50_000, "bank", "赵六")
        desk.allocate(boss, "F-TWO", "P-TWO", 50_000)
        own = desk.request_disbursement(boss, "P-TWO", 1_000, "钱七", None, CIVIL, "助学")
        with pytest.raises(RecordRejected) as caught:
            desk.approve(boss, own)
        assert caught.value.code == "SAME_PERSON"
        theirs = desk.request_disbursement(clerk, "P-TWO", 2_000, "孙八", None, CIVIL, "助学")
        assert desk.approve(boss, theirs).record.body == {"request": theirs, "approved_by": "supervisor"}
        desk.cancel(boss, own, "重复 / duplicate")
        assert [r["id"] for r in desk.pending_requests() if r["project"] == "P-TWO"] == []


# -- the demo city -------------------------------------------------------------------------
def test_the_demo_city_has_traceable_charity_data(city):
    with open_home(city) as node, open_home(city, CIVIL) as civil:
        desk, peer = CharityDesk(node, node.private()), CharityDesk(civil)
        listed = [d for d in desk.donations() if d.fund == charity_demo.FUND]
        assert len(listed) == charity_demo.DONATIONS
        assert {d.channel for d in listed} == {"cash", "bank", "online"}
        assert any(d.donor == "匿名" for d in listed) and any(d.refunded_fen for d in listed)
        assert all(d.donor and ("*" in d.donor or d.donor == "匿名") for d in listed)
        totals = {state: 0 for state in STATES}
        for d in listed:
            report = desk.trace(d.receipt)
            states = [b["state"] for b in report["breakdown"]]
            assert states == list(STATES)
            assert sum(b["amount_fen"] for b in report["breakdown"]) == report["amount_fen"] == d.amount_fen
            assert all(step["proof"]["status"] == "included" for step in report["steps"]), d.receipt
            assert without_witnesses(peer.trace(d.receipt)) == without_witnesses(report)
            for b in report["breakdown"]:
                totals[b["state"]] += b["amount_fen"]
        assert all(
            totals[s] > 0
            for s in ("acknowledged", "disbursed", "pending", "held_in_project", "unallocated", "refunded")
        ), totals
        fund = desk.fund_totals(charity_demo.FUND)
        assert fund.acknowledged_fen == totals["acknowledged"] and fund.pending_fen == totals["pending"]
        assert fund.disbursed_fen + fund.spent_fen == totals["disbursed"] + totals["acknowledged"]
        assert len(desk.projects(charity_demo.FUND)) == 3
        decided = node.store.conn.execute(
            "SELECT status, requested_by, decided_by FROM charity_requests WHERE project IN (?, ?, ?) ORDER BY seq",
            [p[0] for p in charity_demo.PROJECTS],
        ).fetchall()
        statuses = [s for s, *_ in decided]
        assert statuses.count("approved") == 5 and statuses.count("pending") == 3 and statuses.count("cancelled") == 1
        assert all(by == "clerk" and (d in (None, "supervisor")) for _, by, d in decided)
        acks = civil.store.conn.execute(
            "SELECT COUNT(*) FROM charity_acks a JOIN logs l ON l.id = a.ack_log WHERE l.agency = ?", (CIVIL,)
        ).fetchone()[0]
        assert acks == charity_demo.ACKNOWLEDGED
    samples = sorted((city / "samples").glob("donation-receipt-*.pdf"))
    assert len(samples) == charity_demo.RECEIPT_SAMPLES
    assert all(len(pypdfium2.PdfDocument(p.read_bytes())) == 1 for p in samples)
    assert (city / "samples" / f"donation-receipt-{make_receipt(1)}.pdf") in samples


# -- HTTP, on real node processes --------------------------------------------------------------
def test_http_trace_equals_the_desk_and_a_synced_peer(city):
    with open_home(city) as node:
        desk = CharityDesk(node, node.private())
        clerk, boss = sign_in(node, "clerk"), sign_in(node, "supervisor")
        desk.create_fund(boss, "F-HTTP", "网络基金", "HTTP fund", 10_000_000)
        desk.create_project(boss, "P-HTTP", "F-HTTP", "项目", "Project", 1_000_000)
        receipt = desk.record_donation(clerk, "F-HTTP", 88_800, "online", "周九")
        desk.allocate(boss, "F-HTTP", "P-HTTP", 50_000)
        desk.approve(boss, desk.request_disbursement(clerk, "P-HTTP", 30_000, "吴十", None, CIVIL, "医疗"))
        local = desk.trace(receipt)
        acknowledged = make_receipt(1)  # the demo's first donation went to the first, acknowledged, disbursement
        assert dict((b["state"], b["amount_fen"]) for b in desk.trace(acknowledged)["breakdown"])["acknowledged"] > 0
    charity_port, civil_port = free_port(), free_port()
    charity_node = NodeProcess(city / CHARITY, charity_port, [f"http://127.0.0.1:{civil_port}"])
    civil_node = NodeProcess(city / CIVIL, civil_port, [f"http://127.0.0.1:{charity_port}"])
    try:
        charity_node.start(wait=False)
        civil_node.start(wait=False)
        charity_node.wait_ready()
        civil_node.wait_ready()
        reply = charity_node.get(f"/v1/charity/trace/{receipt}")
        assert reply.status_code == 200
        assert without_witnesses(reply.json()) == without_witnesses(local)
        assert reply.json()["breakdown"] == local["breakdown"]

        wait_for(lambda: civil_node.size_of(CHARITY) == charity_node.size_of(CHARITY))
        for code in (receipt, acknowledged):
            here = charity_node.get(f"/v1/charity/trace/{code}").json()
            wait_for(lambda code=code: civil_node.get(f"/v1/charity/trace/{code}").status_code == 200)
            there = civil_node.get(f"/v1/charity/trace/{code}").json()
            assert without_witnesses(there) == without_witnesses(here)
        assert any(s["step"] == "acknowledged" and s["log"] == CIVIL for s in here["steps"])

        for path, status, code in (
            (f"/v1/charity/trace/{make_receipt(999_999)}", 404, "UNKNOWN_RECEIPT"),
            ("/v1/charity/trace/D-00000001-3", 400, "BAD_RECEIPT"),
            ("/v1/charity/trace/not-a-receipt", 400, "BAD_RECEIPT"),
        ):
            reply = charity_node.get(path)
            assert reply.status_code == status and reply.json()["error"] == code
            assert reply.json()["message_zh"] and reply.json()["message_en"]

        funds = {(f["charity"], f["id"]): f for f in civil_node.get("/v1/charity/funds").json()["funds"]}
        edu = funds[(CHARITY, charity_demo.FUND)]
        assert edu["donations"] == charity_demo.DONATIONS and len(edu["projects"]) == 3
        assert edu["raised_fen"] == edu["refunded_fen"] + edu["unallocated_fen"] + edu["allocated_fen"]
        assert funds[(CHARITY, "F-HTTP")]["pending_fen"] == 0 and funds[(CHARITY, "F-HTTP")]["disbursed_fen"] == 30_000
        assert "周" not in json.dumps(list(funds.values()), ensure_ascii=False)
    finally:
        charity_node.stop()
        civil_node.stop()

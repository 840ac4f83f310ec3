"""`python main.py charity …` as people use it: real processes on real demo
homes; a clerk records and requests, a supervisor allocates and approves;
every refusal is a clear bilingual sentence with exit code 2 and writes
nothing; JSON output carries fen and a breakdown that adds up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from test_charity_desk import CHARITY, CIVIL, charity_city, log_size, private_rows

from charity.receipts import make_receipt
from charity.trace import STATES
from democity import charity_demo, spec

ROOT = Path(__file__).resolve().parent.parent


def charity(*args: str, role: str | None = None, home: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    user = []
    if role is not None:
        env["CITYCHAIN_PASSWORD"] = spec.PASSWORDS[role]
        user = ["--user", role]
    command, *rest = args
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "charity", command, "--home", str(home), *user, *rest],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "错误 / error" in done.stderr and "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return charity_city(tmp_path_factory.mktemp("charity-cli") / "city")


@pytest.fixture(scope="module")
def home(city) -> Path:
    return city / CHARITY


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def test_a_donation_from_fund_to_approval(home, tmp_path):
    ok(
        charity(
            "fund-create",
            "--id",
            "F-CLI",
            "--name-zh",
            "命令行基金",
            "--name-en",
            "CLI fund",
            "--target",
            "50,000",
            role="supervisor",
            home=home,
        )
    )
    ok(
        charity(
            "project-create",
            "--id",
            "P-CLI",
            "--fund",
            "F-CLI",
            "--name-zh",
            "命令行项目",
            "--name-en",
            "CLI project",
            "--budget",
            "20,000",
            "--milestone",
            "第一期|2026-06-30|5,000",
            "--milestone",
            "第二期",
            role="supervisor",
            home=home,
        )
    )
    first = ok(
        charity(
            "donate",
            "--fund",
            "F-CLI",
            "--amount",
            "1,234.50",
            "--channel",
            "bank",
            "--donor-name",
            "张三丰",
            "--donor-id",
            "110101199003074578",
            role="clerk",
            home=home,
        )
    )
    receipt_pdf = tmp_path / "receipt.pdf"
    second = ok(
        charity(
            "donate",
            "--fund",
            "F-CLI",
            "--amount",
            "300",
            "--channel",
            "cash",
            "--donor-name",
            "李四",
            "--anonymous",
            "--pdf",
            str(receipt_pdf),
            role="clerk",
            home=home,
        )
    )
    assert len(pypdfium2.PdfDocument(receipt_pdf.read_bytes())) == 1
    assert first.startswith("D-") and second.startswith("D-") and first != second

    # a clerk may not allocate; a supervisor may, but not beyond what the fund holds
    refused(
        charity("allocate", "--fund", "F-CLI", "--project", "P-CLI", "--amount", "100", role="clerk", home=home),
        "permission denied",
    )
    before = log_size(home)
    refused(
        charity("allocate", "--fund", "F-CLI", "--project", "P-CLI", "--amount", "2,000", role="supervisor", home=home),
        "1534.50",
        "2000.00",
        "less than",
    )
    assert log_size(home) == before
    allocation = ok(
        charity("allocate", "--fund", "F-CLI", "--project", "P-CLI", "--amount", "1,500", role="supervisor", home=home)
    )
    assert allocation.startswith("ALLOC-")

    evidence = tmp_path / "bill.pdf"
    evidence.write_bytes(b"%PDF-1.4 hospital bill")
    before = (log_size(home), private_rows(home))
    refused(
        charity(
            "request-disbursement",
            "--project",
            "P-CLI",
            "--amount",
            "1,500.01",
            "--beneficiary-name",
            "王五",
            "--beneficiary-agency",
            CIVIL,
            "--purpose",
            "医疗费",
            role="clerk",
            home=home,
        ),
        "1500.00",
    )
    assert (log_size(home), private_rows(home)) == before
    request = ok(
        charity(
            "request-disbursement",
            "--project",
            "P-CLI",
            "--amount",
            "1,000",
            "--beneficiary-name",
            "王五",
            "--beneficiary-id",
            "330106200501010013",
            "--beneficiary-agency",
            CIVIL,
            "--purpose",
            "医疗费",
            "--evidence",
            str(evidence),
            role="clerk",
            home=home,
        )
    )
    refused(charity("approve", request, role="clerk", home=home), "permission denied")
    own = ok(
        charity(
            "request-disbursement",
            "--project",
            "P-CLI",
            "--amount",
            "200",
            "--beneficiary-name",
            "赵六",
            "--beneficiary-agency",
            CIVIL,
            "--purpose",
            "学费",
            role="supervisor",
            home=home,
        )
    )
    before = log_size(home)
    refused(charity("approve", own, role="supervisor", home=home), "另一人", "second person")
    assert log_size(home) == before
    assert "approved" in ok(charity("approve", request, role="supervisor", home=home))
    refused(charity("approve", request, role="supervisor", home=home), "already approved")
    assert "cancelled" in ok(charity("cancel", own, "--reason", "重复 / duplicate", role="supervisor", home=home))

    # a refund beyond the donation's unallocated money is refused; within it, it is recorded
    before = log_size(home)
    refused(
        charity("refund", second, "--amount", "300", "--reason", "捐赠人要求", role="supervisor", home=home),
        "34.50",
        "cannot be refunded",
    )
    assert log_size(home) == before
    assert ok(
        charity("refund", second, "--amount", "34.50", "--reason", "捐赠人要求", role="supervisor", home=home)
    ).startswith("RF-")

    traced = json.loads(ok(charity("trace", first, "--json", home=home)))
    assert traced["receipt"] == first and traced["amount_fen"] == 123_450
    assert [b["state"] for b in traced["breakdown"]] == list(STATES)
    amounts = {b["state"]: b["amount_fen"] for b in traced["breakdown"]}
    assert sum(amounts.values()) == 123_450
    assert amounts == {
        "acknowledged": 0,
        "disbursed": 100_000,
        "pending": 0,
        "held_in_project": 23_450,
        "unallocated": 0,
        "refunded": 0,
    }
    assert [s["step"] for s in traced["steps"]] == [
        "donation",
        "allocation",
        "disbursement.requested",
        "disbursement.approved",
    ]
    assert all(s["proof"]["status"] == "included" and len(s["proof"]["leaf_hash"]) == 64 for s in traced["steps"])
    amounts = {
        b["state"]: b["amount_fen"] for b in json.loads(ok(charity("trace", second, "--json", home=home)))["breakdown"]
    }
    assert amounts["refunded"] == 3_450 and amounts["unallocated"] == 0 and sum(amounts.values()) == 30_000

    text = ok(charity("trace", first, home=home))
    assert (
        "已拨付，待受益方确认 / Paid, awaiting the beneficiary: ¥1,000.00" in text and "in a checkpoint" in text
    )  # charity.money_states' words
    report = json.loads(ok(charity("report", "--fund", "F-CLI", "--json", home=home)))
    assert report[0]["raised_fen"] == 153_450 and report[0]["disbursed_fen"] == 100_000
    assert report[0]["projects"][0]["id"] == "P-CLI"
    pdf, csv = tmp_path / "report.pdf", tmp_path / "transactions.csv"
    text = ok(charity("report", "--fund", "F-CLI", "--pdf", str(pdf), "--csv", str(csv), home=home))
    assert "F-CLI" in text and "¥1,534.50" in text
    assert len(pypdfium2.PdfDocument(pdf.read_bytes())) >= 1
    assert first in csv.read_text(encoding="utf-8-sig") and request in csv.read_text(encoding="utf-8-sig")


def test_donations_json_lists_every_donation(home):
    listed = json.loads(ok(charity("donations", "--json", home=home)))
    receipts = [d["receipt"] for d in listed]
    assert len(receipts) == len(set(receipts)) >= charity_demo.DONATIONS
    import sqlite3

    with sqlite3.connect(home / "ledger.sqlite") as conn:
        stored = dict(conn.execute("SELECT receipt, amount FROM charity_donations"))
    assert {d["receipt"]: d["amount_fen"] for d in listed} == stored
    for d in listed:
        assert set(d) >= {"receipt", "amount_fen", "fund", "time", "donor", "channel", "anonymous"}
        assert d["donor"] == "匿名" if d["anonymous"] else d["donor"].endswith("*") and "*" in d["donor"]
        assert d["donor"] != "张三丰"
    text = ok(charity("donations", home=home))
    assert f"共 {len(listed)} 笔" in text and "匿名" in text


def test_mistakes_are_explained_and_write_nothing(home):
    before = (log_size(home), private_rows(home))
    for amount, words in (
        ("12.345", ("两位小数", "two decimals")),
        ("abc", ("不是金额", "not an amount")),
        ("-1", ("正数", "positive")),
        ("0", ("大于零", "more than zero")),
    ):
        refused(
            charity(
                "donate",
                "--fund",
                charity_demo.FUND,
                "--amount",
                amount,
                "--channel",
                "cash",
                "--donor-name",
                "张三",
                role="clerk",
                home=home,
            ),
            *words,
        )
    refused(
        charity(
            "donate",
            "--fund",
            "NO-SUCH-FUND",
            "--amount",
            "10",
            "--channel",
            "cash",
            "--donor-name",
            "张三",
            role="clerk",
            home=home,
        ),
        "NO-SUCH-FUND",
    )
    refused(
        charity(
            "project-create",
            "--id",
            "P-BAD",
            "--fund",
            charity_demo.FUND,
            "--name-zh",
            "项目",
            "--name-en",
            "Project",
            "--budget",
            "100",
            "--milestone",
            "a|b|c|d",
            role="supervisor",
            home=home,
        ),
        "NAME|YYYY-MM-DD|YUAN",
    )
    assert (log_size(home), private_rows(home)) == before
    refused(charity("trace", "D-00000001-3", home=home), "校验位", "check character")
    refused(charity("trace", make_receipt(99_999_999), home=home), "no donation with receipt")
    refused(charity("report", "--pdf", str(home.parent / "x.pdf"), home=home), "--fund")
    assert not (home.parent / "x.pdf").exists()


def test_acknowledge_on_the_beneficiary_agency(city):
    civil = city / CIVIL
    refused(charity("acknowledge", "REQ-999999", "--charity", CHARITY, role="clerk", home=civil), "sync first")
    import sqlite3

    with sqlite3.connect(city / CHARITY / "ledger.sqlite") as conn:
        # approved by the demo but not acknowledged by civil affairs
        (rid,) = conn.execute(
            "SELECT id FROM charity_requests r WHERE status='approved' AND project IN ('P-SCHOOL', 'P-MEDICAL', "
            "'P-ELDERLY') ORDER BY seq LIMIT 1 OFFSET ?",
            (charity_demo.ACKNOWLEDGED,),
        ).fetchone()
    assert "acknowledged" in ok(charity("acknowledge", rid, "--charity", CHARITY, role="clerk", home=civil))
    refused(charity("acknowledge", rid, "--charity", CHARITY, role="clerk", home=civil), "already acknowledged")


def test_the_http_trace_is_the_cli_trace(home):
    from nodes import NodeProcess, free_port

    receipt = json.loads(ok(charity("donations", "--json", home=home)))[0]["receipt"]
    node = NodeProcess(home, free_port()).start()
    try:
        served = node.get(f"/v1/charity/trace/{receipt}")
        printed = json.loads(ok(charity("trace", receipt, "--json", home=home)))  # reads beside the running node
        assert served.status_code == 200 and served.json() == printed
        assert printed["steps"][-1]["step"] == "acknowledged"
        missing = node.get(f"/v1/charity/trace/{make_receipt(99_999_999)}")
        assert missing.status_code == 404 and "no donation" in missing.json()["message_en"]
    finally:
        node.stop()

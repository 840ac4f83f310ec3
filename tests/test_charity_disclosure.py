"""Charity disclosure on the legal schedule: the demo fund's projects with
start and end records, money moving over three quarters on the fake clock,
quarterly and final reports that reconcile to the fen with the trace and
the CSV, sealed PDFs read back, due and late reports, and the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
import requests
from conftest import CHEAP_KDF, FAST_ARGON2, quiet_demo_city
from nodes import serving
from PySide6.QtWidgets import QLabel

from charity.desk import CharityDesk
from charity.disclosure import city_today, quarter_reports
from charity.kinds import PLUGIN
from charity.periods import Quarter
from charity.project_log import Figures, Movement, Project, read_projects
from charity.quarterly import REPORT_FILENAME, quarterly_report
from charity.rules import PROJECT_DISCLOSED, first_violation
from charity.schedule import obligations, project_state
from charity.trace import donations, project_totals, trace_donation
from citychain.clock import FakeClock
from citychain.documents.money import yuan_figures
from citychain.documents.pades import open_sealed_pdf
from citychain.log.canonical import canonical
from citychain.log.records import parse_leaf
from citychain.net.service import NodeService
from citychain.node.kinds import RecordRejected
from citychain.node.node import Node
from citychain.pki.ca import load_cert
from democity import charity_demo, spec
from ui.counter.disclosure_page import DisclosureTab
from ui.kiosk.screen_trace import FundsScreen
from ui.local_backend import LocalBackend

ROOT = Path(__file__).resolve().parent.parent
CHARITY = charity_demo.CHARITY
FUND = charity_demo.FUND
Q1, Q2, Q3 = (Quarter(2026, n) for n in (1, 2, 3))


def states(node: Node) -> dict[str, str]:
    today = city_today(node.clock.now())
    return {p.id: project_state(p, today) for p in read_projects(node.store.conn, CHARITY)}


def open_charity(city, clock) -> Node:
    return Node.open(Path(city.home(CHARITY)), (PLUGIN,), clock=clock, argon2=FAST_ARGON2)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The demo fund and its three projects, dated by the demo's own schedule
    on 2026-03-01; money moved in Q1, Q2 and Q3; Q1 disclosed on time, Q2
    never; the ended project closed on time. Returns (city, clock, seen),
    `seen` holding what the schedule said along the way."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    city = quiet_demo_city(tmp_path_factory.mktemp("disclosure") / "city", clock=clock)
    clock.current = max(clock.current, datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    seen: dict[str, object] = {}
    with open_charity(city, clock) as node:
        desk = CharityDesk(node, node.private(CHEAP_KDF))
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        boss = node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
        desk.create_fund(boss, FUND, "2026 助学助困基金", "2026 Education and Relief Fund", 100_000_000)
        for project_id, name_zh, name_en, budget, milestones in charity_demo.PROJECTS:
            desk.create_project(boss, project_id, FUND, name_zh, name_en, budget, milestones)
        charity_demo._schedule(desk, boss, city_today(clock.now()))
        seen["start"] = states(node)
        for fen in (1_000_000, 234_567, 50_001):
            desk.record_donation(clerk, FUND, fen, "bank", "张三丰")
        desk.allocate(boss, FUND, "P-ELDERLY", 600_000)
        desk.allocate(boss, FUND, "P-MEDICAL", 100_000)
        first = desk.request_disbursement(clerk, "P-ELDERLY", 123_456, "李小龙", None, "civil-affairs", "助老餐")
        desk.approve(boss, first)
        with pytest.raises(RecordRejected) as early:
            desk.record_disclosures(boss, Q1)
        seen["early"] = early.value.code

        clock.current = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)
        seen["recorded_q1"] = dict(desk.record_disclosures(boss, Q1))
        desk.record_expenditure(boss, "P-ELDERLY", 45_000, "食材")
        wrong = desk.record_expenditure(boss, "P-ELDERLY", 9_999, "记错")
        desk.reverse(boss, wrong, "记错金额")
        desk.allocate(boss, FUND, "P-ELDERLY", 200_000)
        desk.close_project(boss, "P-MEDICAL")
        with pytest.raises(RecordRejected) as closed:
            desk.allocate(boss, FUND, "P-MEDICAL", 1_000)
        seen["closed"] = closed.value.code

        clock.current = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)
        seen["july"] = states(node)
        pending = desk.request_disbursement(clerk, "P-ELDERLY", 70_000, "王五", None, "civil-affairs", "八月助老餐")
        dropped = desk.request_disbursement(clerk, "P-ELDERLY", 5_000, "王五", None, "civil-affairs", "重复")

        clock.current = datetime(2026, 8, 15, 2, 0, tzinfo=UTC)
        desk.cancel(boss, dropped, "重复提交")
        desk.record_expenditure(boss, "P-ELDERLY", 30_000, "餐具")
        seen["pending"] = pending
        seen["august"] = states(node)
    return city, clock, seen


def test_the_demo_schedule_gives_a_late_a_due_and_an_on_time_project(scene):
    _, _, seen = scene
    assert seen["start"] == {"P-SCHOOL": "late", "P-MEDICAL": "due", "P-ELDERLY": "on_time"}


def test_due_then_late_and_what_the_rules_refuse(scene):
    city, clock, seen = scene
    assert seen["early"] == "PERIOD_NOT_OVER"  # Q1 cannot be disclosed before it ends
    assert seen["closed"] == "PROJECT_CLOSED"  # no money into a closed project
    assert set(seen["recorded_q1"]) == {"P-SCHOOL", "P-MEDICAL", "P-ELDERLY"}
    assert seen["july"]["P-ELDERLY"] == "due"  # Q2 over, due by 2026-07-31
    assert seen["august"]["P-ELDERLY"] == "late"  # and never disclosed
    assert seen["august"]["P-MEDICAL"] == "on_time"  # closed within three months of its end
    with open_charity(city, clock) as node:
        elderly = next(p for p in read_projects(node.store.conn, CHARITY) if p.id == "P-ELDERLY")
    by_period = {o.period: o for o in obligations(elderly, city_today(clock.now()))}
    assert by_period["2026Q1"].status == "on_time" and by_period["2026Q1"].disclosed.day.isoformat() == "2026-04-10"
    assert by_period["2026Q2"].status == "late" and by_period["2026Q2"].due.isoformat() == "2026-07-31"
    assert by_period["2026Q3"].status == "open"
    # a mirror replays the log through the same rules; a disclosure dated inside its quarter is refused
    with open_charity(city, clock) as node:
        head = node.store.head(CHARITY)
        records = [parse_leaf(leaf).record for leaf in node.store.leaves(head.id, 0, head.size)]
    assert first_violation(records) is None
    at = next(i for i, r in enumerate(records) if r.kind == PROJECT_DISCLOSED)
    broken = first_violation([*records[:at], replace(records[at], time="2026-03-31T08:00:00.000Z"), *records[at + 1 :]])
    assert broken is not None and (broken.seq, broken.code) == (records[at].seq, "PERIOD_NOT_OVER")
    # the disclosure record commits to the very report anyone recomputes from the log
    assert (
        quarterly_report(elderly, Q1).sha256
        == seen["recorded_q1"]["P-ELDERLY"]
        == by_period["2026Q1"].disclosed.report_sha256
    )


def test_quarters_chain_and_reconcile_to_the_fen_with_the_trace_and_the_csv(scene):
    city, clock, _ = scene
    with open_charity(city, clock) as node:
        conn = node.store.conn
        today = city_today(clock.now())
        reports = {
            q: next(p for p in quarter_reports(conn, CHARITY, q, today) if p.project.id == "P-ELDERLY").reports[0]
            for q in (Q1, Q2, Q3)
        }
        assert reports[Q1].closing == reports[Q2].opening and reports[Q2].closing == reports[Q3].opening
        assert reports[Q2].in_period.allocated_fen == 200_000 and reports[Q2].in_period.spent_fen == 45_000
        closing = reports[Q3].closing
        totals = project_totals(conn, CHARITY, "P-ELDERLY")
        assert (
            closing.allocated_fen,
            closing.pending_fen,
            closing.disbursed_fen,
            closing.spent_fen,
            closing.held_fen,
        ) == (
            totals.allocated_fen,
            totals.pending_fen,
            totals.disbursed_fen,
            totals.spent_fen,
            totals.held_fen,  # the pots' free fen, not a remainder
        )
        # every donation's own trace, summed over the project, gives the same fen
        traced = {"allocated": 0, "pending": 0, "disbursed": 0, "spent": 0, "held": 0}
        for d in donations(conn, CHARITY):
            for share in trace_donation(conn, d.receipt, CHARITY).allocations:
                if share.project != "P-ELDERLY":
                    continue
                traced["allocated"] += share.amount_fen
                traced["held"] += share.held_fen
                traced["spent"] += sum(e.amount_fen for e in share.expenditures)
                for r in share.disbursements:
                    traced["pending" if r.status == "pending" else "disbursed"] += r.amount_fen
        assert traced == {
            "allocated": closing.allocated_fen,
            "pending": closing.pending_fen,
            "disbursed": closing.disbursed_fen,
            "spent": closing.spent_fen,
            "held": closing.held_fen,
        }
        # each quarter's CSV adds up to what the report says moved in it
        for q, report in reports.items():
            rows = list(csv.DictReader(io.StringIO(report.csv(conn).lstrip("\ufeff"))))
            sums = {
                code: sum(int(r["value-fen"]) for r in rows if r["transaction-type-code"] == code) for code in "234"
            }
            assert sums == {
                "2": report.in_period.allocated_fen,
                "3": report.in_period.disbursed_fen,
                "4": report.in_period.spent_fen,
            }, q
            assert {r["activity-id"] for r in rows} <= {"P-ELDERLY"}
            assert all(q.first.isoformat() <= r["transaction-date"] <= q.last.isoformat() for r in rows)
        assert any(int(r["value-fen"]) < 0 for r in csv.DictReader(io.StringIO(reports[Q2].csv(conn).lstrip("\ufeff"))))


def sealed_text(city, pdf: bytes) -> tuple[dict, str]:
    """The statement a sealed report carries (its seal checked against the city CA) and the page text."""
    with open_charity(city, None) as node:
        ca = load_cert(node.home.city_ca_path)
    opened = open_sealed_pdf(pdf, ca, attachment_name=REPORT_FILENAME)
    assert opened.agency == CHARITY
    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf))
    return json.loads(opened.attachment), text


def test_disclose_cli_writes_sealed_reports_and_lists_due_and_late(scene, tmp_path):
    city, _, _ = scene
    home, out = Path(city.home(CHARITY)), tmp_path / "out"
    command = ["charity", "disclose", "--home", str(home), "--quarter", "2025Q3", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *command],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # the CLI's clock is the real one (after the fake one's August): Q2 and Q3 are overdue by now
    assert "LATE  P-ELDERLY 2026Q2" in done.stdout and "LATE  P-SCHOOL 2025Q3" in done.stdout
    assert "P-MEDICAL" not in done.stdout.split("\n", 3)[-1]  # closed on time: owes nothing
    index = json.loads((out / "disclosure.json").read_text("utf-8"))
    assert index["quarter"] == "2025Q3"
    assert {p["project"]: [r["period"] for r in p["reports"]] for p in index["projects"]} == {
        "P-SCHOOL": ["2025Q3"],  # the only project running then
        "P-MEDICAL": [],
        "P-ELDERLY": [],
    }
    statement, text = sealed_text(city, (out / "P-SCHOOL-2025Q3.pdf").read_bytes())
    assert statement["period"] == "2025Q3" and statement["transactions"] == []
    assert (out / "P-SCHOOL-2025Q3.json").read_bytes() == canonical(statement)
    assert "山区学校助学金" in text and "2025 年第 3 季度项目实施情况" in text and "逾期未公开" in text


def test_the_counter_page_the_public_route_and_the_kiosk_fund_page(scene, qtbot, tmp_path):
    """The counter's tab makes the reports through the local backend; the node
    serves the latest reports; the kiosk's fund page shows each project's standing."""
    city, clock, _ = scene
    home = Path(city.home(CHARITY))
    backend = LocalBackend(home, (PLUGIN,), clock=clock, argon2=FAST_ARGON2, sync=False)
    try:
        session = backend.sign_in("supervisor", spec.PASSWORDS["supervisor"])

        def run(fn, *args, done=None, failed=None, **_):
            done(fn(*args))

        tab = DisclosureTab(SimpleNamespace(backend=backend, session=session, may=lambda action: True, run=run))
        qtbot.addWidget(tab)
        out = tmp_path / "counter"
        tab.quarter.setCurrentText("2026Q2")
        tab.folder.setText(str(out))
        tab.make.click()
        shown = {tab.table.item(r, 0).text(): tab.table.item(r, 3).text() for r in range(tab.table.rowCount())}
        assert set(shown) == {"P-SCHOOL", "P-MEDICAL", "P-ELDERLY"} and "2026Q2" in shown["P-ELDERLY"]
        assert shown["P-MEDICAL"] == "—"  # closed on time, owes nothing
        funds = backend.public_funds()
    finally:
        backend.close()

    statement, text = sealed_text(city, (out / "P-ELDERLY-2026Q2.pdf").read_bytes())
    assert statement == json.loads((out / "P-ELDERLY-2026Q2.json").read_bytes())
    assert statement["period"] == "2026Q2" and statement["in_period"]["allocated_fen"] == 200_000
    assert "社区助老餐" in text and "2026 年第 2 季度项目实施情况" in text and "逾期未公开" in text
    assert yuan_figures(statement["closing"]["held_fen"]) in text and yuan_figures(200_000) in text
    rows = list(csv.DictReader(io.StringIO((out / "P-ELDERLY-2026Q2.csv").read_text("utf-8-sig"))))
    spent = sum(int(r["value-fen"]) for r in rows if r["transaction-type-code"] == "4")
    assert spent == statement["in_period"]["spent_fen"] == 45_000
    final, _ = sealed_text(city, (out / "P-MEDICAL-final.pdf").read_bytes())
    with open_charity(city, clock) as node:
        medical = next(p for p in read_projects(node.store.conn, CHARITY) if p.id == "P-MEDICAL")
    assert final["closing"]["allocated_fen"] == 100_000
    assert hashlib.sha256(canonical(final)).hexdigest() == medical.closed.report_sha256  # what the closure committed to

    screen = FundsScreen()
    qtbot.addWidget(screen)
    screen.show_funds(list(funds))
    lines = sorted(
        (w.objectName(), w.text()) for w in screen.findChildren(QLabel) if w.objectName().startswith("disclosure-")
    )
    assert [name for name, _ in lines] == ["disclosure-late", "disclosure-late", "disclosure-on_time"]
    owed = " ".join(text for _, text in lines)
    assert "2025Q3, due 2025-10-31" in owed and "2026Q2, due 2026-07-31" in owed and "2026Q1 (2026-04-10)" in owed

    with Node.open(home, (PLUGIN,), clock=clock, write=False, argon2=FAST_ARGON2) as node:
        with serving(NodeService(node, (PLUGIN,))) as url:
            answer = requests.get(f"{url}/v1/charity/disclosures", timeout=10)
            missing = requests.get(f"{url}/v1/charity/disclosures?charity=nobody", timeout=10)
    assert answer.status_code == 200 and missing.status_code == 404
    data = answer.json()
    assert data["today"] == "2026-08-15" and data["quarter"] == "2026Q2"
    elderly = next(p for p in data["projects"] if p["project"] == "P-ELDERLY")
    report = next(r for r in elderly["reports"] if r["period"] == "2026Q2")
    assert elderly["state"] == "late" and report["recorded_sha256"] is None
    assert report["statement"]["closing"]["allocated_fen"] == 800_000


def test_the_statement_vector_in_the_protocol():
    """docs/protocol.md §12, *Disclosure*: the statement's bytes and hash, and a due date."""
    doc = (ROOT / "docs" / "protocol.md").read_text("utf-8")
    section = doc[doc.index("### Disclosure: project dates") : doc.index("## 13.")]
    moves = (
        Movement(5, date(2026, 2, 3), "ALLOC-000001", 2, Figures(allocated_fen=200_000)),
        Movement(6, date(2026, 2, 9), "REQ-000001", None, Figures(pending_fen=50_000)),
        Movement(7, date(2026, 4, 1), "REQ-000001", 3, Figures(pending_fen=-50_000, disbursed_fen=50_000)),
    )
    project = Project(
        CHARITY, "P-1", "F-1", "助老餐", "Meals", 800_000, date(2026, 1, 1), date(2026, 12, 31), movements=moves
    )
    report = quarterly_report(project, Q1)
    assert "    " + report.statement_bytes().decode() + "\n" in section
    assert f"with SHA-256 `{report.sha256}`" in section
    assert report.closing.held_fen == 150_000 and len(report.movements) == 1  # the approval is dated in Q2
    assert str(Quarter(2026, 4).due) == "2027-01-31" and "(2026Q4 → 2027-01-31)" in section

"""The charity desk through the widgets, on the demo city's charity node:
record a donation (bad amounts refused, input kept), print its receipt and
trace it; a disbursement needs a second person; a supervisor creates a fund;
and the civil-affairs counter acknowledges money it received."""

from __future__ import annotations

import pytest
from counter_support import build_city, close_window, open_window, sign_in, style_app

from democity import spec
from ui.backend import BackendError

CHARITY = "charity-federation"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    city = build_city(tmp_path_factory.mktemp("counter-charity") / "city")
    from counter_support import backend

    b = backend(city, CHARITY)
    try:
        admin = b.node.users.authenticate("admin", spec.PASSWORDS["admin"])
        b.node.users.add_user(
            admin, "supervisor2", "supervisor", "second-supervisor-2026", "第二主管 / second supervisor"
        )
    finally:
        b.close()
    return city


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)


def charity_page(qtbot, window):
    page = window.workspace.show_page("charity")
    qtbot.waitUntil(lambda: bool(page.data.funds) and page.donation.fund.count() > 0, timeout=10000)
    return page


def test_a_donation_is_recorded_its_receipt_printed_and_traced(qtbot, city):
    window = open_window(qtbot, city, CHARITY)
    try:
        workspace = sign_in(qtbot, window, "clerk")
        assert set(workspace.pages) == {"charity", "node"}
        page = charity_page(qtbot, window)
        tab = page.donation
        assert not page.funds.new_fund.isVisible() and not page.requests.approve_button.isVisible()
        tab.amount.setText("12,34.5x")
        tab.donor.setText("李雷")
        tab.record_button.click()
        assert "不是金额" in tab.banner.text() and tab.amount.property("invalid") is True
        assert tab.donor.text() == "李雷"  # what was typed stays
        tab.amount.setText("1,234.50")
        tab.record_button.click()
        qtbot.waitUntil(lambda: tab.last is not None, timeout=10000)
        receipt = tab.receipt_code.text()
        assert receipt.startswith("D-") and not tab.receipt_box.isHidden()
        assert tab.amount.text() == "" and tab.donor.text() == ""
        qtbot.waitUntil(lambda: tab.recent.rowCount() > 0 and tab.recent.item(0, 0).text() == receipt, timeout=10000)
        assert tab.recent.item(0, 3).text() == "李*"  # donors are shown masked

        tab.show_receipt()
        qtbot.waitUntil(
            lambda: getattr(tab, "last_dialog", None) is not None and bool(tab.last_dialog.pane.pdf), timeout=20000
        )
        assert tab.last_dialog.pane.pdf.startswith(b"%PDF")
        tab.last_dialog.accept()

        tab.trace_button.click()
        trace = page.trace
        qtbot.waitUntil(lambda: trace.result is not None and trace.result.receipt == receipt, timeout=10000)
        assert page.tabs.currentWidget() is trace
        assert trace.result.amount_fen == 123450
        assert sum(amount for _, amount in trace.result.breakdown) == 123450
        assert dict(trace.result.breakdown)["unallocated"] == 123450
        assert trace.steps.rowCount() >= 1 and trace.steps.item(0, 1).text() == receipt
        assert trace.diagram.flow is not None and trace.diagram.flow.amount_fen == 123450
        trace.trace("D-00000001-0")  # a wrong check character: said plainly
        qtbot.waitUntil(lambda: not trace.banner.isHidden(), timeout=10000)
        assert "校验位" in trace.banner.text()
    finally:
        close_window(window)


def request_through_window(qtbot, window, amount: str = "10.00"):
    page = charity_page(qtbot, window)
    tab = page.requests
    page.tabs.setCurrentWidget(tab)
    richest = max(page.data.projects, key=lambda p: p.held_fen)
    assert richest.held_fen >= 1000
    tab.project.setCurrentIndex(tab.project.findData(richest.id))
    tab.amount.setText(amount)
    tab.beneficiary.setText("王小明")
    tab.beneficiary_id.setText("")
    tab.agency.setCurrentIndex(tab.agency.findData("civil-affairs"))
    tab.purpose.setText("助学金 / school grant")
    tab.request_button.click()
    qtbot.waitUntil(lambda: not tab.banner.isHidden(), timeout=10000)
    assert "REQ-" in tab.banner.text(), tab.banner.text()
    request_id = tab.banner.text().split("REQ-")[1].split("，")[0].split(" ")[0]
    request_id = "REQ-" + request_id
    qtbot.waitUntil(lambda: any(r.id == request_id for r in tab.requests), timeout=10000)
    tab.select(request_id)
    return page, tab, request_id


def test_a_disbursement_needs_a_second_person(qtbot, city):
    window = open_window(qtbot, city, CHARITY)
    try:
        sign_in(qtbot, window, "supervisor")
        page, tab, request_id = request_through_window(qtbot, window)
        assert tab.selected().status == "pending" and tab.selected().requested_by == "supervisor"
        assert tab.approve_button.isVisible() and not tab.approve_button.isEnabled()
        assert "另一个人" in tab.second_person.text()
        with pytest.raises(BackendError):  # and the node refuses it too
            window.backend.approve(window.counter.session, request_id)
        window.sign_out()
        window.signin.user.setText("supervisor2")
        window.signin.password.setText("second-supervisor-2026")
        window.signin.submit.click()
        qtbot.waitUntil(lambda: window.workspace is not None, timeout=10000)
        charity_page(qtbot, window)
        tab = window.workspace.pages["charity"].requests
        qtbot.waitUntil(lambda: any(r.id == request_id for r in tab.requests), timeout=10000)
        tab.select(request_id)
        assert tab.approve_button.isEnabled()
        tab.approve_button.click()
        qtbot.waitUntil(lambda: any(r.id == request_id and r.status == "approved" for r in tab.requests), timeout=10000)
        decided = next(r for r in tab.requests if r.id == request_id)
        assert decided.decided_by == "supervisor2"
    finally:
        close_window(window)


def test_cancelling_needs_a_reason(qtbot, city):
    window = open_window(qtbot, city, CHARITY)
    try:
        sign_in(qtbot, window, "supervisor")
        page, tab, request_id = request_through_window(qtbot, window, "2.00")
        tab.cancel_button.click()
        assert "原因" in tab.banner.text()
        assert next(r for r in tab.requests if r.id == request_id).status == "pending"
        tab.reason.setPlainText("重复申请 / duplicate")
        tab.cancel_button.click()
        qtbot.waitUntil(
            lambda: any(r.id == request_id and r.status == "cancelled" for r in tab.requests), timeout=10000
        )
    finally:
        close_window(window)


def test_a_supervisor_creates_a_fund_and_sees_where_its_money_is(qtbot, city):
    window = open_window(qtbot, city, CHARITY)
    try:
        sign_in(qtbot, window, "supervisor")
        page = charity_page(qtbot, window)
        funds = page.funds
        page.tabs.setCurrentWidget(funds)
        assert funds.diagram.flow is not None and funds.diagram.flow.amount_fen > 0
        assert funds.projects.rowCount() >= 1
        before = len(page.data.funds)
        dialog = funds.fund_dialog()
        editors = dialog.editors
        editors[0].setText("FUND-TEST")
        editors[1].setText("测试基金")
        editors[3].setText("abc")
        dialog.ok.click()
        assert not dialog.banner.isHidden() and dialog.isVisible()  # the target is not an amount
        editors[2].setText("Test fund")
        editors[3].setText("5,000")
        dialog.ok.click()
        qtbot.waitUntil(lambda: len(page.data.funds) == before + 1, timeout=10000)
        assert page.data.fund("FUND-TEST").target_fen == 500000
    finally:
        close_window(window)


def test_civil_affairs_acknowledges_money_it_received(qtbot, city):
    window = open_window(qtbot, city, "civil-affairs")
    try:
        workspace = sign_in(qtbot, window, "clerk")
        assert "acknowledge" in workspace.pages and "charity" not in workspace.pages
        page = workspace.show_page("acknowledge")
        qtbot.waitUntil(lambda: bool(page.items), timeout=10000)
        waiting = [d for d in page.items if not d.acknowledged]
        assert waiting, "the demo city leaves approved disbursements to acknowledge"
        page.select(waiting[0].id)
        assert page.acknowledge_button.isEnabled()
        page.acknowledge_button.click()
        qtbot.waitUntil(lambda: any(d.id == waiting[0].id and d.acknowledged for d in page.items), timeout=10000)
        assert "已确认收到" in page.banner.text()
    finally:
        close_window(window)

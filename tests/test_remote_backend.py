"""The counter's remote backend against REAL node processes over HTTPS (city CA):
the node signs people in, checks every role itself, validates forms, and a
counter survives the node going away and coming back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pypdfium2
import pytest
import requests
from conftest import quiet_demo_city
from nodes import NodeProcess, free_port, wait_for
from test_sync_hardening import drip_server

from certificates.identifiers import CertificateId
from certificates.verify import Verifier, VerifierConfig
from democity import samples, spec
from democity.build import BUNDLE_FILE
from ui.backend import (
    INVALID_FIELDS,
    NOT_FOUND,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    Backend,
    BackendError,
    RecordQuery,
    Session,
)
from ui.remote_backend import RemoteBackend

MARKET, CHARITY, CIVIL = "market-regulation", "charity-federation", "civil-affairs"
TLS = {"CITYCHAIN_TEST_TLS": "1"}
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "remote-backend"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return quiet_demo_city(tmp_path_factory.mktemp("remote") / "city")


def start(city, agency: str) -> NodeProcess:
    return NodeProcess(city.home(agency), free_port(), env=TLS).start()


@pytest.fixture(scope="module")
def market(city):
    node = start(city, MARKET)
    yield node
    node.stop()


def backend_for(node: NodeProcess) -> RemoteBackend:
    return RemoteBackend(node.url, ca_file=node.verify)


def sign_in(backend: RemoteBackend, role: str):
    return backend.sign_in(role, spec.PASSWORDS[role])


def refused(call, *args) -> BackendError:
    with pytest.raises(BackendError) as caught:
        call(*args)
    return caught.value


def save_pages(pdf: bytes, stem: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    for number, page in enumerate(document):
        page.render(scale=1.5).to_pil().save(SHOTS / f"{stem}-{number + 1}.png")


# -- certificates ----------------------------------------------------------------------------
def test_a_clerk_issues_a_licence_remotely_and_its_pdf_verifies(city, market):
    backend = backend_for(market)
    try:
        assert isinstance(backend, Backend)
        info = backend.info()
        assert info.remote and info.agency == MARKET and "business-licence" in info.licence_types
        assert not info.charity and info.location == market.url
        clerk = sign_in(backend, "clerk")
        assert clerk.role == "clerk" and clerk.may("certificate.issue") and not clerk.may("certificate.revoke")
        form = samples.SAMPLES["business-licence"]
        issued = backend.issue(clerk, "business-licence", form)
        pdf = backend.certificate_pdf(clerk, issued.cert_id)
        verdict = Verifier(VerifierConfig.from_bundle(city.path / BUNDLE_FILE), None).pdf(pdf)
        assert verdict.code == "VALID", verdict.detail_en
        assert verdict.fields["company_name"] == form["company_name"]
        save_pages(pdf, "issued")

        page = backend.find_certificates(clerk, RecordQuery(text=form["company_name"]))
        assert [row.cert_id for row in page.rows] == [issued.cert_id] and page.total == 1
        by_legal_rep = backend.find_certificates(clerk, RecordQuery(text=form["legal_rep"]))
        assert [row.cert_id for row in by_legal_rep.rows] == [issued.cert_id]
        detail = backend.certificate(clerk, issued.cert_id)
        shown = dict(detail.fields)
        assert shown["legal_rep"] == "王**" and shown["company_name"] == form["company_name"]
        assert detail.status == "valid" and detail.leaf["record"]["body"]["id"] == issued.cert_id
        assert [(h.kind, h.user) for h in detail.history] == [("certificate.issued", "clerk")]
        assert detail.log_size > issued.seq and detail.checkpoint.startswith("citychain/demo/")
        assert refused(backend.certificate_values, clerk, issued.cert_id).code == PERMISSION_DENIED
    finally:
        backend.close()


def test_the_node_refuses_a_clerks_revoke_and_takes_a_supervisors(market):
    backend = backend_for(market)
    try:
        clerk, supervisor = sign_in(backend, "clerk"), sign_in(backend, "supervisor")
        issued = backend.issue(clerk, "food-business-licence", samples.SAMPLES["food-business-licence"])
        error = refused(backend.change_status, clerk, issued.cert_id, "revoke", "fraud")
        assert error.code == PERMISSION_DENIED and "权限不足" in error.message_zh and "may not" in error.message_en
        raw = requests.post(
            f"{market.url}/v1/certificates/{issued.cert_id}/revoke",
            json={"reason": "fraud"},
            headers={"Authorization": f"Bearer {clerk.token}"},
            verify=market.verify,
            timeout=10,
        )
        assert raw.status_code == 403 and raw.json()["message_zh"] and raw.json()["message_en"]
        assert backend.certificate(clerk, issued.cert_id).status == "valid"

        detail = backend.change_status(supervisor, issued.cert_id, "revoke", "licence obtained by fraud")
        assert detail.status == "revoked"
        assert [(h.kind, h.user, h.reason) for h in detail.history][-1] == (
            "certificate.revoked",
            "supervisor",
            "licence obtained by fraud",
        )
        public = market.get("/v1/certificates/status", agency=MARKET, id=issued.cert_id, seq=issued.seq).json()
        assert public["certificate"]["status"] == "revoked"
        revoked = backend.find_certificates(clerk, RecordQuery(status="revoked"))
        assert issued.cert_id in [row.cert_id for row in revoked.rows]
        assert backend.certificate_values(supervisor, issued.cert_id)["legal_rep"] == "王建国"
        reprint = backend.certificate_pdf(clerk, issued.cert_id)
        assert (
            b"/ByteRange" in reprint
        )  # sealed, and printed marked void (looked at: build/remote-backend/revoked-1.png)
        save_pages(reprint, "revoked")
    finally:
        backend.close()


def test_a_bad_form_gets_field_errors_and_writes_nothing(market):
    backend = backend_for(market)
    try:
        clerk = sign_in(backend, "clerk")
        before = market.size_of(MARKET)
        good = samples.SAMPLES["business-licence"]
        wrong_check = good["uscc"][:-1] + ("1" if good["uscc"][-1] != "1" else "2")
        form = good | {"uscc": wrong_check, "established": "2019-13-40"}
        del form["company_name"]
        error = refused(backend.issue, clerk, "business-licence", form)
        assert error.code == INVALID_FIELDS and {"uscc", "established", "company_name"} <= set(error.fields)
        assert "统一社会信用代码" in error.fields["uscc"][0] and "unified social credit code" in error.fields["uscc"][1]
        assert market.size_of(MARKET) == before
        assert (
            refused(backend.issue, clerk, "residence-permit", samples.SAMPLES["residence-permit"]).code
            == "ISSUER_NOT_AUTHORISED"
        )
        assert refused(backend.certificate, clerk, "1.2.156.3005.2.11100.X").code == "BAD_ID"
        never = str(CertificateId("11100", "11330100MB0000001R", "999999"))
        assert refused(backend.change_status, clerk, never, "suspend", "why").code == NOT_FOUND
        assert market.size_of(MARKET) == before
    finally:
        backend.close()


def test_a_wrong_password_is_a_clear_sentence(market):
    backend = backend_for(market)
    try:
        error = refused(backend.sign_in, "clerk", "not-the-password")
        assert error.code == UNAUTHENTICATED
        assert error.message_zh == "用户名或密码错误" and error.message_en == "wrong user name or password"
        stale = refused(backend.find_certificates, Session("clerk", "", "clerk", (), "forged-token"), RecordQuery())
        assert stale.code == UNAUTHENTICATED and "sign in again" in stale.message_en
    finally:
        backend.close()


def test_sync_is_for_the_callers_own_session_and_ends_with_it(market):
    backend = backend_for(market)
    try:
        clerk = sign_in(backend, "clerk")
        assert backend.sync_now(clerk).lines == ()
        supervisor = sign_in(backend, "supervisor")  # a later sign-in does not lend its token to the clerk
        backend.sign_out(clerk)
        for call in (backend.sync_now, lambda s: backend.find_certificates(s, RecordQuery())):
            assert refused(call, clerk).code == UNAUTHENTICATED
        assert backend.sync_now(supervisor).lines == ()
    finally:
        backend.close()


def test_a_user_disabled_after_signing_in_can_no_longer_sync(city, market):
    def admin_cli(*args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
        env.update(CITYCHAIN_PASSWORD=spec.PASSWORDS["admin"], CITYCHAIN_NEW_PASSWORD="temp-clerk-password-1")
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "user", *args, "--home", str(city.home(MARKET)), "--user", "admin"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    admin_cli("add", "--name", "temp-clerk", "--role", "clerk")
    backend = backend_for(market)
    try:
        temp = backend.sign_in("temp-clerk", "temp-clerk-password-1")
        assert backend.sync_now(temp).lines == ()
        admin_cli("disable", "--name", "temp-clerk")  # in another process, while the node runs
        error = refused(backend.sync_now, temp)
        assert error.code == UNAUTHENTICATED and "disabled" in error.message_en
    finally:
        backend.close()


def test_an_unreachable_node_is_said_so_and_the_backend_recovers(market):
    node = market
    backend = backend_for(node)
    try:
        clerk = sign_in(backend, "clerk")
        node.stop()
        for call, args in (
            (backend.node_status, ()),
            (backend.find_certificates, (clerk, RecordQuery())),
            (backend.sign_in, ("clerk", spec.PASSWORDS["clerk"])),
        ):
            error = refused(call, *args)
            assert (
                error.code == UNAVAILABLE and "cannot be reached" in error.message_en and "无法连接" in error.message_zh
            )
        node.start()
        assert backend.node_status().agency == MARKET
        assert refused(backend.find_certificates, clerk, RecordQuery()).code == UNAUTHENTICATED  # restarted
        clerk = sign_in(backend, "clerk")
        assert backend.find_certificates(clerk, RecordQuery()).total >= 0
        assert backend.sync_now(clerk).lines == ()
    finally:
        backend.close()
        if node.proc.poll() is not None:
            node.start()  # the module's other tests share this node


def test_a_node_is_trusted_only_through_the_city_ca(market):
    backend = RemoteBackend(market.url, ca_file=None)  # the system's CA store knows nothing of the city CA
    try:
        error = refused(backend.info)
        assert error.code == UNAVAILABLE and "city root CA" in error.message_en
    finally:
        backend.close()


@pytest.mark.parametrize("what", ["headers", "body"])
def test_a_node_dripping_its_answer_is_cut_off_at_the_deadline(what):
    """A byte every 0.2 s never trips a 1 s read timeout: the core's client cuts
    the whole request at its deadline, and a write that was sent says it may
    have been done."""
    url, done = drip_server(what)
    backend = RemoteBackend(url, connect_timeout=1, read_timeout=1, retries=0)  # deadline 3 s
    try:
        started = time.monotonic()
        read = refused(backend.node_status)
        assert read.code == UNAVAILABLE and "cannot be reached" in read.message_en
        write = refused(backend.sign_in, "clerk", "password")
        assert write.code == UNAVAILABLE and "may have been done" in write.message_en
        assert "可能已经完成" in write.message_zh
        assert time.monotonic() - started < 2 * 3 + 2
    finally:
        backend.close()
        done.set()


# -- charity -----------------------------------------------------------------------------------
def test_charity_donation_trace_and_a_second_person_for_disbursements(city):
    node = start(city, CHARITY)
    backend = backend_for(node)
    try:
        info = backend.info()
        assert info.charity and "civil-affairs" in info.beneficiaries
        clerk, supervisor = sign_in(backend, "clerk"), sign_in(backend, "supervisor")
        assert refused(backend.create_fund, clerk, "FUND-EDU", "助学基金", "Education fund").code == PERMISSION_DENIED
        backend.create_fund(supervisor, "FUND-EDU", "助学基金", "Education fund", 10_000_000)
        backend.create_project(supervisor, "PRJ-BOOKS", "FUND-EDU", "图书捐赠", "Books", 500_000)
        gift = backend.record_donation(clerk, "FUND-EDU", 300_000, "bank", "张三丰", None)
        assert gift.id.startswith("D-") and gift.seq > 0
        assert refused(backend.record_donation, clerk, "FUND-EDU", -5, "bank", "李四").code == "BAD_AMOUNT"
        backend.allocate(supervisor, "FUND-EDU", "PRJ-BOOKS", 200_000)
        receipt = backend.receipt_pdf(clerk, gift.id)
        assert receipt.startswith(b"%PDF") and b"/ByteRange" in receipt
        save_pages(receipt, "receipt")  # looked at: build/remote-backend/receipt-1.png

        trace = backend.trace(gift.id)
        assert trace.receipt == gift.id and trace.amount_fen == 300_000
        assert sum(fen for _, fen in trace.breakdown) == 300_000
        listed = backend.donations(clerk)
        assert [(d.receipt, d.donor) for d in listed] == [(gift.id, "张**")]
        assert refused(backend.trace, "D-99999999-X").code in ("BAD_RECEIPT", NOT_FOUND, "UNKNOWN_RECEIPT")

        own = backend.request_disbursement(supervisor, "PRJ-BOOKS", 50_000, "王小明", "", "civil-affairs", "textbooks")
        same = refused(backend.approve, supervisor, own.id)
        assert same.code == "SAME_PERSON" and "另一人" in same.message_zh
        theirs = backend.request_disbursement(clerk, "PRJ-BOOKS", 30_000, "赵六", "", "civil-affairs", "uniforms")
        assert refused(backend.approve, clerk, theirs.id).code == PERMISSION_DENIED
        backend.approve(supervisor, theirs.id)
        statuses = {d.id: (d.status, d.decided_by) for d in backend.disbursements(clerk)}
        assert statuses == {own.id: ("pending", None), theirs.id: ("approved", "supervisor")}
        totals = {f.id: f for f in backend.funds(clerk)}["FUND-EDU"]
        assert totals.raised_fen == 300_000 and totals.allocated_fen == 200_000
        assert {p.id: p.disbursed_fen for p in backend.projects(clerk, "FUND-EDU")} == {"PRJ-BOOKS": 30_000}

        # Civil affairs, mirroring the charity's log, acknowledges at its own counter.
        civil = NodeProcess(city.home(CIVIL), free_port(), [node.url], env=TLS).start()
        beneficiary = backend_for(civil)
        try:
            assert beneficiary.info().acknowledges and not beneficiary.info().charity
            civil_clerk = sign_in(beneficiary, "clerk")
            wait_for(lambda: [d.id for d in beneficiary.to_acknowledge(civil_clerk)] == [theirs.id])
            beneficiary.acknowledge(civil_clerk, CHARITY, theirs.id)
            assert [d.acknowledged for d in beneficiary.to_acknowledge(civil_clerk)] == [True]
        finally:
            beneficiary.close()
            civil.stop()
    finally:
        backend.close()
        node.stop()


# -- the window over a remote node ---------------------------------------------------------------
def test_the_window_says_the_node_is_down_and_carries_on_when_it_returns(qtbot, qapp, market):
    """A hall node restarting under a signed-in clerk: the status bar and the
    records page say it cannot be reached; back up, the clerk signs in again
    (the node forgot its sessions) and finds the page as they left it."""
    from counter_support import close_window, style_app
    from counter_support import sign_in as sign_in_window

    from ui.counter.main_window import CounterWindow

    style_app(qapp)
    window = CounterWindow(lambda: backend_for(market), demo_hint=True)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.counter is not None, timeout=20000)
        workspace = sign_in_window(qtbot, window, "clerk")
        records = workspace.show_page("records")
        records.text.setText("示范市西湖龙井茶叶贸易有限公司")

        market.stop()
        window.check_node()
        qtbot.waitUntil(lambda: "无法连接节点" in window.status_node.text(), timeout=15000)
        records.search()
        qtbot.waitUntil(lambda: not records.banner.isHidden(), timeout=15000)
        assert "无法连接" in records.banner.text()

        market.start()
        window.check_node()
        qtbot.waitUntil(lambda: window.status_node.text().startswith("节点正常"), timeout=15000)
        records.search()  # the restarted node no longer knows the session
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.signin, timeout=15000)
        assert "重新登录" in window.signin.banner.text()
        assert sign_in_window(qtbot, window, "clerk") is workspace
        assert workspace.current == "records" and records.text.text() == "示范市西湖龙井茶叶贸易有限公司"
        with qtbot.waitSignal(records.model.loaded, timeout=15000):
            records.search()
        assert records.banner.isHidden()
    finally:
        if market.proc.poll() is not None:
            market.start()  # the module's other tests share this node
        close_window(window)

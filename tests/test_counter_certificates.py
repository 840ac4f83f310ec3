"""The counter's licence workflows, through the widgets, on a real embedded
node of a demo city: sign in, issue every type where it may be issued (the
PDF verifies), refuse bad input without losing it, revoke as a supervisor —
and not as a clerk, neither in the window nor through the backend."""

from __future__ import annotations

import json

import pypdfium2
import pytest
from counter_support import build_city, close_window, open_window, sign_in, style_app
from PySide6.QtPrintSupport import QPrinter

from certificates.types import licence_type
from certificates.verify import Verifier, VerifierConfig
from democity import spec
from democity.samples import SAMPLES
from ui.backend import (
    PERMISSION_DENIED,
    Backend,
    BackendError,
    CertificateDetail,
    RecordQuery,
    from_json,
    to_json,
)

ISSUERS = [
    (agency.id, permission.split(":", 1)[1])
    for agency in spec.AGENCIES
    for permission in agency.permissions
    if permission.startswith("certificate:")
]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return build_city(tmp_path_factory.mktemp("counter-certs") / "city")


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)


def fill(form, type_id: str, values: dict[str, str] | None = None) -> None:
    """Type the sample licence into the generated form (amounts appear in yuan)."""
    form.set_values(values or SAMPLES[type_id])


def issue_through_window(qtbot, window, type_id: str):
    page = window.workspace.show_page("issue")
    page.choose_type(type_id)
    fill(page.form, type_id)
    summaries = []
    page.confirm = lambda summary: summaries.append(summary) or True
    page.sign_button.click()
    qtbot.waitUntil(lambda: page.document.pdf is not None or not page.banner.isHidden(), timeout=20000)
    assert page.document.pdf is not None, page.banner.text()
    return page, summaries[0]


@pytest.mark.parametrize("agency,type_id", ISSUERS)
def test_each_licence_type_is_issued_where_it_may_be_and_the_pdf_verifies(qtbot, city, agency, type_id):
    window = open_window(qtbot, city, agency)
    try:
        workspace = sign_in(qtbot, window, "clerk")
        assert set(workspace.pages) >= {"issue", "records", "node"}
        types = [workspace.pages["issue"].types.itemData(i) for i in range(workspace.pages["issue"].types.count())]
        assert types == [t for a, t in ISSUERS if a == agency]  # exactly what the trust log lets it issue
        page, summary = issue_through_window(qtbot, window, type_id)
        assert page.locked and not page.sign_button.isEnabled()  # a second press cannot issue it twice
        assert page.document.view.page_count == 1
        assert licence_type(type_id).name_zh in summary
        verdict = Verifier(VerifierConfig.from_home(city.home(agency))).pdf(page.document.pdf)
        assert verdict.code == "VALID", verdict.detail_en
        assert verdict.type == type_id and verdict.issuer == agency
        page.new_licence()
        assert not page.locked and page.form.form()[0] == {}
    finally:
        close_window(window)


def test_wrong_password_says_so_and_keeps_the_user_name(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        window.signin.user.setText("clerk")
        window.signin.password.setText("not-the-password")
        window.signin.submit.click()
        qtbot.waitUntil(lambda: not window.signin.banner.isHidden(), timeout=10000)
        assert "用户名或密码错误" in window.signin.banner.text()
        assert window.signin.user.text() == "clerk" and window.signin.password.text() == ""
        assert window.workspace is None
    finally:
        close_window(window)


def test_invalid_input_keeps_the_form_and_marks_the_field(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        sign_in(qtbot, window, "clerk")
        page = window.workspace.show_page("issue")
        page.choose_type("business-licence")
        fill(page.form, "business-licence", dict(SAMPLES["business-licence"], uscc="91330106MA2K0A1B2X"))
        typed = page.form.form()[0]
        asked = []
        page.confirm = lambda summary: asked.append(summary) or True
        page.sign_button.click()
        assert not asked  # nothing is signed while a field is wrong
        assert "统一社会信用代码无效" in page.form.error_text("uscc")
        assert page.form.editor("uscc").property("invalid") is True
        assert not page.banner.isHidden()
        assert page.form.form()[0] == typed
        # fixing it clears the mark as the clerk types
        page.form.editor("uscc").setText(SAMPLES["business-licence"]["uscc"])
        page.form.editor("uscc").textEdited.emit(SAMPLES["business-licence"]["uscc"])
        assert page.form.error_text("uscc") == ""
    finally:
        close_window(window)


def test_a_node_that_refuses_to_sign_keeps_what_was_typed(qtbot, city):
    window = open_window(qtbot, city, "public-security")
    try:
        sign_in(qtbot, window, "clerk")
        page = window.workspace.show_page("issue")
        fill(page.form, "residence-permit")
        typed = page.form.form()[0]
        window.backend.node.own.refuse("演练：停止写入 / drill: stopped writing")
        page.confirm = lambda summary: True
        page.sign_button.click()
        qtbot.waitUntil(lambda: not page.banner.isHidden(), timeout=10000)
        assert "drill" in page.banner.toolTip() + page.banner.text()
        assert page.form.form()[0] == typed and page.sign_button.isEnabled() and page.document.pdf is None
    finally:
        window.backend.node.own.reload()
        close_window(window)


def open_record(qtbot, window, cert_id: str):
    page = window.workspace.show_page("records")
    page.text.setText(cert_id)
    page.search()
    qtbot.waitUntil(lambda: page.model.total == 1 and page.model.rows[0].cert_id == cert_id, timeout=10000)
    page.table.setCurrentIndex(page.model.index(0, 0))
    page.table.activated.emit(page.model.index(0, 0))
    qtbot.waitUntil(lambda: page.detail.detail is not None and page.detail.detail.cert_id == cert_id, timeout=10000)
    return page


def test_supervisor_revokes_with_a_reason_and_the_status_shows_revoked(qtbot, city):
    window = open_window(qtbot, city, "disabled-federation")
    try:
        sign_in(qtbot, window, "supervisor")
        issue, _ = issue_through_window(qtbot, window, "disability-certificate")
        cert_id = issue.document.file_name.removesuffix(".pdf")
        records = open_record(qtbot, window, cert_id)
        detail = records.detail
        assert detail.pill.text() == "有效"
        assert [h.kind for h in detail.detail.history] == ["certificate.issued"]
        assert detail.detail.history[0].user == "supervisor"
        revoke = detail.action_buttons["revoke"]
        assert revoke.isVisible() and revoke.isEnabled()
        dialog = detail.change("revoke")
        dialog.ok.click()  # no reason: refused, nothing written
        assert "请填写原因" in dialog.banner.text() and dialog.isVisible()
        dialog.reason.setPlainText("证件遗失补办 / lost, replaced")
        dialog.ok.click()
        qtbot.waitUntil(lambda: detail.detail.status == "revoked", timeout=10000)
        assert detail.pill.text() == "已撤销"
        assert [h.kind for h in detail.detail.history][-1] == "certificate.revoked"
        assert detail.detail.history[-1].reason == "证件遗失补办 / lost, replaced"
        assert not revoke.isEnabled() and not detail.action_buttons["suspend"].isEnabled()
        detail.back.emit()
        qtbot.waitUntil(lambda: bool(records.model.rows) and records.model.rows[0].status == "revoked", timeout=10000)
        verdict = Verifier(VerifierConfig.from_home(city.home("disabled-federation"))).pdf(issue.document.pdf)
        assert verdict.code == "VALID"  # offline, the PDF alone cannot know; the node's status says revoked
    finally:
        close_window(window)


def test_a_clerk_cannot_revoke_in_the_window_or_through_the_backend(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        sign_in(qtbot, window, "clerk")
        backend, session = window.backend, window.counter.session
        assert not session.may("certificate.revoke") and session.may("certificate.issue")
        cert_id = backend.find_certificates(session, RecordQuery(type="business-licence")).rows[0].cert_id
        detail = open_record(qtbot, window, cert_id).detail
        assert all(not b.isVisible() for b in detail.action_buttons.values())
        assert detail.reprint.isVisible()
        with pytest.raises(BackendError) as refused:
            backend.change_status(session, cert_id, "revoke", "a clerk tries")
        assert refused.value.code == PERMISSION_DENIED
        detail = backend.certificate(session, cert_id)
        assert detail.status == "valid"
        assert isinstance(backend, Backend)  # the interface the remote backend implements too …
        assert from_json(CertificateDetail, json.loads(json.dumps(to_json(detail)))) == detail  # … over JSON
        with pytest.raises(BackendError):
            backend.certificate_values(session, cert_id)  # personal data in the clear: supervisors only
    finally:
        close_window(window)


def test_supersede_issues_the_next_version_and_reprint_prints(qtbot, city, tmp_path):
    window = open_window(qtbot, city, "civil-affairs")
    try:
        sign_in(qtbot, window, "supervisor")
        issued, _ = issue_through_window(qtbot, window, "marriage-certificate")
        cert_id = issued.document.file_name.removesuffix(".pdf")
        detail = open_record(qtbot, window, cert_id).detail
        dialog = detail.change("supersede")
        qtbot.waitUntil(lambda: dialog.form.isEnabled(), timeout=10000)
        assert dialog.form.form()[0]["holder_name"] == SAMPLES["marriage-certificate"]["holder_name"]
        dialog.form.editor("holder_name").setText("张维")
        dialog.reason.setPlainText("姓名更正 / name corrected")
        dialog.ok.click()
        new_id = cert_id[:-5] + "002."
        qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.cert_id.startswith(new_id), timeout=10000)
        assert ("holder_name", "张*") in detail.detail.fields
        assert detail.detail.history[0].other == cert_id
        assert window.backend.certificate(window.counter.session, cert_id).status == "superseded"
        detail.reprint_pdf()
        qtbot.waitUntil(
            lambda: (
                getattr(detail, "last_dialog", None) is not None
                and getattr(detail.last_dialog, "pane", None) is not None
                and detail.last_dialog.pane.pdf is not None
            ),
            timeout=10000,
        )
        pane = detail.last_dialog.pane
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        pane.print_to(printer)
        qtbot.waitUntil(lambda: not pane.banner.isHidden(), timeout=20000)
        assert len(pypdfium2.PdfDocument(str(tmp_path / "printed.pdf"))) == 1
        pane.save_to(tmp_path / "saved.pdf")
        assert (tmp_path / "saved.pdf").read_bytes() == pane.pdf
        detail.last_dialog.accept()
    finally:
        close_window(window)


def test_the_language_switches_at_run_time(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    try:
        workspace = sign_in(qtbot, window, "clerk")
        assert window.language_button.text() == "English"
        assert workspace.buttons["issue"].text() == "签发证照"
        window.language_button.click()
        qtbot.waitUntil(lambda: workspace.buttons["issue"].text() == "Issue a licence", timeout=5000)
        issue = workspace.pages["issue"]
        assert issue.form.inputs[0].label.text().startswith("Company name")
        assert window.status_user.text() == "clerk (Clerk)"
        window.language_button.click()  # Qt posts the change when a translator is installed
        qtbot.waitUntil(lambda: workspace.buttons["issue"].text() == "签发证照", timeout=5000)
        assert issue.form.inputs[0].label.text().startswith("名称")
    finally:
        close_window(window)

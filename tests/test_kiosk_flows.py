"""The kiosk end to end, offscreen: a real demo city with its sample
certificates, a donation built through the real charity rules, real files on a
"USB stick" folder, key events like a USB scanner's, and a node that is not
there."""

from __future__ import annotations

import shutil
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pytest
from conftest import CHEAP_KDF, FAST_ARGON2, built_once
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from certificates import kinds as cert_kinds
from certificates.kinds import PLUGIN as CERTIFICATES
from certificates.payload import open_qr_payload, qr_payload
from certificates.qr_text import decode_qr_text, encode_qr_text
from charity import bodies as b
from charity.kinds import PLUGIN as CHARITY
from charity.privacy import BENEFICIARY, DONOR, new_seed, person_commitment
from charity.receipts import make_receipt
from citychain.clock import format_time
from citychain.log.keys import Signer
from citychain.log.records import Record, make_leaf
from citychain.node.node import Node
from democity import spec
from democity.build import BUNDLE_FILE, DemoCity, create_demo_city
from democity.mesh import mesh
from ui import i18n
from ui.fonts import app_font, install_cjk_font
from ui.kiosk.backend import KioskError
from ui.kiosk.backend_local import LocalBackend
from ui.kiosk.backend_remote import RemoteBackend
from ui.kiosk.config import DEMO_PIN, KioskConfig
from ui.kiosk.window import KioskWindow

PLUGINS = (CERTIFICATES, CHARITY)
KIOSK_HOME = "civil-affairs"  # holds every log of the city, acknowledges charity payments
CHARITY_AGENCY = "charity-federation"
RECEIPT = make_receipt(900_001)
# Where the test donation's ¥1,000.00 ends up (fen), built below through the real rules.
EXPECTED = {
    "acknowledged": 30_000,
    "disbursed": 20_000,
    "spent": 5_000,
    "pending": 10_000,
    "held_in_project": 20_000,
    "unallocated": 10_000,
    "refunded": 5_000,
}


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def add_donation(city) -> None:
    """¥1,000 into a fund of its own: two projects, paid, pending, spent, refunded, acknowledged."""
    donor = person_commitment(new_seed(), DONOR, "张三丰")
    someone = person_commitment(new_seed(), BENEFICIARY, "李小龙")
    with Node.open(city.home(CHARITY_AGENCY), PLUGINS, argon2=FAST_ARGON2) as node:
        boss, clerk = sign_in(node, "supervisor"), sign_in(node, "clerk")
        node.append(
            boss,
            [
                b.fund("K-FUND", "自助终端测试基金", "Kiosk test fund", 500_000),
                b.project("K-P1", "K-FUND", "乡村图书室", "Village libraries", 200_000),
                b.project("K-P2", "K-FUND", "助听器", "Hearing aids", 200_000),
            ],
        )
        node.append(clerk, [b.donation(RECEIPT, "K-FUND", 100_000, "online", donor)])
        node.append(
            boss, [b.allocation("K-A1", "K-FUND", "K-P1", 60_000), b.allocation("K-A2", "K-FUND", "K-P2", 25_000)]
        )
        node.append(
            clerk,
            [
                b.request("K-R1", "K-P1", 30_000, someone, KIOSK_HOME, "图书 / books", "clerk"),
                b.request("K-R2", "K-P1", 10_000, someone, KIOSK_HOME, "书架 / shelves", "clerk"),
                b.request("K-R3", "K-P2", 20_000, someone, KIOSK_HOME, "助听器 / hearing aids", "clerk"),
            ],
        )
        node.append(
            boss,
            [
                b.approval("K-R1", "supervisor"),
                b.approval("K-R3", "supervisor"),
                b.expenditure("K-E1", "K-P1", 5_000, "运费 / shipping", "supervisor"),
                b.refund("K-F1", RECEIPT, 5_000, "捐赠人要求 / the donor asked"),
            ],
        )
        head = node.store.head(CHARITY_AGENCY)
        leaves, note = node.store.leaves(head.id, 0, head.size), head.checkpoint
    with Node.open(city.home(KIOSK_HOME), PLUGINS, argon2=FAST_ARGON2) as civil:
        have = civil.store.head(CHARITY_AGENCY).size
        civil.import_log(CHARITY_AGENCY, head.origin, have, leaves[have:], note)
        civil.append(sign_in(civil, "clerk"), [b.acknowledgement(civil.store.conn, CHARITY_AGENCY, "K-R1", "clerk")])
    mesh([city.home(spec.ROOT)] + [city.home(a.id) for a in spec.AGENCIES], PLUGINS)  # witnesses co-sign it all


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    def build(path: Path) -> None:
        add_donation(create_demo_city(path, PLUGINS, CHEAP_KDF, FAST_ARGON2))

    path = built_once("kiosk-city", tmp_path_factory.mktemp("kiosk") / "city", build)  # shared with test_kiosk_screens
    return DemoCity(path, spec.AGENCIES)


@pytest.fixture(scope="module")
def media(city, tmp_path_factory):
    """A "USB stick": a sealed PDF, a 150-dpi scan of it, and hostile files."""
    stick = tmp_path_factory.mktemp("media") / "KINGSTON"
    stick.mkdir()
    pdf = (city.path / "samples" / "marriage-certificate-VALID.pdf").read_bytes()
    (stick / "certificate.pdf").write_bytes(pdf)
    pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil().save(stick / "page-scan.png")
    (stick / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    shutil.copy(receipt_pdf(city), stick / "receipt.pdf")
    (stick / "huge-image.png").write_bytes(png_header_only(50_000, 50_000))
    (stick / "bomb.pdf").write_bytes(bomb_pdf(80 * 1024 * 1024))
    with (stick / "oversized.pdf").open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(11 * 1024 * 1024)
    return stick


def receipt_pdf(city) -> Path:
    """A donation receipt the demo city printed (charity_demo)."""
    return sorted((city.path / "samples").glob("donation-receipt-*.pdf"))[0]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width`×`height` pixels but carries one row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1)))
        + chunk(b"IEND", b"")
    )


def bomb_pdf(expanded: int) -> bytes:
    """A small PDF whose one stream inflates to `expanded` bytes of zeros."""
    squeeze = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    data = b"".join(squeeze.compress(block) for _ in range(expanded // len(block))) + squeeze.flush()
    head = b"%PDF-1.7\n1 0 obj\n<< /Length " + str(len(data)).encode() + b" /Filter /FlateDecode >>\nstream\n"
    return head + data + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def sample_qr(city, stem: str) -> str:
    return (city.path / "samples" / f"{stem}.qr.txt").read_text().strip()


def tampered_qr(city) -> str:
    payload = decode_qr_text(sample_qr(city, "marriage-certificate-VALID"))
    payload["record"]["body"]["commitments"]["holder_name"]["v"] = "王小二"
    return encode_qr_text(payload)


def foreign_qr(city) -> str:
    """Signed by an agency this kiosk has never heard of."""
    leaf = open_qr_payload(decode_qr_text(sample_qr(city, "marriage-certificate-VALID"))).leaf
    record = Record(
        "neighbour-civil-affairs", 0, "0" * 64, format_time(datetime.now(UTC)), cert_kinds.ISSUED, leaf.record.body
    )
    return encode_qr_text(qr_payload(make_leaf(record, Signer.generate()), b"", {}, ()))


@pytest.fixture(scope="module")
def cjk(qapp):
    qapp.setFont(app_font(install_cjk_font(), 14))
    i18n.set_language("zh_CN")
    return qapp


def make_window(qtbot, backend, **settings) -> KioskWindow:
    window = KioskWindow(backend, replace(KioskConfig(), **settings))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


@pytest.fixture
def kiosk(qtbot, cjk, city, media):
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)), media_folders=(str(media.parent),))
    yield window
    window.tasks.wait()
    window._leaving = True  # let qtbot close it


def scan(qtbot, window: KioskWindow, text: str) -> None:
    """What a USB scanner does: type the code very fast, then Enter, into whatever has focus."""
    target = QApplication.focusWidget() or window
    qtbot.keyClicks(target, text)
    qtbot.keyClick(target, Qt.Key.Key_Return)


def wait_for_screen(qtbot, window: KioskWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.current().objectName() == name, timeout=15000)


def all_text(window: KioskWindow) -> str:
    return "\n".join(w.text() for w in window.findChildren(QLabel) if w.isVisible()) + "\n".join(
        w.text() for w in window.findChildren(QLineEdit)
    )


# -- scanning ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "which, code, headline",
    [
        ("valid", "VALID", "证照有效"),
        ("revoked", "REVOKED", "证照已撤销"),
        ("tampered", "TAMPERED", "证照被改动过 · 请勿采信"),
        ("foreign", "UNKNOWN_ISSUER", "签发机构不受信任"),
    ],
)
def test_a_scan_on_any_screen_lands_on_the_verdict(qtbot, kiosk, city, which, code, headline):
    text = {
        "valid": lambda: sample_qr(city, "marriage-certificate-VALID"),
        "revoked": lambda: sample_qr(city, "marriage-certificate-REVOKED"),
        "tampered": lambda: tampered_qr(city),
        "foreign": lambda: foreign_qr(city),
    }[which]()
    kiosk._enter("receipt")  # a screen with a focused text field: the scan must not end up in it
    qtbot.waitUntil(lambda: QApplication.focusWidget() is kiosk.entry.field, timeout=2000)
    scan(qtbot, kiosk, text)
    wait_for_screen(qtbot, kiosk, "verdict")
    assert kiosk.verdict.verdict.code == code
    assert kiosk.verdict.headline.text() == headline and kiosk.verdict.headline_en.text()
    assert kiosk.entry.field.text() == ""
    tone = kiosk.verdict.banner.property("tone")
    assert tone == ("good" if code == "VALID" else "bad")
    if code in ("TAMPERED", "UNKNOWN_ISSUER"):  # a forgery's words are never shown as if signed
        assert not kiosk.verdict.document.isVisible() and not kiosk.verdict.seal.isVisible()
        assert "王小二" not in all_text(kiosk) and "张伟" not in all_text(kiosk)
    if code in ("VALID", "REVOKED"):  # the fields as signed, and who co-signed the log
        assert kiosk.verdict.findChild(QLabel, "field-holder_name").text() in ("张伟", "王芳")
        assert "civil-affairs" not in kiosk.verdict.verdict.cosigners  # witnesses are the other agencies
        assert "状态截至" in kiosk.verdict.facts.text()


def test_a_person_typing_slowly_is_not_a_scanner(qtbot, kiosk):
    kiosk._enter("receipt")
    for ch in "D-0001":
        qtbot.keyClick(kiosk.entry.field, ch)
        qtbot.wait(kiosk.config.scanner_gap_ms + 40)
    qtbot.waitUntil(lambda: kiosk.entry.field.text() == "D-0001", timeout=2000)
    assert kiosk.current() is kiosk.entry


def test_a_scanned_receipt_code_opens_its_trace(qtbot, kiosk):
    scan(qtbot, kiosk, RECEIPT)
    wait_for_screen(qtbot, kiosk, "trace")
    assert kiosk.trace.report["receipt"] == RECEIPT


def test_a_receipts_qr_code_or_pdf_is_checked_and_traced(qtbot, kiosk, city):
    import zxingcpp

    page = pypdfium2.PdfDocument(receipt_pdf(city).read_bytes())[0].render(scale=150 / 72).to_pil()
    (qr,) = [c.text for c in zxingcpp.read_barcodes(page) if c.text.startswith("TD2:")]
    scan(qtbot, kiosk, qr)
    wait_for_screen(qtbot, kiosk, "trace")
    code = receipt_pdf(city).stem.removeprefix("donation-receipt-")
    assert kiosk.trace.report["receipt"] == code and kiosk.trace.check[0] == "VALID"
    assert kiosk.trace.receipt_check.text().startswith("✓")
    kiosk.go_home()
    choose(qtbot, kiosk, "receipt.pdf")
    qtbot.waitUntil(lambda: kiosk.current() is kiosk.trace and kiosk.trace.check is not None, timeout=15000)
    assert kiosk.trace.report["receipt"] == code and kiosk.trace.check[0] == "VALID"


# -- files, images, typed ids ----------------------------------------------------
def choose(qtbot, window: KioskWindow, name: str) -> None:
    qtbot.mouseClick(window.home.tiles["files"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(c.name == name for c in window.files.candidates), timeout=10000)
    row = next(i for i, c in enumerate(window.files.candidates) if c.name == name)
    listing = window.files.list
    rect = listing.visualItemRect(listing.item(row))
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.parametrize("name", ["certificate.pdf", "page-scan.png"])
def test_a_pdf_and_a_page_image_from_the_stick_verify(qtbot, kiosk, name):
    kiosk.go_home()
    choose(qtbot, kiosk, name)
    wait_for_screen(qtbot, kiosk, "verdict")
    verdict = kiosk.verdict.verdict
    assert verdict.code == "VALID" and verdict.status_checked
    assert verdict.fields["holder_name"] == "张伟"
    if name.endswith(".pdf"):  # the PDF discloses every field, the QR the short ones
        assert not verdict.hidden


@pytest.mark.parametrize(
    "name, words",
    [
        ("oversized.pdf", "文件太大"),
        ("huge-image.png", "像素过多"),
        ("bomb.pdf", "解压后异常巨大"),
    ],
)
def test_hostile_or_oversized_files_are_refused_with_a_clear_message(qtbot, kiosk, name, words):
    kiosk.go_home()
    choose(qtbot, kiosk, name)
    wait_for_screen(qtbot, kiosk, "message")
    body = kiosk.message.body.text()
    assert words in body and any(c.isascii() and c.isalpha() for c in body)  # Chinese and English
    assert "Traceback" not in all_text(kiosk)


def test_a_truncated_pdf_cannot_be_read(qtbot, kiosk):
    kiosk.go_home()
    choose(qtbot, kiosk, "truncated.pdf")
    wait_for_screen(qtbot, kiosk, "verdict")
    assert kiosk.verdict.verdict.code in ("MALFORMED", "TAMPERED")
    assert kiosk.verdict.banner.property("tone") == "bad"


def test_a_typed_certificate_number_shows_public_record_and_status_only(qtbot, kiosk, city):
    cert_id = open_qr_payload(decode_qr_text(sample_qr(city, "marriage-certificate-REVOKED"))).leaf.record.body["id"]
    scan(qtbot, kiosk, tampered_qr(city))  # the screen before must not leave its state behind
    wait_for_screen(qtbot, kiosk, "verdict")
    kiosk.go_home()
    qtbot.mouseClick(kiosk.home.tiles["id"], Qt.MouseButton.LeftButton)
    keyboard = kiosk.entry.keyboards["id"]
    for ch in cert_id:  # on the on-screen keyboard, key by key
        qtbot.mouseClick(keyboard.findChild(QPushButton, f"key-{ch}"), Qt.MouseButton.LeftButton)
    assert kiosk.entry.field.text() == cert_id
    qtbot.mouseClick(kiosk.entry.check, Qt.MouseButton.LeftButton)
    wait_for_screen(qtbot, kiosk, "verdict")
    verdict = kiosk.verdict.verdict
    assert verdict.code == "REVOKED" and verdict.source == "id" and verdict.fields == {}
    assert "王芳" not in all_text(kiosk)
    facts = kiosk.verdict.facts
    assert facts.isVisible() and "有效期" in facts.text() and "状态截至" in facts.text()
    assert kiosk.verdict.seal.isVisible() and "示范市民政局" in kiosk.verdict.issuer_name.text()


def test_a_mistyped_number_is_explained_beside_the_field(qtbot, kiosk):
    kiosk._enter("receipt")
    kiosk.entry.field.setText(RECEIPT[:-1] + ("A" if RECEIPT[-1] != "A" else "B"))
    qtbot.mouseClick(kiosk.entry.check, Qt.MouseButton.LeftButton)
    assert kiosk.current() is kiosk.entry
    assert "校验位" in kiosk.entry.problem.text() and "check character" in kiosk.entry.problem.text()


# -- tracing ----------------------------------------------------------------------
def test_the_trace_screen_accounts_for_every_fen_of_the_donation(qtbot, kiosk):
    kiosk._enter("receipt")
    kiosk.entry.field.setText(RECEIPT)
    qtbot.mouseClick(kiosk.entry.check, Qt.MouseButton.LeftButton)
    wait_for_screen(qtbot, kiosk, "trace")
    flow = kiosk.trace.flow
    assert dict(flow.terminals) == EXPECTED
    assert flow.consistent and flow.terminal_total == flow.amount_fen == 100_000
    assert flow.unspent_fen == 10_000 + 20_000 + 10_000
    for state, fen in EXPECTED.items():
        assert kiosk.trace.findChild(QLabel, f"place-{state}").text() == i18n.money(fen)
    assert "✓" in kiosk.trace.findChild(QLabel, "places-total").text()
    steps = [s["step"] for s in kiosk.trace.report["steps"]]
    assert steps[0] == "donation" and "acknowledged" in steps and "refund" in steps
    assert all(s.get("time") for s in kiosk.trace.report["steps"])
    qtbot.mouseClick(kiosk.trace.fund_button, Qt.MouseButton.LeftButton)
    wait_for_screen(qtbot, kiosk, "funds")
    assert kiosk.funds.funds[0]["id"] == "K-FUND" and kiosk.funds.funds[0]["raised_fen"] == 100_000


def test_an_unknown_receipt_says_so(qtbot, kiosk):
    kiosk.start_trace(make_receipt(777_777))
    wait_for_screen(qtbot, kiosk, "message")
    assert "777777" in kiosk.message.body.text()


# -- sessions ----------------------------------------------------------------------
def test_idle_timeout_returns_home_and_forgets_the_last_person(qtbot, cjk, city, media):
    window = make_window(qtbot, LocalBackend(city.home(KIOSK_HOME)), idle_timeout_s=1)
    window.toggle_language()
    scan(qtbot, window, sample_qr(city, "marriage-certificate-VALID"))
    wait_for_screen(qtbot, window, "verdict")
    assert "张伟" in all_text(window)
    wait_for_screen(qtbot, window, "home")  # nobody touched it for a second
    assert window.verdict.verdict is None and window.verdict.texts() == []
    assert "张伟" not in all_text(window) and window.trace.report is None
    assert i18n.current_language() == "zh_CN"  # the next person gets the default language
    window.tasks.wait()
    window._leaving = True


def test_the_contrast_button_restyles_the_kiosk_once_per_change(qtbot, kiosk, monkeypatch):
    """Restyling repolishes every widget (most of a second on a kiosk PC): a
    press restyles once, asking again for what is on show restyles nothing."""
    restyled = []
    theme = kiosk.apply_theme
    monkeypatch.setattr(kiosk, "apply_theme", lambda: (restyled.append(kiosk.high_contrast), theme()))
    normal = kiosk.styleSheet()
    qtbot.mouseClick(kiosk.contrast_button, Qt.MouseButton.LeftButton)
    assert kiosk.high_contrast and kiosk.contrast_button.isChecked() and restyled == [True]
    assert kiosk.styleSheet() != normal
    kiosk.set_high_contrast(True)
    assert restyled == [True]
    kiosk.set_high_contrast(False)
    assert not kiosk.contrast_button.isChecked() and restyled == [True, False] and kiosk.styleSheet() == normal


def test_only_the_administrator_pin_closes_the_kiosk(qtbot, kiosk):
    kiosk.close()
    assert kiosk.isVisible()  # Alt+F4 and friends do nothing
    qtbot.mouseClick(kiosk.admin_button, Qt.MouseButton.LeftButton)
    for ch in "1111":
        qtbot.mouseClick(kiosk.pin.pad.findChild(QPushButton, f"pin-{ch}"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(kiosk.pin.ok, Qt.MouseButton.LeftButton)
    assert kiosk.isVisible() and kiosk.pin.problem.text()
    with qtbot.waitSignal(kiosk.exit_requested, timeout=2000):
        for ch in DEMO_PIN:
            qtbot.mouseClick(kiosk.pin.pad.findChild(QPushButton, f"pin-{ch}"), Qt.MouseButton.LeftButton)
        qtbot.mouseClick(kiosk.pin.ok, Qt.MouseButton.LeftButton)
    assert not kiosk.isVisible()


# -- no node ---------------------------------------------------------------------------
def test_with_the_node_unreachable_qr_and_pdf_say_status_could_not_be_checked(qtbot, cjk, city, media):
    backend = RemoteBackend(city.path / BUNDLE_FILE, "http://127.0.0.1:9", timeout=0.5)
    window = make_window(qtbot, backend, media_folders=(str(media.parent),))
    scan(qtbot, window, sample_qr(city, "marriage-certificate-REVOKED"))
    wait_for_screen(qtbot, window, "verdict")
    assert window.verdict.verdict.code == "STATUS_UNKNOWN"  # never VALID, never TAMPERED
    assert window.verdict.banner.property("tone") == "warn"
    assert "无法确认当前状态" in window.verdict.status_line.text() and window.verdict.status_line.isVisible()
    window.go_home()
    choose(qtbot, window, "certificate.pdf")
    wait_for_screen(qtbot, window, "verdict")
    assert window.verdict.verdict.code == "STATUS_UNKNOWN" and window.verdict.verdict.source == "pdf"
    window.start_trace(RECEIPT)
    wait_for_screen(qtbot, window, "message")
    assert "连不上" in window.message.body.text()
    window.tasks.wait()
    window._leaving = True


def test_a_kiosk_with_only_a_trust_bundle_checks_offline_and_says_so(qtbot, cjk, city):
    window = make_window(qtbot, RemoteBackend(city.path / BUNDLE_FILE, None))
    scan(qtbot, window, sample_qr(city, "marriage-certificate-REVOKED"))
    wait_for_screen(qtbot, window, "verdict")
    verdict = window.verdict.verdict
    assert verdict.code == "VALID" and not verdict.status_checked  # docs/protocol.md §11: offline, and it says so
    assert window.verdict.banner.property("tone") == "warn" and "未查询撤销状态" in window.verdict.headline.text()
    assert window.verdict.status_line.isVisible()
    window.start_trace(RECEIPT)
    wait_for_screen(qtbot, window, "message")
    assert "没有账本节点" in window.message.body.text()
    window.tasks.wait()
    window._leaving = True


def test_a_slow_node_shows_the_busy_screen_and_a_cancelled_answer_never_arrives(qtbot, cjk, city):
    import socket

    silent = socket.socket()  # a node that accepts the connection and then says nothing
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        window = make_window(qtbot, RemoteBackend(city.path / BUNDLE_FILE, url, timeout=1.5))
        scan(qtbot, window, sample_qr(city, "marriage-certificate-VALID"))
        wait_for_screen(qtbot, window, "busy")  # the GUI thread is free while the node is asked
        assert window.busy.bar.maximum() == 0 and window.busy.text.text() == "正在核验…"
        qtbot.mouseClick(window.busy.stop, Qt.MouseButton.LeftButton)
        assert window.current() is window.home
        window.tasks.wait()
        qtbot.wait(50)
        assert window.current() is window.home and window.verdict.verdict is None
        scan(qtbot, window, sample_qr(city, "marriage-certificate-VALID"))
        wait_for_screen(qtbot, window, "verdict")  # after the timeout: an outage, never VALID
        assert window.verdict.verdict.code == "STATUS_UNKNOWN"
        window.tasks.wait()
        window._leaving = True
    finally:
        silent.close()


def test_a_running_node_answers_over_http(qtbot, cjk, city, tmp_path):
    from nodes import NodeProcess, free_port

    home = tmp_path / KIOSK_HOME
    shutil.copytree(city.home(KIOSK_HOME), home, ignore=shutil.ignore_patterns("node.lock"))
    node = NodeProcess(home, free_port()).start()
    try:
        backend = RemoteBackend(city.path / BUNDLE_FILE, node.url)
        assert backend.verify_qr(sample_qr(city, "marriage-certificate-VALID")).code == "VALID"
        report = backend.trace(RECEIPT).report
        assert report["amount_fen"] == 100_000 and all(s.get("time") for s in report["steps"])
        assert any(f["id"] == "K-FUND" for f in backend.funds())
        local = LocalBackend(home)  # the same home, read beside the running node through its Python API
        try:  # one client of the node, two doors: the same answers
            assert local.funds() == backend.funds()
            there = local.trace(RECEIPT).report
            assert [s["time"] for s in there["steps"]] == [s["time"] for s in report["steps"]]
            assert there["project_names"] == report["project_names"]
            assert report["project_names"]["K-P1"] == ["乡村图书室", "Village libraries"]
            cert_id = open_qr_payload(decode_qr_text(sample_qr(city, "marriage-certificate-REVOKED"))).leaf.record.body[
                "id"
            ]
            assert local.lookup_id(cert_id).code == backend.lookup_id(cert_id).code == "REVOKED"
            with pytest.raises(KioskError) as caught:
                backend.trace(make_receipt(900_777))
            assert caught.value.code == "UNKNOWN_RECEIPT"
        finally:
            local.close()
    finally:
        node.stop()


def test_the_local_door_reads_the_nodes_tables_through_the_domain_packages(city):
    """certificates.status.certificate_leaf, charity.trace_json.funds_report and
    timeline: what the kiosk used to read with its own SQL."""
    from certificates.status import certificate_leaf
    from charity.trace import charities, project_names
    from charity.trace_json import funds_report, timeline
    from citychain.log.records import parse_leaf

    cert_id = open_qr_payload(decode_qr_text(sample_qr(city, "marriage-certificate-VALID"))).leaf.record.body["id"]
    with Node.open(city.home(KIOSK_HOME), PLUGINS, write=False) as node:
        store = node.store
        issuer = parse_leaf(certificate_leaf(store, "civil-affairs", cert_id)).record
        assert issuer.body["id"] == cert_id and issuer.kind == cert_kinds.ISSUED
        assert certificate_leaf(store, "market-regulation", cert_id) is None  # another agency's log
        assert certificate_leaf(store, "civil-affairs", cert_id + "X") is None
        assert CHARITY_AGENCY in charities(store.conn)
        assert project_names(store.conn, CHARITY_AGENCY)["K-P2"] == ("助听器", "Hearing aids")
        assert project_names(store.conn, "no-such-charity") == {}
        fund = next(f for f in funds_report(store.conn) if f["id"] == "K-FUND")
        assert fund["raised_fen"] == 100_000 and {p["id"] for p in fund["projects"]} == {"K-P1", "K-P2"}
        assert funds_report(store.conn, CHARITY_AGENCY) == [
            f for f in funds_report(store.conn) if f["charity"] == CHARITY_AGENCY
        ]
        from charity.trace_json import ProofView, trace_report

        view = ProofView(store.conn, node.trust, node.config.city, node.config.witness_quorum, 0)
        report = timeline(store, trace_report(view, RECEIPT))
        donation = report["steps"][0]
        assert donation["step"] == "donation" and donation["time"].startswith("20")
        forged = {k: v for k, v in donation.items() if k != "time"} | {"proof": {"leaf_hash": "00" * 32}}
        assert timeline(store, {"charity": CHARITY_AGENCY, "steps": [forged]})["steps"][0]["time"] is None

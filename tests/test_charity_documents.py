"""Donation receipts, the fund report and the CSV export, end to end: real
homes, real sealed PDFs parsed back, real QR codes rendered and decoded, and
every receipt verdict from a case that earns it."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
from conftest import CHEAP_KDF, FAST_ARGON2, quiet_demo_city
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from test_charity_rules import mirror

from charity import bodies as b
from charity.export_csv import transactions_csv
from charity.kinds import PLUGIN
from charity.privacy import (
    BENEFICIARY,
    DONOR,
    new_seed,
    person_commitment,
    person_value,
)
from charity.receipt_payload import (
    FRAMING,
    PROOF_FILENAME,
    TLOG_PROOF_FILENAME,
    Proof,
    decode_qr,
    donor_from_seed,
    qr_payload,
)
from charity.receipt_pdf import ReceiptError, receipt_pdf, receipt_qr_text
from charity.receipts import make_receipt
from charity.report_pdf import fund_report_pdf
from charity.trace import fund_totals
from charity.verify import HomeReceiptStatus, NodeReceiptStatus, ReceiptVerifier
from citychain.clock import SystemClock
from citychain.documents.checks import VerifierConfig, qr_from_image
from citychain.documents.money import rmb_capital, yuan_figures
from citychain.documents.pades import open_sealed_pdf
from citychain.log.canonical import canonical
from citychain.log.keys import load_key
from citychain.log.records import Record, make_leaf
from citychain.node.node import Node
from democity import spec
from democity.build import BUNDLE_FILE, create_demo_city

ROOT = Path(__file__).resolve().parent.parent
CHARITY, CIVIL = "charity-federation", "civil-affairs"
NAMED, ANONYMOUS, REFUNDED, REVERSED = (make_receipt(n) for n in (1, 2, 3, 4))
DONORS = {
    NAMED: ("张三丰", "110101199003074578", False, 123450, "bank"),
    ANONYMOUS: ("李秘密", None, True, 5000, "cash"),
    REFUNDED: ("欧阳娜娜", None, False, 20000, "online"),
    REVERSED: ("王五", None, False, 999, "cash"),
}
STANDARD_14 = ("Courier", "Helvetica", "Times-Roman", "Symbol", "ZapfDingbats")


def open_node(city, agency: str = CHARITY) -> Node:
    return Node.open(Path(city.home(agency)), (PLUGIN,), argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A demo city whose charity holds four donations (receipts printed before a
    refund and a reversal), two projects, decided and pending requests, an
    expenditure, and acknowledgements by civil affairs."""
    demo = quiet_demo_city(tmp_path_factory.mktemp("receipts") / "city")
    city = SimpleNamespace(path=demo.path, home=demo.home, printed={})
    ben = person_commitment(new_seed(), BENEFICIARY, "赵六")
    with open_node(city) as node, open_node(city, CIVIL) as civil:
        sup, clerk = sign_in(node, "supervisor"), sign_in(node, "clerk")
        private = node.private(CHEAP_KDF)
        node.append(
            sup,
            [
                b.fund("F1", "山区儿童助学基金", "Mountain Children Education Fund", 10_000_000),
                b.project("P1", "F1", "营养午餐", "School lunches", 100_000),
                b.project("P2", "F1", "图书角", "Reading corners", 100_000),
            ],
        )
        for receipt, (name, id_number, anonymous, amount, channel) in DONORS.items():
            seed = new_seed()
            private.put(
                "charity.donor",
                receipt,
                {"seed": seed.hex(), "name": name, "id_number": id_number, "anonymous": anonymous},
            )
            node.append(
                clerk,
                [
                    b.donation(
                        receipt, "F1", amount, channel, person_commitment(seed, DONOR, name, id_number), anonymous
                    )
                ],
            )
            city.printed[receipt] = (receipt_pdf(node, receipt, private), receipt_qr_text(node, receipt, private))
        node.append(sup, [b.refund("RF-1", REFUNDED, 5000, "捐赠人要求退还 / donor asked")])
        node.append(sup, [b.reversal("REV-1", REVERSED, "重复登记 / entered twice")])
        node.append(sup, [b.allocation("A1", "F1", "P1", 60_000), b.allocation("A2", "F1", "P2", 30_000)])
        for rid, project, amount in (
            ("R1", "P1", 20_000),
            ("R2", "P1", 15_000),
            ("R3", "P2", 10_000),
            ("R4", "P2", 5_000),
        ):
            node.append(clerk, [b.request(rid, project, amount, ben, CIVIL, f"助学 {rid}", "clerk")])
        node.append(
            sup,
            [
                b.approval("R1", "supervisor"),
                b.approval("R2", "supervisor"),
                b.cancellation("R3", "supervisor", "重复 / duplicate"),
                b.expenditure("E1", "P2", 1_234, "运费 / freight", "supervisor"),
            ],
        )
        node.append(sup, [b.reversal("REV-2", "R2", "退回 / returned")])
        mirror(node, civil, CHARITY)
        civil.append(sign_in(civil, "clerk"), [b.acknowledgement(civil.store.conn, CHARITY, "R1", "clerk")])
        mirror(civil, node, CIVIL)
        city.report = fund_report_pdf(node, "F1")
        city.csv = transactions_csv(node.store.conn, CHARITY)
        city.totals = fund_totals(node.store.conn, CHARITY, "F1")
    return city


def offline(city) -> ReceiptVerifier:
    return ReceiptVerifier(VerifierConfig.from_bundle(city.path / BUNDLE_FILE))


def at_home(city, agency: str = CHARITY) -> ReceiptVerifier:
    home = city.home(agency)
    return ReceiptVerifier(VerifierConfig.from_home(home), HomeReceiptStatus(home, SystemClock()))


def page_text(pdf: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf))


def png_of_page(pdf: bytes, dpi: int = 150) -> bytes:
    out = io.BytesIO()
    pypdfium2.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil().save(out, format="PNG")
    return out.getvalue()


# -- the receipt and its round trip --------------------------------------------------
def test_paper_round_trip_at_150_dpi_decodes_verifies_and_leads_to_the_trace(city):
    pdf, qr = city.printed[NAMED]
    png = png_of_page(pdf)
    assert qr_from_image(png, ("TD2:",))[0] == qr
    verifier = offline(city)
    for verdict in (verifier.pdf(pdf), verifier.qr(qr), verifier.image(png)):
        assert verdict.code == "VALID" and not verdict.status_checked, verdict.detail_en
        assert "未能查询是否已退款或冲正" in verdict.sentence_zh and "not checked" in verdict.sentence_en
        assert (verdict.receipt, verdict.amount_fen, verdict.charity) == (NAMED, 123450, CHARITY)
        assert verdict.donor_name == "张三丰" and verdict.donor_id_masked == "110*************78"
    assert at_home(city).pdf(pdf).code == "VALID" and at_home(city).pdf(pdf).status_checked
    from charity.trace import trace_donation

    with sqlite3.connect(city.home(CIVIL) / "ledger.sqlite") as conn:  # any node that mirrors the charity
        trace = trace_donation(conn, verifier.qr(qr).receipt, verifier.qr(qr).charity)
    assert trace.amount_fen == 123450 and sum(a for _, a in trace.breakdown) == 123450


def test_the_page_shows_amounts_in_figures_and_capitals_fund_channel_and_a_40mm_qr(city):
    pdf, _ = city.printed[NAMED]
    text = "".join(page_text(pdf).split())
    for expected in (
        "公益事业捐赠收据",
        NAMED,
        "张三丰",
        "110*************78",
        "¥1,234.50",
        "人民币壹仟贰佰叁拾肆元伍角整",
        "山区儿童助学基金",
        "MountainChildrenEducationFund",
        "银行转账",
        "UTC+08:00",
        "示范市慈善总会",
        "如何验证与查询",
        "Howtoverifyandtrace",
        "pythonmain.pyverify",
    ):
        assert expected in text, expected
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil()
    import zxingcpp

    (code,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    width_mm = (code.position.top_right.x - code.position.top_left.x) / 300 * 25.4
    assert width_mm >= 40 and "Q" in str(code.ec_level).upper() or code.ec_level == "Q"


def test_an_anonymous_receipt_names_nobody_on_the_page_in_the_qr_or_the_proof(city):
    pdf, qr = city.printed[ANONYMOUS]
    assert "匿名捐赠" in page_text(pdf) and "李秘密" not in page_text(pdf)
    assert "李秘密" not in json.dumps(FRAMING.decode(qr), ensure_ascii=False)
    config = VerifierConfig.from_bundle(city.path / BUNDLE_FILE)
    files = open_sealed_pdf(pdf, config.ca_cert, attachment_name=PROOF_FILENAME, optional=(TLOG_PROOF_FILENAME,)).files
    assert len(files) == 2 and not any("李秘密".encode() in data for data in files.values())
    assert Proof.from_files(files).donor is None
    verdict = offline(city).pdf(pdf)
    assert verdict.code == "VALID" and verdict.anonymous and verdict.donor_name is None
    assert verdict.to_json()["donor"] is None


def test_every_font_of_receipts_and_the_report_is_embedded(city):
    for pdf in (city.printed[NAMED][0], city.printed[ANONYMOUS][0], city.report):
        stack, seen, fonts = [PdfFileReader(io.BytesIO(pdf)).root], set(), []
        while stack:
            obj = stack.pop()
            if isinstance(obj, generic.IndirectObject):
                if (obj.idnum, obj.generation) in seen:
                    continue
                seen.add((obj.idnum, obj.generation))
                obj = obj.get_object()
            if isinstance(obj, generic.DictionaryObject):
                if obj.get("/Type") == "/Font":
                    fonts.append(obj)
                stack.extend(v for k, v in obj.items() if k != "/Parent")
            elif isinstance(obj, generic.ArrayObject):
                stack.extend(obj)
        assert fonts
        for font in fonts:
            assert not any(name in str(font.get("/BaseFont", "")) for name in STANDARD_14)
            descendants = font.get("/DescendantFonts") or [font]
            for d in descendants:
                descriptor = d.get_object()["/FontDescriptor"]
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def test_the_verify_command_recognises_a_receipt_and_exits_0_only_for_valid(city, capsys):
    pdf = city.home(CHARITY).parent / "named.pdf"
    pdf.write_bytes(city.printed[NAMED][0])
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "verify", str(pdf), "--home", str(city.home(CHARITY))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and run.stdout.startswith("VALID") and "捐赠收据" in run.stdout, run.stderr
    from main import main

    image = pdf.with_suffix(".png")
    image.write_bytes(png_of_page(city.printed[ANONYMOUS][0]))
    assert main(["verify", "--image", str(image), "--trust", str(city.path / BUNDLE_FILE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "VALID" and out["document"] == "donation-receipt" and out["source"] == "image"
    assert main(["verify", "--qr", city.printed[REFUNDED][1], "--home", str(city.home(CHARITY))]) == 1
    assert capsys.readouterr().out.startswith("REFUNDED")


# -- verdicts ---------------------------------------------------------------------------
def test_refunded_and_reversed_donations_say_so_with_a_node_and_are_not_reprinted(city):
    verifier = at_home(city)
    refunded = verifier.pdf(city.printed[REFUNDED][0])
    assert refunded.code == "REFUNDED" and refunded.refunded_fen == 5000 and "¥50.00 of ¥200.00" in refunded.detail_en
    assert verifier.qr(city.printed[REVERSED][1]).code == "REVERSED"
    assert offline(city).qr(city.printed[REVERSED][1]).code == "VALID"  # offline nobody can know
    with open_node(city) as node:
        private = node.private(CHEAP_KDF)
        for receipt, code in ((REFUNDED, "REFUNDED"), (REVERSED, "REVERSED")):
            with pytest.raises(ReceiptError) as caught:
                receipt_pdf(node, receipt, private)
            assert caught.value.code == code and caught.value.message_zh and caught.value.message_en
        private.erase("charity.donor", NAMED)
        with pytest.raises(ReceiptError, match="erased"):
            receipt_pdf(node, NAMED, private)
        private.put(
            "charity.donor", NAMED, {"seed": "00" * 16, "name": "张三丰", "id_number": None, "anonymous": False}
        )
        with pytest.raises(ReceiptError, match="do not match"):
            receipt_pdf(node, NAMED, private)


def _forge(city, agency: str, record: Record, donor=None) -> str:
    signer = load_key(Path(city.home(agency)) / "keys" / "agency.key", spec.PASSPHRASE)
    return FRAMING.encode(qr_payload(make_leaf(record, signer), donor))


def test_issuers_the_verifier_does_not_trust_or_authorise_never_pass(city, tmp_path):
    pdf, qr = city.printed[NAMED]
    other = create_demo_city(tmp_path / "other", (), CHEAP_KDF, FAST_ARGON2)
    foreign = ReceiptVerifier(VerifierConfig.from_bundle(other.path / BUNDLE_FILE))
    assert foreign.qr(qr).code == "UNKNOWN_ISSUER"
    assert foreign.pdf(pdf).code == "UNKNOWN_ISSUER"  # an intact seal, from the other city's CA
    leaf = decode_qr(qr).leaf
    seed = new_seed()
    body = {**leaf.record.body, "donor": person_commitment(seed, DONOR, "冒名")}
    as_civil = Record(CIVIL, 0, "0" * 64, leaf.record.time, leaf.record.kind, body)
    donor = donor_from_seed(seed, person_value("冒名"))
    assert offline(city).qr(_forge(city, CIVIL, as_civil, donor)).code == "ISSUER_NOT_AUTHORISED"
    claimed = Record(CHARITY, leaf.record.seq, leaf.record.prev, leaf.record.time, leaf.record.kind, body)
    verdict = offline(city).qr(_forge(city, CIVIL, claimed, donor))
    assert verdict.code == "TAMPERED" and CIVIL in verdict.detail_en
    # Signed by the charity's own key, but not what its log holds at that position.
    forged = _forge(city, CHARITY, claimed, donor)
    assert offline(city).qr(forged).code == "VALID" and at_home(city).qr(forged).code == "NOT_IN_LEDGER"


def test_a_name_swapped_into_the_qr_is_tampered_and_anonymity_cannot_be_lifted(city):
    payload = FRAMING.decode(city.printed[NAMED][1])
    payload["record"]["body"]["donor"]["v"]["name"] = "李四"
    assert offline(city).qr(FRAMING.encode(payload)).code == "TAMPERED"
    anonymous = FRAMING.decode(city.printed[ANONYMOUS][1])
    anonymous["record"]["body"]["donor"] = {"s": "00" * 16, "v": {"name": "李秘密"}}
    assert offline(city).qr(FRAMING.encode(anonymous)).code == "MALFORMED"


def test_node_outages_and_mirrors_without_the_log_are_status_unknown(city):
    verifier = offline(city)
    verifier.source = NodeReceiptStatus("http://127.0.0.1:9", timeout=0.5)
    assert verifier.pdf(city.printed[NAMED][0]).code == "STATUS_UNKNOWN"
    market = at_home(city, "market-regulation").qr(city.printed[NAMED][1])  # holds no copy of the charity log
    assert market.code == "STATUS_UNKNOWN" and "no copy" in market.detail_en


def test_a_running_node_answers_receipt_status_over_http(city):
    from nodes import NodeProcess, free_port

    node = NodeProcess(city.home(CHARITY), free_port()).start()
    try:
        verifier = offline(city)
        verifier.source = NodeReceiptStatus(node.url)
        assert verifier.pdf(city.printed[NAMED][0]).code == "VALID"
        assert verifier.qr(city.printed[REVERSED][1]).code == "REVERSED"
    finally:
        node.stop()


# -- mutations ---------------------------------------------------------------------------
QR_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def test_single_character_changes_of_receipt_qr_texts_never_verify(city):
    rng, verifier = random.Random(11), offline(city)
    texts = [city.printed[r][1] for r in (NAMED, ANONYMOUS)]
    for i in range(600):
        text = texts[i % 2]
        at = rng.randrange(len(text))
        changed = text[:at] + rng.choice(QR_ALPHABET.replace(text[at], "")) + text[at + 1 :]
        assert verifier.qr(changed).code in ("TAMPERED", "MALFORMED"), at


def test_changes_inside_the_signed_payload_never_verify(city):
    from citychain.log.canonical import CanonicalError, parse_canonical

    rng, verifier, checked = random.Random(12), offline(city), 0
    payload = canonical(FRAMING.decode(city.printed[NAMED][1])).decode()
    for _ in range(300):
        at = rng.randrange(len(payload))
        changed = payload[:at] + rng.choice('0123456789abcdefXYZ张":,{}'.replace(payload[at], "")) + payload[at + 1 :]
        try:
            value = parse_canonical(changed.encode())
        except CanonicalError:
            continue
        assert verifier.qr(FRAMING.encode(value)).code in ("TAMPERED", "MALFORMED"), changed[max(0, at - 20) : at + 20]
        checked += 1
    assert checked > 100


def test_random_byte_changes_of_a_receipt_pdf_never_verify(city):
    pdf = city.printed[NAMED][0]
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    padding = range(start + len(pdf[start:end].rstrip(b"0")) + 8, end)
    rng, verifier, done = random.Random(13), offline(city), 0
    while done < 150:
        at = rng.randrange(len(pdf))
        if at in padding:
            continue
        changed = bytearray(pdf)
        changed[at] = (changed[at] + rng.randrange(1, 256)) % 256
        verdict = verifier.pdf(bytes(changed))
        assert verdict.code in ("TAMPERED", "MALFORMED"), (at, verdict.code)
        done += 1


# -- the report and the CSV ---------------------------------------------------------------
def test_the_report_holds_the_totals_and_every_disbursement(city):
    t = city.totals
    assert (t.disbursed_fen, t.acknowledged_fen, t.pending_fen, t.spent_fen, t.refunded_fen) == (
        20_000,
        20_000,
        5_000,
        1_234,
        5_000,
    )
    text = "".join(page_text(city.report).split())
    for fen in (
        t.raised_fen,
        t.target_fen,
        t.allocated_fen,
        t.unallocated_fen,
        t.disbursed_fen,
        t.acknowledged_fen,
        t.spent_fen,
        t.pending_fen,
        t.held_fen,
        t.unspent_fen,
        t.refunded_fen,
    ):
        assert yuan_figures(fen) in text, fen
    for rid, status in (("R1", "已批准"), ("R2", "已冲正"), ("R3", "已取消"), ("R4", "待审批")):
        assert rid in text and status in text
    for words in ("基金报告", "Fundreport", "善款流向", "营养午餐", "Schoollunches", "civil-affairs#", "supervisor"):
        assert words in text, words


def test_the_csv_parses_back_and_its_sums_reconcile_with_the_fund_totals(city):
    assert city.csv.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(city.csv.removeprefix("\ufeff"))))
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        assert row["currency"] == "CNY" and row["fund-id"] == "F1" and len(row["leaf-hash"]) == 64
        assert int(row["value-fen"]) == round(float(row["value"]) * 100)
        sums[row["transaction-type-code"]] += int(row["value-fen"])
    t = city.totals
    assert sums == {"1": t.raised_fen - t.refunded_fen, "2": t.allocated_fen, "3": t.disbursed_fen, "4": t.spent_fen}
    for name, *_ in DONORS.values():
        assert name not in city.csv
    acknowledged = [r for r in rows if r["transaction-ref"] == "R1"]
    assert acknowledged[0]["acknowledged"].startswith("yes civil-affairs")


# -- money words and the protocol vector ---------------------------------------------------
@pytest.mark.parametrize(
    "fen, words",
    [
        (123450, "人民币壹仟贰佰叁拾肆元伍角整"),
        (100, "人民币壹元整"),
        (1000, "人民币壹拾元整"),
        (5, "人民币伍分"),
        (50, "人民币伍角整"),
        (32504, "人民币叁佰贰拾伍元零肆分"),
        (140950, "人民币壹仟肆佰零玖元伍角整"),
        (600714, "人民币陆仟零柒元壹角肆分"),
        (10001000000, "人民币壹亿零壹万元整"),
        (12000000100, "人民币壹亿贰仟万零壹元整"),
        (11000000, "人民币壹拾壹万元整"),
        (101000, "人民币壹仟零壹拾元整"),
    ],
)
def test_amounts_in_chinese_capitals(fen, words):
    assert rmb_capital(fen) == words


def test_the_receipt_vector_in_the_protocol_document():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from citychain.log.keys import Signer

    section = (ROOT / "docs" / "protocol.md").read_text("utf-8").split("## 12.", 1)[1]
    signer = Signer.from_private(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    seed = bytes(range(16))
    kind, body = b.donation(make_receipt(1), "F1", 123450, "bank", person_commitment(seed, DONOR, "张三"))
    leaf = make_leaf(Record(CHARITY, 0, "0" * 64, "2026-03-01T08:00:00.000Z", kind, body), signer)
    donor = donor_from_seed(seed, person_value("张三"))
    payload = qr_payload(leaf, donor)
    text = FRAMING.encode(payload)
    assert f"\n    {canonical(payload).decode()}\n" in section and f"\n    {text}\n" in section
    assert leaf.hash_hex in section and donor.salt.hex() in section and donor.commitment() in section
    assert decode_qr(text).leaf.data == leaf.data

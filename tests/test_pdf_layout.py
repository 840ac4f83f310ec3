"""The printed licence page: real PDFs parsed back, rendered and scanned."""

from __future__ import annotations

import io
import random
import re
from dataclasses import replace
from datetime import UTC, datetime

import base45
import pypdfium2 as pdfium
import pytest
import segno
import zxingcpp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from certificates.pdf_layout import PrintedCertificate, PrintedField, render_pdf
from citychain.documents.seal import draw_seal
from citychain.documents.typeset import FONT_NAME
from citychain.documents.typeset import font as _font
from citychain.documents.typeset import text_width as _width
from citychain.documents.typeset import wrap_text as _wrap

# Random bytes in base45: about as long, and as incompressible, as a real QR payload.
QR_TEXT = "TC2:" + base45.b45encode(random.Random(7).randbytes(460)).decode()
SCOPE_END = "本经营范围到此结束"
STANDARD_14 = {"Courier", "Helvetica", "Times-Roman", "Symbol", "ZapfDingbats"}


def _scope(length: int) -> str:
    """Numbered items (项目0000；项目0001；…) cut to `length` characters, ending in SCOPE_END."""
    items = "".join(f"项目{i:04d}；技术服务、软件开发、数据处理。" for i in range(length // 10 + 1))
    return items[: length - len(SCOPE_END)] + SCOPE_END


def _licence(scope_length: int = 120, void_reason: tuple[str, str] | None = None) -> PrintedCertificate:
    return PrintedCertificate(
        title_zh="营业执照",
        title_en="Business licence",
        cert_id="1.2.156.3005.2.11100.11330100MB0000001R.000001.001.X",
        agency_zh="杭州市市场监督管理局",
        agency_en="Hangzhou Administration for Market Regulation",
        fields=(
            PrintedField("名称", "Company name", "杭州西湖云链数字科技有限公司"),
            PrintedField("统一社会信用代码", "Unified social credit code", "91330100MA2B3C4D5E"),
            PrintedField("法定代表人", "Legal representative", "张三"),
            PrintedField("住所", "Address", "浙江省杭州市西湖区文三路 398 号 7 层 701 室"),
            PrintedField("经营范围", "Business scope", _scope(scope_length)),
        ),
        valid_from="2026-03-01",
        valid_until=None,
        issued_at="2026-03-01T08:00:00.000Z",
        qr_text=QR_TEXT,
        void_reason=void_reason,
    )


def _flat(text: str) -> str:
    return "".join(text.split())


def _page_texts(pdf_bytes: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(pdf_bytes)
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def _render(pdf_bytes: bytes, page: int, dpi: int):
    return pdfium.PdfDocument(pdf_bytes)[page].render(scale=dpi / 72).to_pil().convert("RGB")


def test_text_holds_title_id_labels_and_values():
    doc = _licence()
    text = _flat("".join(_page_texts(render_pdf(doc))))
    for needle in (
        "营业执照",
        "Business licence",
        doc.cert_id,
        doc.agency_zh,
        "扫码验证",
        "Scan to verify",
        "如何验证",
        "How to verify",
        "python main.py verify FILE.pdf",
        "有效期自",
        "Valid from",
        "2026-03-01",
        "有效期至",
        "Valid until",
        "长期 / No expiry",
        "签发时间",
        "Issued at",
        "2026-03-01 08:00:00 UTC",
    ):
        assert _flat(needle) in text, needle
    for field in doc.fields:
        for needle in (field.label_zh, field.label_en, field.value):
            assert _flat(needle) in text, needle


def test_a_fixed_expiry_date_is_printed():
    doc = _licence()
    dated = replace(doc, valid_until="2031-02-28")
    text = _flat("".join(_page_texts(render_pdf(dated))))
    assert "2031-02-28" in text
    assert "Noexpiry" not in text


def test_qr_code_scans_back_to_its_text_and_is_at_least_40_mm():
    pdf_bytes = render_pdf(_licence())
    image = _render(pdf_bytes, 0, 150)
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [QR_TEXT]
    code = codes[0]
    assert code.ec_level == "Q"
    pos = code.position
    width_px = pos.top_right.x - pos.top_left.x
    height_px = pos.bottom_left.y - pos.top_left.y
    assert width_px / 150 * 25.4 >= 40 and height_px / 150 * 25.4 >= 40

    # The four-module quiet zone round the symbol is blank paper.
    modules = segno.make(QR_TEXT, error="q", boost_error=False, micro=False).symbol_size(border=0)[0]
    module_px = width_px / modules
    quiet = int(4 * module_px) - 2
    left, top = pos.top_left.x, pos.top_left.y
    right, bottom = pos.bottom_right.x, pos.bottom_right.y
    strips = (
        (left - quiet, top - quiet, right + quiet, top - 2),  # above
        (left - quiet, bottom + 2, right + quiet, bottom + quiet),  # below
        (left - quiet, top, left - 2, bottom),  # left
        (right + 2, top, right + quiet, bottom),  # right
    )
    for box in strips:
        assert image.crop(box).convert("L").getextrema()[0] >= 250, box


def _fonts(reader: PdfFileReader):
    """Every font dictionary reachable from the document catalogue."""
    seen: set[tuple[int, int]] = set()
    stack = [reader.root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            if obj.get("/Type") == "/Font":
                yield obj
            stack.extend(v for k, v in obj.items() if k != "/Parent")
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)


@pytest.mark.parametrize("void_reason", [None, ("已撤销", "REVOKED")])
def test_every_font_is_embedded(void_reason):
    reader = PdfFileReader(io.BytesIO(render_pdf(_licence(2000, void_reason))))
    fonts = list(_fonts(reader))
    assert fonts
    for font in fonts:
        base = str(font.get("/BaseFont", ""))
        assert not any(name in base for name in STANDARD_14), base
        if font["/Subtype"] == "/Type0":
            descriptors = [d.get_object()["/FontDescriptor"] for d in font["/DescendantFonts"]]
        else:
            descriptors = [font["/FontDescriptor"]]
        for descriptor in descriptors:
            assert {"/FontFile2", "/FontFile3"} & set(descriptor.get_object()), base


def test_wrapping_keeps_width_text_and_punctuation_rules():
    _font()
    text = (
        "一般项目：技术服务、技术开发（除依法须经批准的项目外），凭营业执照依法自主开展经营活动。" * 8
        + " Scan the QR code at a city kiosk, or run python main.py verify FILE.pdf."
    )
    for width in (60.0, 97.0, 150.0, 233.0):
        lines = _wrap(text, 10, width)
        assert all(_width(line, 10) <= width for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert not any(line[0] in "，。、；：）" for line in lines if line)
        assert not any(line[-1] == "（" for line in lines if line)
        assert "python" in " ".join(lines).split()  # Latin words stay whole
    assert _wrap("甲\n\n乙", 10, 100) == ["甲", "", "乙"]


def _inside_content(pdf_bytes: bytes) -> None:
    """No character lies outside the page's content box, and the margins render white."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    width, height = A4
    for i in range(len(pdf)):
        textpage = pdf[i].get_textpage()
        for k in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(k)
            if right > left:  # not a space or line end
                assert 15 * mm - 1 <= left and right <= width - 15 * mm + 1, (i, k, left, right)
                assert 10 * mm <= bottom and top <= height - 10 * mm, (i, k, bottom, top)
        image = _render(pdf_bytes, i, 100).convert("L")
        w, h = image.size
        edge = int(7 * mm / 72 * 100)  # outside the printed frame
        for box in ((0, 0, w, edge), (0, h - edge, w, h), (0, 0, edge, h), (w - edge, 0, w, h)):
            assert image.crop(box).getextrema()[0] >= 250, (i, box)


def test_a_2000_character_scope_runs_on_without_overflow():
    doc = _licence(2000)
    pdf_bytes = render_pdf(doc)
    texts = _page_texts(pdf_bytes)
    assert len(texts) == 2
    whole = _flat("".join(texts))
    assert whole.endswith(_flat("第 2 页 / 共 2 页 · Page 2 of 2"))
    assert SCOPE_END in whole
    # Every numbered item is printed, in order (one may straddle the page break).
    expected = [int(n) for n in re.findall(r"项目(\d{4})；", doc.fields[-1].value)]
    found = [int(n) for n in re.findall(r"项目(\d{4})；", whole)]
    assert found == sorted(set(found))
    assert len(set(expected) - set(found)) <= 1
    assert "经营范围（续）" in _flat(texts[1])
    # The QR code stays on page 1.
    assert [c.text for c in zxingcpp.read_barcodes(_render(pdf_bytes, 0, 150))] == [QR_TEXT]
    _inside_content(pdf_bytes)


def test_a_medium_scope_shrinks_onto_one_page():
    pdf_bytes = render_pdf(_licence(600))
    texts = _page_texts(pdf_bytes)
    assert len(texts) == 1
    assert SCOPE_END in _flat(texts[0])
    _inside_content(pdf_bytes)


def _red_pixels(image) -> int:
    data = image.tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 180 and data[i + 1] < 90 and data[i + 2] < 90)


def test_a_void_licence_is_marked_void():
    valid = render_pdf(_licence())
    void = render_pdf(_licence(void_reason=("已撤销", "REVOKED")))
    text = _flat("".join(_page_texts(void)))
    assert _flat("作废 VOID — 已撤销 REVOKED") in text  # the watermark
    assert "本证照已作废（已撤销）" in text and "THISLICENCEISVOID(REVOKED)" in text  # the banner
    valid_text = _flat("".join(_page_texts(valid)))
    assert "作废" not in valid_text and "VOID" not in valid_text
    # The banner and the watermark put far more red on the page than the seal alone.
    assert _red_pixels(_render(void, 0, 50)) > 2 * _red_pixels(_render(valid, 0, 50))


def test_same_input_same_bytes_and_metadata():
    doc = _licence(2000, ("已撤销", "REVOKED"))
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    first = render_pdf(doc, creation_date=when)
    assert render_pdf(doc, creation_date=when) == first
    assert render_pdf(doc) == render_pdf(doc)
    assert render_pdf(doc) != first
    info = PdfFileReader(io.BytesIO(first)).trailer["/Info"]
    assert info["/CreationDate"] == "D:20260302093000+00'00'"
    assert info["/Author"] == doc.agency_en
    assert doc.title_zh in info["/Title"] and doc.cert_id in info["/Title"]
    assert info["/Subject"]
    # Without a date, the issue time is used.
    default = PdfFileReader(io.BytesIO(render_pdf(doc))).trailer["/Info"]
    assert default["/CreationDate"] == "D:20260301080000+00'00'"


def test_the_seal_is_a_red_ring_with_a_star_and_the_agency_name():
    font = _font()
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(100 * mm, 100 * mm), initialFontName=font, invariant=1)
    draw_seal(canvas, 50 * mm, 50 * mm, 20 * mm, "杭州市市场监督管理局", FONT_NAME)
    canvas.showPage()
    canvas.save()
    pdf_bytes = buf.getvalue()
    assert _flat(_page_texts(pdf_bytes)[0]) == "杭州市市场监督管理局电子证照专用章"
    image = _render(pdf_bytes, 0, 144)  # 2 px per point

    def red(x_mm: float, y_mm: float) -> bool:
        r, g, b = image.getpixel((round(x_mm * mm * 2), round((100 - y_mm) * mm * 2)))
        return r > 180 and g < 100 and b < 100

    ring = 20 - 0.65  # the ring is 1.3 mm thick
    assert all(red(50 + dx, 50 + dy) for dx, dy in ((ring, 0), (-ring, 0), (0, ring), (0, -ring)))
    assert red(50, 50)  # the star's centre
    assert not red(50, 50 + 20 * 0.45)  # between the star and the name
    assert not red(50 + 21, 50) and not red(50, 50 - 21)  # nothing outside the ring

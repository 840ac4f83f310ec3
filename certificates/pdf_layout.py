"""The printed page of an electronic licence (电子证照): unsigned PDF bytes.

A pure function of its input: the same `PrintedCertificate` (and creation
date) gives byte-identical output. The proof file and the PAdES signature are
added afterwards by another module; this one only lays out the page.

A4 portrait, bilingual throughout. Page 1 holds the header, the fields table,
and along the bottom the "how to verify" box, the issuing agency under its red
seal, and the QR code (vector, with a clear quiet zone). A table too long for
page 1 is first set in a smaller type; if it still does not fit it continues
on further pages, a long value (a business scope) split between lines.

Every piece of text, Latin and digits included, is set in the one embedded
CJK TrueType font: no standard-14 font is ever referenced.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime

import segno
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from citychain.documents.furniture import FRAME, GREY, LABEL_BG, RULE
from citychain.documents.furniture import frame as _frame
from citychain.documents.furniture import ornament as _ornament
from citychain.documents.seal import draw_seal
from citychain.documents.typeset import FONT_NAME, INK, QR_QUIET
from citychain.documents.typeset import draw_lines as _lines
from citychain.documents.typeset import draw_qr as _draw_qr
from citychain.documents.typeset import draw_text as _text
from citychain.documents.typeset import font as _font
from citychain.documents.typeset import pdf_date as _pdf_date
from citychain.documents.typeset import qr_symbol as _qr
from citychain.documents.typeset import text_width as _width
from citychain.documents.typeset import wrap_text as _wrap


@dataclass(frozen=True)
class PrintedField:
    label_zh: str
    label_en: str
    value: str  # already formatted for display; may be long


@dataclass(frozen=True)
class PrintedCertificate:
    title_zh: str
    title_en: str
    cert_id: str
    agency_zh: str
    agency_en: str
    fields: tuple[PrintedField, ...]
    valid_from: str
    valid_until: str | None  # None: no expiry
    issued_at: str
    qr_text: str
    void_reason: tuple[str, str] | None = None  # (zh, en), e.g. ("已撤销", "REVOKED")


PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
X0, X1 = MARGIN, PAGE_W - MARGIN
CONTENT_W = X1 - X0

VOID_RED = Color(0.82, 0.04, 0.04)

# Where the table starts, below the header of page 1 and of later pages.
HEADER_BOTTOM = PAGE_H - 49.5 * mm
CONTINUED_HEADER_BOTTOM = PAGE_H - 35 * mm

# The fields table.
LABEL_W = 44 * mm
CELL_PAD_X = 2.6 * mm
CELL_PAD_Y = 1.7 * mm
LABEL_ZH_SIZE, LABEL_EN_SIZE = 10.0, 7.0
VALUE_SIZES = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0, 7.5)  # tried in turn to keep everything on page 1
RUN_ON_SIZES = (10.5, 10.0, 9.5, 9.0)  # when the table must run on to further pages

# The bottom band of page 1.
QR_MIN_MODULES_MM = 42 * mm  # the modules area, quiet zone not included
QR_MIN_MODULE = 0.5 * mm  # big enough to scan from paper and to decode at 150 dpi
VERIFY_W = 64 * mm
SEAL_RADIUS = 20 * mm
FOOTER_Y = 11 * mm
BAND_Y = 15 * mm  # lower edge of the bottom band

_NO_EXPIRY = "长期 / No expiry"
_VERIFY_STEPS = (  # (zh, en)
    ("在城市自助终端扫描右侧二维码；", "Scan the QR code at a city kiosk,"),
    ("或运行 python main.py verify FILE.pdf", "or run python main.py verify FILE.pdf"),
    ("本文件内嵌证明文件并带有数字签章。", "This PDF carries an embedded proof file and a digital seal."),
    ("撤销状态在线核验。", "Revocation is checked online."),
)


def render_pdf(doc: PrintedCertificate, *, creation_date: datetime | None = None) -> bytes:
    """The licence as unsigned PDF bytes; deterministic for a given input.

    `creation_date` (default: `doc.issued_at`) goes into the PDF's
    CreationDate and ModDate.
    """
    font = _font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, initialFontName=font, initialFontSize=10, initialLeading=12, lang="zh-CN")
    c.setPageCompression(1)
    stamp = _pdf_date(creation_date, doc.issued_at)
    if stamp is not None:
        c.setDateFormatter(lambda *_ignored: stamp)
    c.setTitle(f"{doc.title_zh} {doc.title_en} {doc.cert_id}")
    c.setAuthor(doc.agency_en)
    c.setSubject(f"电子证照 Electronic licence {doc.cert_id}")
    c.setCreator("CityChain 可信城市")

    qr = _qr(doc.qr_text)
    module = max(QR_MIN_MODULE, QR_MIN_MODULES_MM / qr.symbol_size(border=0)[0])
    qr_total = (qr.symbol_size(border=0)[0] + 2 * QR_QUIET) * module
    band_top = BAND_Y + 6 * mm + qr_total  # the caption sits under the QR code

    banner = _BANNER_SPACE if doc.void_reason else 0.0
    capacities = (HEADER_BOTTOM - banner - band_top - 5 * mm, CONTINUED_HEADER_BOTTOM - banner - FOOTER_Y - 5 * mm)
    pages = _layout_table(_rows(doc), capacities)

    for number, pieces in enumerate(pages, start=1):
        _frame(c)
        if number == 1:
            top = _header(c, doc)
        else:
            top = _continuation_header(c, doc)
        if doc.void_reason:
            top = _void_banner(c, top, doc.void_reason)
        _table(c, top, pieces)
        if number == 1:
            _bottom_band(c, doc, qr, module, band_top)
        _footer(c, number, len(pages))
        if doc.void_reason:
            _void_watermark(c, doc.void_reason)
        c.showPage()
    c.save()
    return buf.getvalue()


def _display_time(stamp: str) -> str:
    """ "2026-03-01T08:00:00.000Z" as "2026-03-01 08:00:00 UTC"; anything else as given."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    offset = when.utcoffset()
    if offset is None:
        return text
    if not offset:
        return f"{text} UTC"
    return f"{text} UTC{when.strftime('%z')[:3]}:{when.strftime('%z')[3:]}"


# ---------------------------------------------------------------- text

# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class _Row:
    label_zh: str
    label_en: str
    value: str


@dataclass(frozen=True)
class _Piece:
    """The part of a row set on one page."""

    label_zh: list[str]
    label_en: list[str]
    value: list[str]
    size: float
    height: float


def _rows(doc: PrintedCertificate) -> list[_Row]:
    rows = [_Row(f.label_zh, f.label_en, f.value) for f in doc.fields]
    rows.append(_Row("有效期自", "Valid from", doc.valid_from))
    rows.append(_Row("有效期至", "Valid until", doc.valid_until or _NO_EXPIRY))
    rows.append(_Row("签发时间", "Issued at", _display_time(doc.issued_at)))
    return rows


_ZH_LEAD = LABEL_ZH_SIZE * 1.25
_EN_LEAD = LABEL_EN_SIZE * 1.2


def _leading(size: float) -> float:
    return size * 1.45


def _label_lines(row: _Row, continued: bool) -> tuple[list[str], list[str]]:
    inner = LABEL_W - 2 * CELL_PAD_X
    zh = row.label_zh + ("（续）" if continued else "")
    en = row.label_en + (" (continued)" if continued else "")
    return _wrap(zh, LABEL_ZH_SIZE, inner), _wrap(en, LABEL_EN_SIZE, inner)


def _piece(zh: list[str], en: list[str], value: list[str], size: float) -> _Piece:
    label_h = len(zh) * _ZH_LEAD + 0.5 + len(en) * _EN_LEAD
    value_h = (len(value) - 1) * _leading(size) + size * 1.15
    return _Piece(zh, en, value, size, 2 * CELL_PAD_Y + max(label_h, value_h))


def _layout_table(rows: list[_Row], capacities: tuple[float, float]) -> list[list[_Piece]]:
    """Pages of row pieces: the largest type that fits page 1, else run on to more pages."""
    for size in VALUE_SIZES:
        pages = _paginate(rows, size, capacities)
        if len(pages) == 1:
            return pages
    best: list[list[_Piece]] = []
    for size in RUN_ON_SIZES:  # the fewest pages, then the largest type
        pages = _paginate(rows, size, capacities)
        if not best or len(pages) < len(best):
            best = pages
    return best


_VALUE_W = CONTENT_W - LABEL_W - 2 * CELL_PAD_X
_SHORT_LINES = 2  # a value this short keeps the full type size; only longer ones shrink


def _paginate(rows: list[_Row], size: float, capacities: tuple[float, float]) -> list[list[_Piece]]:
    pages: list[list[_Piece]] = [[]]
    used = 0.0
    for row in rows:
        row_size = VALUE_SIZES[0]
        lines = _wrap(row.value, row_size, _VALUE_W)
        if len(lines) > _SHORT_LINES and size != row_size:
            row_size = size
            lines = _wrap(row.value, row_size, _VALUE_W)
        continued = False
        while lines:
            capacity = capacities[0 if len(pages) == 1 else 1]
            zh, en = _label_lines(row, continued)
            whole = _piece(zh, en, lines, row_size)
            if used + whole.height <= capacity:
                pages[-1].append(whole)
                used += whole.height
                break
            fit = 0
            while fit < len(lines) and used + _piece(zh, en, lines[: fit + 1], row_size).height <= capacity:
                fit += 1
            fit = min(fit, len(lines) - 2)  # never leave a single line behind
            if fit >= 3 or (fit >= 1 and not pages[-1]):
                part = _piece(zh, en, lines[:fit], row_size)
                pages[-1].append(part)
                lines = lines[fit:]
                continued = True
            elif not pages[-1]:  # taller than a whole page and unsplittable: set it anyway
                pages[-1].append(whole)
                used += whole.height
                break
            pages.append([])
            used = 0.0
    return pages


def _table(c: Canvas, top: float, pieces: list[_Piece]) -> None:
    if not pieces:
        return
    height = sum(p.height for p in pieces)
    bottom = top - height
    c.saveState()
    c.setFillColor(LABEL_BG)
    c.rect(X0, bottom, LABEL_W, height, stroke=0, fill=1)
    c.setStrokeColor(RULE)
    c.setLineWidth(0.4)
    y = top
    for piece in pieces[:-1]:
        y -= piece.height
        c.line(X0, y, X1, y)
    c.line(X0 + LABEL_W, top, X0 + LABEL_W, bottom)
    c.setStrokeColor(FRAME)
    c.setLineWidth(1.0)
    c.rect(X0, bottom, CONTENT_W, height, stroke=1, fill=0)
    c.restoreState()

    y = top
    for piece in pieces:
        cell_top = y - CELL_PAD_Y
        _lines(c, X0 + CELL_PAD_X, cell_top, piece.label_zh, LABEL_ZH_SIZE, _ZH_LEAD)
        en_top = cell_top - len(piece.label_zh) * _ZH_LEAD - 0.5
        _lines(c, X0 + CELL_PAD_X, en_top, piece.label_en, LABEL_EN_SIZE, _EN_LEAD, GREY)
        _lines(c, X0 + LABEL_W + CELL_PAD_X, cell_top, piece.value, piece.size, _leading(piece.size))
        y -= piece.height


# ---------------------------------------------------------------- page furniture

_BANNER_H = 10 * mm
_BANNER_SPACE = _BANNER_H + 3 * mm


def _header(c: Canvas, doc: PrintedCertificate) -> float:
    """Title block of page 1; returns where the next block starts."""
    cx = PAGE_W / 2
    _text(
        c,
        cx,
        PAGE_H - 17 * mm,
        "可信城市 · 电子证照    CITYCHAIN · ELECTRONIC LICENCE",
        7.5,
        GREY,
        anchor="centre",
        space=0.6,
    )
    title_size = 30.0
    spacing = title_size * (0.5 if len(doc.title_zh) <= 5 else 0.15)
    while _width(doc.title_zh, title_size) + spacing * len(doc.title_zh) > CONTENT_W and title_size > 14:
        title_size -= 1
        spacing = 0.0
    _text(c, cx, PAGE_H - 29.5 * mm, doc.title_zh, title_size, INK, anchor="centre", space=spacing, bold=True)
    _text(c, cx, PAGE_H - 36.5 * mm, doc.title_en, 13, INK, anchor="centre", space=0.8)
    _ornament(c, cx, PAGE_H - 40.5 * mm)
    _id_line(c, cx, PAGE_H - 46 * mm, doc.cert_id)
    return HEADER_BOTTOM


def _id_line(c: Canvas, cx: float, y: float, cert_id: str) -> None:
    label = "证照编号 Certificate ID："
    size = 9.0
    while _width(label + cert_id, size) > CONTENT_W and size > 5:
        size -= 0.5
    total = _width(label, 8.0) + _width(cert_id, size)
    x = cx - total / 2
    _text(c, x, y, label, 8.0, GREY)
    _text(c, x + _width(label, 8.0), y, cert_id, size, INK)


def _continuation_header(c: Canvas, doc: PrintedCertificate) -> float:
    _text(c, X0, PAGE_H - 22 * mm, f"{doc.title_zh}（续页）", 16, INK, bold=True)
    _text(c, X0, PAGE_H - 28.5 * mm, f"{doc.title_en} (continued)", 10, INK)
    _text(c, X1, PAGE_H - 22 * mm, "证照编号 Certificate ID", 7.5, GREY, anchor="right")
    size = 8.5
    while _width(doc.cert_id, size) > CONTENT_W * 0.55 and size > 5:
        size -= 0.5
    _text(c, X1, PAGE_H - 28.5 * mm, doc.cert_id, size, INK, anchor="right")
    c.saveState()
    c.setStrokeColor(FRAME)
    c.setLineWidth(0.6)
    c.line(X0, PAGE_H - 32 * mm, X1, PAGE_H - 32 * mm)
    c.restoreState()
    return CONTINUED_HEADER_BOTTOM


def _footer(c: Canvas, number: int, count: int) -> None:
    text = f"第 {number} 页 / 共 {count} 页 · Page {number} of {count}"
    if number < count:
        text += " · 续见下页 / continued on the next page"
    _text(c, PAGE_W / 2, FOOTER_Y, text, 7, GREY, anchor="centre")


def _void_banner(c: Canvas, top: float, reason: tuple[str, str]) -> float:
    zh, en = reason
    c.saveState()
    c.setFillColor(VOID_RED)
    c.rect(X0, top - _BANNER_H, CONTENT_W, _BANNER_H, stroke=0, fill=1)
    c.restoreState()
    text = f"本证照已作废（{zh}），不得作为有效证明    THIS LICENCE IS VOID ({en}) — NOT VALID"
    size = 11.0
    while _width(text, size) > CONTENT_W - 6 * mm and size > 6:
        size -= 0.5
    _text(c, PAGE_W / 2, top - _BANNER_H / 2 - size * 0.35, text, size, white, anchor="centre", bold=True)
    return top - _BANNER_SPACE


def _void_watermark(c: Canvas, reason: tuple[str, str]) -> None:
    """Big red diagonal words across the page ("作废 VOID", the reason under it),
    over everything, so no part of the page looks valid. It runs corner to
    corner, well clear of the QR code in the lower right."""
    big, small = "作废 VOID", f"— {reason[0]} {reason[1]}"
    room = math.hypot(PAGE_W, PAGE_H) - 90 * mm
    big_size = min(120.0, room / _width(big, 1.0))
    small_size = min(big_size * 0.42, room / _width(small, 1.0))
    c.saveState()
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(math.degrees(math.atan2(PAGE_H, PAGE_W)))
    # A translucent fill inside a firmer outline: the page stays readable underneath.
    c.setFillColor(VOID_RED, 0.3)
    c.setStrokeColor(VOID_RED, 0.8)
    lines = ((big, big_size, -big_size * 0.1), (small, small_size, -big_size * 0.1 - small_size * 1.35))
    for text, size, baseline in lines:
        c.setLineWidth(size / 80)
        t = c.beginText(-_width(text, size) / 2, baseline)
        t.setFont(FONT_NAME, size)
        t.setTextRenderMode(2)
        t.textOut(text)
        c.drawText(t)
    c.restoreState()


# ---------------------------------------------------------------- bottom band


def _bottom_band(c: Canvas, doc: PrintedCertificate, qr: segno.QRCode, module: float, band_top: float) -> None:
    qr_total = (qr.symbol_size(border=0)[0] + 2 * QR_QUIET) * module
    qr_x = X1 - qr_total
    qr_y = band_top - qr_total
    _draw_qr(c, qr, qr_x, qr_y, module)
    _text(c, qr_x + qr_total / 2, qr_y - 4.5 * mm, "扫码验证 / Scan to verify", 8.5, INK, anchor="centre")

    _verify_box(c, X0, band_top, VERIFY_W, band_top - BAND_Y)

    left = X0 + VERIFY_W + 3 * mm
    right = qr_x - 3 * mm
    _issuer(c, doc, (left + right) / 2, right - left, band_top)


def _verify_box(c: Canvas, x: float, top: float, width: float, height: float) -> None:
    c.saveState()
    c.setStrokeColor(RULE)
    c.setFillColor(LABEL_BG)
    c.setLineWidth(0.6)
    c.roundRect(x, top - height, width, height, 2 * mm, stroke=1, fill=1)
    c.restoreState()
    inner_x = x + 3.5 * mm
    inner_w = width - 7 * mm
    y = top - 4 * mm
    _text(c, inner_x, y - 10 * 0.86, "如何验证 How to verify", 10, INK, bold=True)
    y -= 10 * 1.9
    step_w = inner_w - 5 * mm
    for number, (zh, en) in enumerate(_VERIFY_STEPS, start=1):
        _text(c, inner_x, y - 8.2 * 0.86, f"{number}.", 8.2, FRAME, bold=True)
        zh_lines = _wrap(zh, 8.2, step_w)
        _lines(c, inner_x + 5 * mm, y, zh_lines, 8.2, 8.2 * 1.35)
        y -= len(zh_lines) * 8.2 * 1.35 + 0.5
        en_lines = _wrap(en, 7.2, step_w)
        _lines(c, inner_x + 5 * mm, y, en_lines, 7.2, 7.2 * 1.3, GREY)
        y -= len(en_lines) * 7.2 * 1.3 + 4.5


def _issuer(c: Canvas, doc: PrintedCertificate, cx: float, width: float, band_top: float) -> None:
    """The issuing agency and date, the seal stamped over the agency's name."""
    _text(c, cx, band_top - 3.5 * mm, "发证机关 Issuing authority", 7.5, GREY, anchor="centre")
    name_size = 13.0
    while _width(doc.agency_zh, name_size) > width and name_size > 7:
        name_size -= 0.5
    name_y = band_top - 5 * mm - SEAL_RADIUS - name_size * 0.35
    _text(c, cx, name_y, doc.agency_zh, name_size, INK, anchor="centre", bold=True)
    line_y = name_y - 5 * mm
    for line in _wrap(doc.agency_en, 7.5, width):
        _text(c, cx, line_y, line, 7.5, INK, anchor="centre")
        line_y -= 9.5
    _text(c, cx, line_y - 2.5 * mm, f"签发日期 Date of issue  {doc.issued_at[:10]}", 8, INK, anchor="centre")
    draw_seal(c, cx, name_y + name_size * 0.35, SEAL_RADIUS, doc.agency_zh, FONT_NAME)

"""The printed page of a donation receipt (公益事业捐赠收据): unsigned PDF bytes.

A pure function of its input: the same `PrintedReceipt` (and creation date)
gives byte-identical output; the proof file and the PAdES seal are added
afterwards (`charity.receipt_pdf`). One A4 page, bilingual: the title and
receipt code, a table (donor, amount in figures and in Chinese capitals,
fund, channel, date in the city's time, recipient, ledger position), and
along the bottom "how to verify and trace", the charity under its red seal,
and the QR code (≥ 42 mm of modules, quiet zone, error correction Q). Every
character is set in the one embedded CJK font.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from citychain.documents.furniture import (
    FRAME,
    GREY,
    LABEL_BG,
    PAGE_H,
    PAGE_W,
    RULE,
    frame,
    ornament,
)
from citychain.documents.money import rmb_capital, yuan_figures
from citychain.documents.seal import draw_seal
from citychain.documents.typeset import (
    INK,
    QR_QUIET,
    draw_lines,
    draw_qr,
    draw_text,
    font,
    pdf_date,
    qr_symbol,
    text_width,
    wrap_text,
)

CHANNEL_WORDS = {
    "cash": ("现金", "Cash"),
    "bank": ("银行转账", "Bank transfer"),
    "online": ("网上支付", "Online payment"),
}
SEAL_LABEL = "财务专用章"


@dataclass(frozen=True)
class PrintedReceipt:
    receipt: str
    charity_zh: str
    charity_en: str
    donor_name: str | None  # None: an anonymous donation, printed as such
    donor_id_masked: str | None
    amount_fen: int
    fund_zh: str
    fund_en: str
    channel: str  # cash | bank | online
    donated_at: str  # city time, e.g. "2026-03-01 16:00:00 (UTC+08:00)"
    log: str  # the charity's agency id
    seq: int
    leaf_hash: str
    qr_text: str


MARGIN = 15 * mm
X0, X1 = MARGIN, PAGE_W - MARGIN
CONTENT_W = X1 - X0
LABEL_W = 46 * mm
PAD_X, PAD_Y = 2.6 * mm, 2.0 * mm
VALUE_W = CONTENT_W - LABEL_W - 2 * PAD_X
QR_MIN_MODULES = 42 * mm  # the modules area, quiet zone not included
QR_MIN_MODULE = 0.5 * mm  # scans from paper and decodes at 150 dpi
VERIFY_W = 70 * mm
SEAL_RADIUS = 20 * mm
BAND_Y = 17 * mm  # lower edge of the bottom band
TABLE_TOP = PAGE_H - 52 * mm

STEPS = (  # (zh, en)
    (
        "在城市自助终端扫描右侧二维码，核验收据并查看善款去向；",
        "Scan the QR code at a city kiosk to verify this receipt and see where the money went.",
    ),
    ("或运行 python main.py verify 本文件.pdf；", "Or run python main.py verify FILE.pdf."),
    (
        "查询去向：python main.py charity trace --home 节点目录 收据编号。",
        "To trace it: python main.py charity trace --home DIR RECEIPT.",
    ),
    (
        "本文件内嵌账本证明并带有数字签章；退款与冲正状态需在线核验。",
        "This PDF carries a ledger proof and a digital seal; refunds and reversals are checked online.",
    ),
)


@dataclass(frozen=True)
class _Row:
    label_zh: str
    label_en: str
    value: str
    size: float = 11.0
    bold: bool = False


def _rows(doc: PrintedReceipt) -> list[_Row]:
    channel_zh, channel_en = CHANNEL_WORDS.get(doc.channel, (doc.channel, doc.channel))
    donor = doc.donor_name if doc.donor_name is not None else "匿名捐赠  Anonymous donation"
    rows = [_Row("捐赠人", "Donor", donor, 12.0, True)]
    if doc.donor_name is not None and doc.donor_id_masked:
        rows.append(_Row("证件号码", "ID number", doc.donor_id_masked))
    rows += [
        _Row("捐赠金额（小写）", "Amount", yuan_figures(doc.amount_fen), 14.0, True),
        _Row("金额大写", "Amount in words", rmb_capital(doc.amount_fen), 12.0, True),
        _Row("捐赠用途（基金）", "Fund", f"{doc.fund_zh}\n{doc.fund_en}"),
        _Row("捐赠方式", "Channel", f"{channel_zh}  {channel_en}"),
        _Row("捐赠时间", "Date", doc.donated_at),
        _Row("受赠单位", "Recipient", f"{doc.charity_zh}\n{doc.charity_en}"),
        _Row(
            "账本记录",
            "Ledger record",
            f"{doc.log} · 第 {doc.seq} 条 / entry {doc.seq}\n记录哈希 leaf hash: {doc.leaf_hash}",
            8.5,
        ),
    ]
    return rows


def render_receipt(doc: PrintedReceipt, *, creation_date: datetime | None = None) -> bytes:
    """The receipt as unsigned PDF bytes; deterministic for a given input."""
    face = font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, initialFontName=face, initialFontSize=10, initialLeading=12, lang="zh-CN")
    c.setPageCompression(1)
    stamp = pdf_date(creation_date, "")
    if stamp is not None:
        c.setDateFormatter(lambda *_ignored: stamp)
    c.setTitle(f"捐赠收据 Donation receipt {doc.receipt}")
    c.setAuthor(doc.charity_en)
    c.setSubject(f"公益捐赠电子收据 Electronic donation receipt {doc.receipt}")
    c.setCreator("CityChain 可信城市")

    frame(c)
    _header(c, doc)
    bottom = _table(c, TABLE_TOP, _rows(doc))
    draw_text(
        c,
        PAGE_W / 2,
        bottom - 8 * mm,
        "感谢您对公益事业的支持！  Thank you for supporting public welfare.",
        10.5,
        FRAME,
        anchor="centre",
    )
    if bottom - 16 * mm - _PATH_H > _band_top(doc) + 4 * mm:  # a long name leaves no room: the steps say it too
        _path_of_money(c, bottom - 16 * mm)
    _bottom_band(c, doc)
    draw_text(
        c,
        PAGE_W / 2,
        11 * mm,
        "电子收据 · 由可信城市账本生成并加盖电子印章 · "
        "Electronic receipt, generated from the CityChain ledger and digitally sealed",
        6.8,
        GREY,
        anchor="centre",
    )
    c.showPage()
    c.save()
    return buf.getvalue()


def _header(c: Canvas, doc: PrintedReceipt) -> None:
    cx = PAGE_W / 2
    draw_text(
        c,
        cx,
        PAGE_H - 17 * mm,
        "可信城市 · 公益捐赠电子收据    CITYCHAIN · ELECTRONIC DONATION RECEIPT",
        7.5,
        GREY,
        anchor="centre",
        space=0.6,
    )
    draw_text(c, cx, PAGE_H - 29.5 * mm, "公益事业捐赠收据", 26, INK, anchor="centre", space=4, bold=True)
    draw_text(c, cx, PAGE_H - 36.5 * mm, "Receipt for a Charitable Donation", 13, INK, anchor="centre", space=0.6)
    ornament(c, cx, PAGE_H - 40.5 * mm)
    label = "收据编号 Receipt No.："
    total = text_width(label, 9) + text_width(doc.receipt, 12)
    x = cx - total / 2
    draw_text(c, x, PAGE_H - 47 * mm, label, 9, GREY)
    draw_text(c, x + text_width(label, 9), PAGE_H - 47 * mm, doc.receipt, 12, INK, bold=True)


def _table(c: Canvas, top: float, rows: list[_Row]) -> float:
    """The rows, label column shaded; returns the table's lower edge."""
    laid = []
    for row in rows:
        size = row.size
        lines = wrap_text(row.value, size, VALUE_W)
        while len(lines) > 4 and size > 7:  # a very long name: smaller, never clipped
            size -= 0.5
            lines = wrap_text(row.value, size, VALUE_W)
        label_h = 10 * 1.25 + 7.5 * 1.2
        height = 2 * PAD_Y + max(label_h, (len(lines) - 1) * size * 1.4 + size * 1.15)
        laid.append((row, lines, size, height))
    height = sum(h for *_, h in laid)
    bottom = top - height
    c.saveState()
    c.setFillColor(LABEL_BG)
    c.rect(X0, bottom, LABEL_W, height, stroke=0, fill=1)
    c.setStrokeColor(RULE)
    c.setLineWidth(0.4)
    y = top
    for *_, h in laid[:-1]:
        y -= h
        c.line(X0, y, X1, y)
    c.line(X0 + LABEL_W, top, X0 + LABEL_W, bottom)
    c.setStrokeColor(FRAME)
    c.setLineWidth(1.0)
    c.rect(X0, bottom, CONTENT_W, height, stroke=1, fill=0)
    c.restoreState()
    y = top
    for row, lines, size, h in laid:
        cell = y - PAD_Y
        draw_lines(c, X0 + PAD_X, cell, [row.label_zh], 10, 12.5)
        draw_lines(c, X0 + PAD_X, cell - 12.5, [row.label_en], 7.5, 9, GREY)
        if row.bold:
            for k, line in enumerate(lines):
                draw_text(c, X0 + LABEL_W + PAD_X, cell - size * 0.86 - k * size * 1.4, line, size, INK, bold=True)
        else:
            draw_lines(c, X0 + LABEL_W + PAD_X, cell, lines, size, size * 1.4)
        y -= h
    return bottom


_PATH = (
    ("捐赠", "Donation"),
    ("基金", "Fund"),
    ("项目", "Project"),
    ("拨付", "Disbursement"),
    ("受益方确认", "Acknowledged"),
)


_PATH_H = 6 * mm + 11 * mm + 10 * mm


def _path_of_money(c: Canvas, top: float) -> None:
    """Where a gift goes, as the trace will show it: a row of steps with arrows."""
    draw_text(
        c,
        PAGE_W / 2,
        top - 9 * 0.86,
        "善款去向全程可查  Every step of your gift can be traced",
        9,
        INK,
        anchor="centre",
        bold=True,
    )
    box_w, box_h, gap = 27 * mm, 11 * mm, 8 * mm
    n = len(_PATH)
    x = PAGE_W / 2 - (n * box_w + (n - 1) * gap) / 2
    y = top - 6 * mm - box_h
    for k, (zh, en) in enumerate(_PATH):
        c.saveState()
        c.setStrokeColor(RULE)
        c.setFillColor(LABEL_BG)
        c.setLineWidth(0.6)
        c.roundRect(x, y, box_w, box_h, 1.6 * mm, stroke=1, fill=1)
        c.restoreState()
        draw_text(c, x + box_w / 2, y + box_h - 4.6 * mm, zh, 9, INK, anchor="centre")
        draw_text(c, x + box_w / 2, y + 2.2 * mm, en, 6.5, GREY, anchor="centre")
        if k < n - 1:
            _arrow(c, x + box_w + 1.5 * mm, x + box_w + gap - 1.5 * mm, y + box_h / 2)
        x += box_w + gap
    draw_text(
        c,
        PAGE_W / 2,
        y - 5 * mm,
        "每一步都记录在慈善组织的账本中，受益单位在自己的账本中确认收款。",
        7.8,
        GREY,
        anchor="centre",
    )
    draw_text(
        c,
        PAGE_W / 2,
        y - 8.8 * mm,
        "Each step is a record in the charity's ledger; the beneficiary agency acknowledges receipt in its own.",
        6.8,
        GREY,
        anchor="centre",
    )


def _arrow(c: Canvas, x0: float, x1: float, y: float) -> None:
    c.saveState()
    c.setStrokeColor(FRAME)
    c.setFillColor(FRAME)
    c.setLineWidth(0.9)
    c.line(x0, y, x1 - 1.6 * mm, y)
    p = c.beginPath()
    p.moveTo(x1, y)
    p.lineTo(x1 - 2 * mm, y + 1.1 * mm)
    p.lineTo(x1 - 2 * mm, y - 1.1 * mm)
    p.close()
    c.drawPath(p, stroke=0, fill=1)
    c.restoreState()


def _qr_geometry(doc: PrintedReceipt):
    """(symbol, module size, total size with the quiet zone)."""
    qr = qr_symbol(doc.qr_text)
    modules = qr.symbol_size(border=0)[0]
    module = max(QR_MIN_MODULE, QR_MIN_MODULES / modules)
    return qr, module, (modules + 2 * QR_QUIET) * module


def _band_top(doc: PrintedReceipt) -> float:
    """The band is as tall as the tallest of its three parts needs."""
    return BAND_Y + max(_qr_geometry(doc)[2] + _CAPTION_H, _steps_height(VERIFY_W), _ISSUER_H)


def _bottom_band(c: Canvas, doc: PrintedReceipt) -> None:
    """QR on the right, the charity under its seal in the middle, the steps on the left."""
    qr, module, total = _qr_geometry(doc)
    qr_x = X1 - total
    band_top = _band_top(doc)
    qr_y = band_top - total
    draw_qr(c, qr, qr_x, qr_y, module)
    draw_text(c, qr_x + total / 2, qr_y - 3.6 * mm, "扫码验证 · 查询去向", 8, INK, anchor="centre")
    draw_text(c, qr_x + total / 2, qr_y - 7.2 * mm, "Scan to verify and trace", 7, GREY, anchor="centre")
    _steps(c, X0, band_top, VERIFY_W, band_top - BAND_Y)
    left, right = X0 + VERIFY_W + 3 * mm, qr_x - 3 * mm
    _issuer(c, doc, (left + right) / 2, right - left, band_top)


_CAPTION_H = 9 * mm
_ISSUER_H = 5 * mm + 2 * SEAL_RADIUS + 14 * mm
_STEP_ZH, _STEP_EN = 7.8, 6.8


def _step_lines(width: float) -> list[tuple[list[str], list[str]]]:
    step_w = width - 7 * mm - 5 * mm
    return [(wrap_text(zh, _STEP_ZH, step_w), wrap_text(en, _STEP_EN, step_w)) for zh, en in STEPS]


def _steps_height(width: float) -> float:
    body = sum(len(zh) * _STEP_ZH * 1.3 + 0.5 + len(en) * _STEP_EN * 1.25 + 3.2 for zh, en in _step_lines(width))
    return 4 * mm + 9.5 * 1.9 + body + 2 * mm


def _steps(c: Canvas, x: float, top: float, width: float, height: float) -> None:
    c.saveState()
    c.setStrokeColor(RULE)
    c.setFillColor(LABEL_BG)
    c.setLineWidth(0.6)
    c.roundRect(x, top - height, width, height, 2 * mm, stroke=1, fill=1)
    c.restoreState()
    inner_x = x + 3.5 * mm
    y = top - 4 * mm
    draw_text(c, inner_x, y - 9.5 * 0.86, "如何验证与查询 How to verify and trace", 9.5, INK, bold=True)
    y -= 9.5 * 1.9
    for number, (zh_lines, en_lines) in enumerate(_step_lines(width), start=1):
        draw_text(c, inner_x, y - _STEP_ZH * 0.86, f"{number}.", _STEP_ZH, FRAME, bold=True)
        draw_lines(c, inner_x + 5 * mm, y, zh_lines, _STEP_ZH, _STEP_ZH * 1.3)
        y -= len(zh_lines) * _STEP_ZH * 1.3 + 0.5
        draw_lines(c, inner_x + 5 * mm, y, en_lines, _STEP_EN, _STEP_EN * 1.25, GREY)
        y -= len(en_lines) * _STEP_EN * 1.25 + 3.2


def _issuer(c: Canvas, doc: PrintedReceipt, cx: float, width: float, band_top: float) -> None:
    """The charity's names and the date, its financial seal stamped over the
    lower part, as a stamp lands on the name at the foot of a paper receipt —
    clear of the seal's own name on the arc and its label under the star."""
    draw_text(c, cx, band_top - 3.5 * mm, "受赠单位（盖章） Recipient (sealed)", 7.5, GREY, anchor="centre")
    centre = band_top - 5 * mm - SEAL_RADIUS
    size = 13.0
    while text_width(doc.charity_zh, size) > width and size > 7:
        size -= 0.5
    name_y = centre - SEAL_RADIUS * 0.86
    draw_text(c, cx, name_y, doc.charity_zh, size, INK, anchor="centre", bold=True)
    y = centre - SEAL_RADIUS - 4 * mm
    for line in wrap_text(doc.charity_en, 7, width)[:2]:
        draw_text(c, cx, y, line, 7, INK, anchor="centre")
        y -= 8.5
    draw_text(c, cx, y - 1.5 * mm, f"开具日期 Date  {doc.donated_at[:10]}", 8, INK, anchor="centre")
    draw_seal(c, cx, centre, SEAL_RADIUS, doc.charity_zh, font(), label_zh=SEAL_LABEL)

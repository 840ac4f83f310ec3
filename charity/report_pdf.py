"""A fund's public report as a PDF: the totals, where the money went (a flow
diagram), each project, and every disbursement with who approved it and
whether the beneficiary acknowledged it.

Laid out with reportlab's platypus, so long tables run on over as many A4
pages as they need with their header row repeated; bilingual throughout,
every character in the one embedded CJK font (no standard-14 font is ever
referenced). The numbers are `charity.trace`'s totals and the index tables'
rows, exactly as any node that mirrors the charity's log would compute them.
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from citychain.clock import format_time
from citychain.documents.city_time import city_datetime
from citychain.documents.furniture import FRAME, GREY, LABEL_BG, RULE
from citychain.documents.money import yuan_figures
from citychain.documents.typeset import FONT_NAME, INK, font, pdf_date
from citychain.node.node import Node

from . import money_states as ms
from .disbursements import STATUS_WORDS, Disbursement, disbursements
from .flow import fund_flow
from .flow_diagram import flow_drawing
from .trace import FundTotals, ProjectTotals, fund_totals, projects

MARGIN = 16 * mm
CONTENT_W = A4[0] - 2 * MARGIN
HEAD_BG = Color(0.93, 0.89, 0.80)


def _style(size: float, leading: float | None = None, colour: Color = INK, align: int = 0, **more) -> ParagraphStyle:
    return ParagraphStyle(
        f"s{size}-{align}",
        fontName=FONT_NAME,
        fontSize=size,
        leading=leading or size * 1.35,
        textColor=colour,
        wordWrap="CJK",
        alignment=align,
        **more,
    )


TITLE = _style(20, 26, INK, 1)
SUBTITLE = _style(11.5, 16, INK, 1)
NOTE = _style(7.8, 10.5, GREY)
H2 = _style(12.5, 17, spaceBefore=6 * mm, spaceAfter=2 * mm)
CELL = _style(7.8, 10)
CELL_R = _style(7.8, 10, INK, 2)
HEAD = _style(7.4, 9.4, INK)
HEAD_R = _style(7.4, 9.4, INK, 2)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _bi(zh: str, en: str, style: ParagraphStyle) -> Paragraph:
    """Chinese over English in one cell."""
    return Paragraph(f"{escape(zh)}<br/><font size='{style.fontSize - 1}' color='#61616b'>{escape(en)}</font>", style)


class _Canvas(Canvas):
    """The CJK font as the page's initial font, so Helvetica is never referenced."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.update(initialFontName=font(), initialFontSize=9, initialLeading=11)  # platypus passes None
        super().__init__(*args, **kwargs)
        self.setPageCompression(1)


def fund_report_pdf(node: Node, fund_id: str, *, charity: str | None = None) -> bytes:
    """The report of one of this node's charity's funds (or of `charity`'s, from
    this node's mirror of its log)."""
    charity = charity or node.config.agency
    conn = node.store.conn
    totals = fund_totals(conn, charity, fund_id)
    project_list = projects(conn, charity, fund_id)
    rows = disbursements(conn, charity, fund_id)
    agency = node.trust.agencies.get(charity)
    names = (agency.name_zh, agency.name_en) if agency else (charity, charity)
    head = node.store.head(charity)
    return render_report(totals, project_list, rows, names, head.size if head else 0, node.clock.now())


def render_report(
    totals: FundTotals,
    project_list: tuple[ProjectTotals, ...],
    rows: list[Disbursement],
    charity_names: tuple[str, str],
    log_size: int,
    now: datetime,
) -> bytes:
    font()
    buf = io.BytesIO()
    as_of = city_datetime(now)
    doc = report_document(
        buf,
        f"基金报告 Fund report {totals.name_zh} {totals.name_en}",
        charity_names[1],
        f"{totals.id} · {format_time(now)}",
    )
    furniture = page_furniture(
        now,
        f"{charity_names[0]} · 基金报告  {charity_names[1]} · Fund report",
        f"{totals.name_zh} {totals.name_en}",
        f"截至 As of {as_of:%Y-%m-%d %H:%M} (UTC+08:00)",
    )

    story = [
        _p(f"{totals.name_zh} 基金报告", TITLE),
        _p(f"Fund report: {totals.name_en}", SUBTITLE),
        Spacer(1, 2 * mm),
        _p(
            f"{charity_names[0]}  {charity_names[1]} · 基金编号 Fund id {totals.id} · "
            f"账本 {totals.charity} 共 {log_size} 条记录 / ledger of {log_size} entries · "
            f"截至 As of {as_of:%Y-%m-%d %H:%M:%S} (UTC+08:00)",
            _style(8, 11, GREY, 1),
        ),
        Spacer(1, 5 * mm),
        _totals_table(totals),
        CondPageBreak(45 * mm),  # a heading never ends a page
        _p("善款流向  Where the money went", H2),
        flow_drawing(fund_flow(totals, project_list), CONTENT_W),
        _p(
            "左：基金收到的捐款；中：退款、未分配与拨付给各项目的款项；右：项目中的执行情况。金额为人民币元。"
            "  Left: donations to the fund; middle: refunds, money not yet allocated, and allocations to each "
            "project; right: what the projects did with it. Amounts in yuan.",
            NOTE,
        ),
        CondPageBreak(45 * mm),  # a heading never ends a page
        _p("项目  Projects", H2),
        _projects_table(project_list),
        CondPageBreak(45 * mm),  # a heading never ends a page
        _p("支出明细  Disbursements", H2),
        _disbursements_table(rows),
        Spacer(1, 4 * mm),
        _p(
            "“已确认”表示受益单位已在其自己的账本中确认收款，并经本节点核对。每条记录均可用收据编号或账本序号在任何节点核验。"
            "  “Acknowledged” means the beneficiary agency confirmed receipt in its own ledger and this node checked it "
            "against the charity's. Every record can be checked on any node by its receipt code or ledger position.",
            NOTE,
        ),
    ]
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture, canvasmaker=_Canvas)
    return buf.getvalue()


def report_document(buf: io.BytesIO, title: str, author: str, subject: str) -> SimpleDocTemplate:
    """An A4 charity report: its margins and PDF metadata."""
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="CityChain 可信城市",
        invariant=1,
        lang="zh-CN",
    )


def page_furniture(now: datetime, left: str, right: str, footer: str):
    """The running head (a rule, `left` and `right` above it) and the page-number
    footer every charity report page carries, as a platypus page callback; the
    PDF's dates are `now`'s."""
    stamp = pdf_date(now, "")

    def furniture(canvas: Canvas, document) -> None:
        if stamp:
            canvas.setDateFormatter(lambda *_ignored: stamp)
        canvas.saveState()
        canvas.setStrokeColor(FRAME)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, A4[1] - 14 * mm, A4[0] - MARGIN, A4[1] - 14 * mm)
        canvas.setFont(FONT_NAME, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, A4[1] - 12 * mm, left)
        canvas.drawRightString(A4[0] - MARGIN, A4[1] - 12 * mm, right)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {document.page} 页 · Page {document.page}    {footer}")
        canvas.restoreState()

    return furniture


def _grid(data: list, widths: list[float], repeat: int = 1, zebra: bool = True, empty: bool = False) -> Table:
    table = Table(data, colWidths=widths, repeatRows=repeat, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("FONTSIZE", (0, 0), (-1, -1), 7.8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, repeat - 1), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, repeat - 1), 0.8, FRAME),
        ("BOX", (0, 0), (-1, -1), 0.8, FRAME),
        ("INNERGRID", (0, repeat), (-1, -1), 0.3, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if zebra:
        style.append(("ROWBACKGROUNDS", (0, repeat), (-1, -1), [white, LABEL_BG]))
    if empty:  # one sentence across the whole row
        style.append(("SPAN", (0, repeat), (-1, repeat)))
    table.setStyle(TableStyle(style))
    return table


def _totals_table(t: FundTotals) -> Table:
    target = yuan_figures(t.target_fen) if t.target_fen else "—"
    share = f"{t.raised_fen / t.target_fen:.1%}" if t.target_fen else "—"
    items = [
        ("募集目标", "Target", target),
        (f"已募集（共 {t.donations} 笔）", f"Raised ({t.donations} donations)", yuan_figures(t.raised_fen)),
        ("完成目标", "Of target", share),
        (ms.REFUNDED.zh, ms.REFUNDED.en, yuan_figures(t.refunded_fen)),
        ("已分配到项目", "Allocated to projects", yuan_figures(t.allocated_fen)),
        (ms.UNALLOCATED.zh, ms.UNALLOCATED.en, yuan_figures(t.unallocated_fen)),
        (f"{ms.PAID_OUT[0]}（经批准）", f"{ms.PAID_OUT[1]} (approved)", yuan_figures(t.disbursed_fen)),
        (f"其中{ms.ACKNOWLEDGED.zh}", f"of which {ms.ACKNOWLEDGED.en.lower()}", yuan_figures(t.acknowledged_fen)),
        (ms.SPENT.zh, ms.SPENT.en, yuan_figures(t.spent_fen)),
        (ms.PENDING.zh, ms.PENDING.en, yuan_figures(t.pending_fen)),
        (ms.HELD.zh, ms.HELD.en, yuan_figures(t.held_fen)),
        ("尚未使用", "Unspent", yuan_figures(t.unspent_fen)),
    ]
    cells = [[_bi(zh, en, HEAD), _p(value, _style(10, 12, INK, 2))] for zh, en, value in items]
    data, half = [], (len(cells) + 1) // 2
    for k in range(half):
        right = cells[half + k] if half + k < len(cells) else ["", ""]
        data.append(cells[k] + right)
    w = CONTENT_W / 2
    table = Table(data, colWidths=[w * 0.58, w * 0.42, w * 0.58, w * 0.42], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_BG),
                ("BACKGROUND", (2, 0), (2, -1), LABEL_BG),
                ("BOX", (0, 0), (-1, -1), 0.8, FRAME),
                ("INNERGRID", (0, 0), (-1, -1), 0.3, RULE),
                ("LINEAFTER", (1, 0), (1, -1), 0.8, FRAME),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _projects_table(project_list: tuple[ProjectTotals, ...]) -> Table:
    head = [_bi("项目", "Project", HEAD)] + [
        _bi(zh, en, HEAD_R)
        for zh, en in (
            ("预算", "Budget"),
            ("已拨入", "Allocated"),
            ("已拨付", "Disbursed"),
            ("已确认", "Acknowledged"),
            ("项目支出", "Spent"),
            ("待审批", "Pending"),
            ("结余", "Held"),
        )
    ]
    data = [head]
    for p in project_list:
        data.append(
            [_bi(p.name_zh, f"{p.name_en} · {p.id}", CELL)]
            + [
                _p(yuan_figures(v), CELL_R)
                for v in (
                    p.budget_fen,
                    p.allocated_fen,
                    p.disbursed_fen,
                    p.acknowledged_fen,
                    p.spent_fen,
                    p.pending_fen,
                    p.held_fen,
                )
            ]
        )
    if not project_list:
        data.append([_p("尚无项目  No projects yet", CELL)] + [""] * 7)
    number_w = (CONTENT_W * 0.72) / 7
    return _grid(data, [CONTENT_W * 0.28] + [number_w] * 7, empty=not project_list)


def _disbursements_table(rows: list[Disbursement]) -> Table:
    head = [
        _bi(zh, en, HEAD_R if en == "Amount" else HEAD)
        for zh, en in (
            ("编号", "ID"),
            ("项目", "Project"),
            ("金额", "Amount"),
            ("状态", "Status"),
            ("申请人", "Requested by"),
            ("批准人", "Approved by"),
            ("受益方确认", "Acknowledged"),
            ("用途", "Purpose"),
        )
    ]
    data = [head]
    for r in rows:
        zh, en = STATUS_WORDS.get(r.status, (r.status, r.status))
        approver = r.decided_by if r.status in ("approved", "reversed") else "—"
        if r.acknowledged:
            ack = _bi("已确认", f"{r.acknowledged_by} #{r.ack_seq}", CELL)
        else:
            ack = _bi("待确认", "awaiting", CELL) if r.status == "approved" else _p("—", CELL)
        data.append(
            [
                _p(r.id, CELL),
                _bi(r.project_name_zh, r.project, CELL),
                _p(yuan_figures(r.amount_fen), CELL_R),
                _bi(zh, en, CELL),
                _p(r.requested_by, CELL),
                _p(approver or "—", CELL),
                ack,
                _p(r.purpose, CELL),
            ]
        )
    if not rows:
        data.append([_p("尚无支出申请  No disbursement requests yet", CELL)] + [""] * 7)
    fractions = (0.12, 0.15, 0.11, 0.09, 0.1, 0.1, 0.13, 0.20)
    return _grid(data, [CONTENT_W * f for f in fractions], empty=not rows)

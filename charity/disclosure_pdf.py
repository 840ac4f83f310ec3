"""A project's disclosure report as a sealed PDF: the project, its dates and
what it owes, the money at the period's start, in it and at its end, and
every transaction of the period; the report's statement (`charity.quarterly`)
is attached as `disclosure-report.json` and the whole sealed with the
charity's document-signing certificate, as a donation receipt is.

Typeset with the fund report's styles (`charity.report_pdf`): bilingual, one
embedded CJK font, A4, tables that run on over pages.
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle

from citychain.documents.city_time import city_datetime
from citychain.documents.furniture import FRAME, GREY, LABEL_BG, RULE
from citychain.documents.money import yuan_figures
from citychain.documents.pades import seal_pdf
from citychain.documents.typeset import FONT_NAME, font
from citychain.node.node import Node

from .quarterly import REPORT_FILENAME, Report
from .receipt_pdf import seal_identity
from .report_pdf import (
    CELL,
    CELL_R,
    CONTENT_W,
    H2,
    HEAD,
    HEAD_R,
    NOTE,
    SUBTITLE,
    TITLE,
    page_furniture,
    report_document,
)
from .report_pdf import _bi as bi
from .report_pdf import _Canvas as ReportCanvas
from .report_pdf import _grid as grid
from .report_pdf import _p as para
from .report_pdf import _style as style
from .schedule import FINAL, STATUS_WORDS, Obligation

TYPE_WORDS = {2: ("拨入项目", "Commitment"), 3: ("拨付受益人", "Disbursement"), 4: ("项目支出", "Expenditure")}
MEASURES = (
    ("已拨入", "Allocated", "allocated_fen"),
    ("待审批", "Pending", "pending_fen"),
    ("已拨付", "Disbursed", "disbursed_fen"),
    ("项目支出", "Spent", "spent_fen"),
    ("结余", "Held", "held_fen"),
)


def period_words(report: Report) -> tuple[str, str]:
    if report.period == FINAL:
        return "项目结项报告（资金使用情况全面公开）", "Final report: the full use of the project's money"
    year, number = report.period.split("Q")
    return f"{year} 年第 {number} 季度项目实施情况", f"Project progress, {report.period}"


def _span_words(report: Report) -> str:
    if report.period == FINAL:
        return (
            f"实施期 Ran {report.first} – {report.last} · 含结束后至结项的全部记录 records up to the closure included"
        )
    return f"报告期 Period {report.first} – {report.last}"


def disclosure_pdf(node: Node, report: Report, obligation: Obligation | None) -> bytes:
    """The sealed PDF of `report` by this (the charity's) node."""
    when = node.clock.now()
    agency = node.trust.agencies.get(report.project.charity)
    names = (agency.name_zh, agency.name_en) if agency else (report.project.charity,) * 2
    page = render_disclosure(report, obligation, names, when)
    reason = f"慈善项目信息公开 / charity disclosure {report.project.id} {report.period}"
    return seal_pdf(page, report.statement_bytes(), seal_identity(node), when, reason, attachment_name=REPORT_FILENAME)


def render_disclosure(
    report: Report, obligation: Obligation | None, charity_names: tuple[str, str], now: datetime
) -> bytes:
    font()
    p = report.project
    zh, en = period_words(report)
    as_of = city_datetime(now)
    buf = io.BytesIO()
    doc = report_document(
        buf,
        f"信息公开 Disclosure {p.name_zh} {p.name_en} {report.period}",
        charity_names[1],
        f"{p.id} · {report.period}",
    )
    furniture = page_furniture(
        now,
        f"{charity_names[0]} · 慈善信息公开  Charity disclosure",
        f"{p.id} · {report.period}",
        f"生成于 Made {as_of:%Y-%m-%d %H:%M} (UTC+08:00)",
    )

    story = [
        para(f"{p.name_zh}", TITLE),
        para(f"{p.name_en}", SUBTITLE),
        Spacer(1, 1.5 * mm),
        para(f"{zh}  ·  {en}", SUBTITLE),
        Spacer(1, 2 * mm),
        para(
            f"{charity_names[0]}  {charity_names[1]} · 项目编号 Project {p.id} · 基金 Fund {p.fund}",
            style(8, 11, GREY, 1),
        ),
        para(_span_words(report), style(8, 11, GREY, 1)),
        Spacer(1, 4 * mm),
        _facts_table(report, obligation),
        para("资金情况（人民币元）  Money (yuan)", H2),
        _figures_table(report),
        para(
            "项目全部交易  Every transaction of the project"
            if report.period == FINAL
            else "本期交易  Transactions in the period",
            H2,
        ),
        _transactions_table(report),
        Spacer(1, 4 * mm),
        para(
            "依《慈善组织信息公开办法》：实施期超过六个月的项目至少每三个月公开一次实施情况（本报告于季度结束后次月月底前公开为按时），"
            "项目结束后三个月内全面公开实施情况和资金使用情况。本报告的数字全部取自慈善组织已签名的账本记录，"
            f"任何持有该账本的节点都能算出同样的结果；报告摘要 SHA-256：{report.sha256}。"
            "  Under the Measures on Charity Information Disclosure, a project running longer than six months reports "
            "at least every three months (on time: by the end of the month after the quarter), and in full within three "
            "months of its end. Every figure here comes from the charity's signed ledger records; any node holding the "
            f"log computes the same. Report digest SHA-256: {report.sha256}.",
            NOTE,
        ),
    ]
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture, canvasmaker=ReportCanvas)
    return buf.getvalue()


def _facts_table(report: Report, obligation: Obligation | None) -> Table:
    p = report.project
    if obligation is None:
        state = ("不需公开（实施期不超过六个月）", "not required (six months or shorter)")
    else:
        zh, en = STATUS_WORDS[obligation.status]
        state = (f"{zh}，截止 {obligation.due}", f"{en}; due by {obligation.due}")
    items = [
        ("项目预算", "Budget", yuan_figures(p.budget_fen)),
        ("开始日期", "Start", str(p.start or "—")),
        ("计划结束", "Planned end", str(p.planned_end or "—")),
        ("实际结束", "Ended", str(p.end or "进行中 running")),
    ]
    cells = [[bi(zh, en, HEAD), para(value, CELL_R)] for zh, en, value in items]
    data = [cells[0] + cells[1], cells[2] + cells[3], [bi("公开状态", "Disclosure", HEAD), bi(*state, CELL), "", ""]]
    w = CONTENT_W / 4
    table = Table(data, colWidths=[w * 0.9, w * 1.1, w * 0.9, w * 1.1], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_BG),
                ("BACKGROUND", (2, 0), (2, 1), LABEL_BG),
                ("BOX", (0, 0), (-1, -1), 0.8, FRAME),
                ("INNERGRID", (0, 0), (-1, -1), 0.3, RULE),
                ("SPAN", (1, 2), (3, 2)),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _figures_table(report: Report) -> Table:
    head = [bi("", "", HEAD)] + [bi(zh, en, HEAD_R) for zh, en, _ in MEASURES]
    rows = (
        ("期初", "Opening", report.opening.to_json()),
        ("本期变动", "In the period", report.in_period.to_json()),
        ("期末", "Closing", report.closing.to_json()),
    )
    data = [head] + [
        [bi(zh, en, CELL)] + [para(yuan_figures(v[key]), CELL_R) for *_, key in MEASURES] for zh, en, v in rows
    ]
    if report.period == FINAL:
        data = [head, data[2]]
        data[1][0] = bi("合计", "Total", CELL)
    number = CONTENT_W * 0.8 / len(MEASURES)
    return grid(data, [CONTENT_W * 0.2] + [number] * len(MEASURES))


def _transactions_table(report: Report) -> Table:
    head = [
        bi(zh, en, HEAD_R if en == "Amount" else HEAD)
        for zh, en in (
            ("日期", "Date"),
            ("编号", "Ref"),
            ("类型", "Type"),
            ("金额", "Amount"),
            ("账本序号", "Ledger seq"),
        )
    ]
    data = [head]
    for m in report.movements:
        zh, en = TYPE_WORDS[m.iati_type]
        data.append(
            [
                para(m.day.isoformat(), CELL),
                para(m.ref, CELL),
                bi(zh, f"{en} ({m.iati_type})", CELL),
                para(yuan_figures(m.value_fen), CELL_R),
                para(f"{report.project.charity} #{m.seq}", CELL),
            ]
        )
    if not report.movements:
        data.append([para("本期没有资金变动  No money moved in the period", CELL)] + [""] * 4)
    fractions = (0.16, 0.2, 0.22, 0.18, 0.24)
    return grid(data, [CONTENT_W * f for f in fractions], empty=not report.movements)

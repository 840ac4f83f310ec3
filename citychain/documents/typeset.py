"""Typesetting for document PDFs with reportlab, in the one embedded CJK font.

Every piece of text, Latin and digits included, is set in the WenQuanYi Micro
Hei TrueType font (embedded as a subset), so no standard-14 font is ever
referenced and Chinese and English share one baseline and one colour of ink.
Line breaking follows Chinese rules: between any two Han characters, but never
before a closing mark or after an opening one; Latin breaks between words.
QR codes are drawn as vector rectangles on a white quiet zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache, lru_cache

import segno
from reportlab.lib.colors import Color, black, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from resources import cjk_font_path

FONT_NAME = "CityChainCJK"
INK = Color(0.10, 0.10, 0.12)
QR_QUIET = 4  # modules of white round a QR code (ISO/IEC 18004)


@cache
def font() -> str:
    """Register the CJK font once per process (parsing the .ttc is the slow part)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(cjk_font_path()), subfontIndex=0))
    return FONT_NAME


@lru_cache(maxsize=32)
def qr_symbol(text: str) -> segno.QRCode:
    """The symbol (choosing its mask is ~25 ms for a long text; reprints reuse it)."""
    return segno.make(text, error="q", boost_error=False, micro=False)


def pdf_date(creation_date: datetime | None, issued_at: str) -> str | None:
    when = creation_date
    if when is None:
        try:
            when = datetime.fromisoformat(issued_at)
        except ValueError:
            return None  # reportlab's fixed invariant date
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKEN_RE = re.compile(rf"[^\s{_CJK}]+|\s|.")
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’,.;:!?)]}%…·")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


@cache
def em(ch: str) -> float:
    return pdfmetrics.stringWidth(ch, FONT_NAME, 1000) / 1000


def text_width(text: str, size: float) -> float:
    return size * sum(em(ch) for ch in text)


def wrap_text(text: str, size: float, width: float) -> list[str]:
    """Lines no wider than `width`: Chinese breaks between any two characters
    (but not before a closing mark or after an opening one), Latin between words."""
    return list(_wrap_em(text, width / size))


@lru_cache(maxsize=128)
def _tokens(para: str) -> tuple[tuple[str, float], ...]:
    """The paragraph's break units with their widths in em."""
    return tuple((tok, sum(em(ch) for ch in tok)) for tok in _TOKEN_RE.findall(para))


@lru_cache(maxsize=128)
def _wrap_em(text: str, width: float) -> tuple[str, ...]:
    lines: list[str] = []
    for para in text.split("\n"):
        line: list[tuple[str, float]] = []
        used = 0.0
        for tok, w in _tokens(para):
            if w > width and len(tok) > 1:  # a word longer than the line: break it anywhere
                pieces = [(ch, em(ch)) for ch in tok]
            else:
                pieces = [(tok, w)]
            for tok, w in pieces:
                space = tok.isspace()
                if used + w <= width or (not line and not space):
                    if line or not space:  # no line starts with a space
                        line.append((tok, w))
                        used += w
                    continue
                if space:  # break at the space, dropping it
                    lines.append("".join(t for t, _ in line).rstrip())
                    line, used = [], 0.0
                    continue
                carry: list[tuple[str, float]] = []
                last = line[-1][0]
                if len(line) > 1 and not last.isspace() and (tok[0] in _NO_LINE_START or last in _NO_LINE_END):
                    carry.append(line.pop())
                lines.append("".join(t for t, _ in line).rstrip())
                line = carry + [(tok, w)]
                used = sum(w for _, w in line)
        lines.append("".join(t for t, _ in line).rstrip())
    return tuple(lines)


def draw_text(
    c: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    color: Color = INK,
    *,
    anchor: str = "left",
    space: float = 0.0,
    bold: bool = False,
) -> None:
    width = text_width(text, size) + space * max(0, len(text) - 1)
    if anchor == "centre":
        x -= width / 2
    elif anchor == "right":
        x -= width
    c.saveState()  # character spacing and render mode outlive BT/ET: keep them local
    t = c.beginText(x, y)
    t.setFont(FONT_NAME, size)
    t.setFillColor(color)
    if space:
        t.setCharSpace(space)
    if bold:
        c.setStrokeColor(color)
        c.setLineWidth(size * 0.03)
        t.setTextRenderMode(2)
    t.textOut(text)
    c.drawText(t)
    c.restoreState()


def draw_lines(
    c: Canvas, x: float, top: float, lines: list[str], size: float, leading: float, color: Color = INK
) -> None:
    """Lines set downwards from `top` (the top of the first line's em box)."""
    if not lines:
        return
    t = c.beginText(x, top - size * 0.86)
    t.setFont(FONT_NAME, size, leading)
    t.setFillColor(color)
    for line in lines:
        t.textLine(line)
    c.drawText(t)


def draw_qr(c: Canvas, qr: segno.QRCode, x: float, y: float, module: float) -> None:
    """The symbol as filled rectangles (one per run of dark modules) on a white quiet zone.

    The rectangles are written in module units under a scaling matrix: a few
    thousand of them, formatted as integers, cost little (reportlab's own path
    calls would spend ~10 ms formatting floats).
    """
    matrix = qr.matrix
    n = len(matrix)
    total = (n + 2 * QR_QUIET) * module
    c.saveState()
    c.setFillColor(white)
    c.rect(x, y, total, total, stroke=0, fill=1)
    c.setFillColor(black)
    c.translate(x + QR_QUIET * module, y + QR_QUIET * module)
    c.scale(module, module)
    ops = []
    for r, row in enumerate(matrix):
        yy = n - 1 - r
        start = -1
        for col in range(n + 1):
            dark = col < n and row[col]
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                ops.append(f"{start} {yy} {col - start} 1 re")
                start = -1
    ops.append("f")
    c.addLiteral("\n".join(ops))
    c.restoreState()

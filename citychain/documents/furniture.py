"""Page furniture shared by printed documents: the palette, the double rule
round an A4 page, and the small ornament under a title."""

from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H = A4
GREY = Color(0.38, 0.38, 0.42)
RULE = Color(0.72, 0.66, 0.55)
FRAME = Color(0.62, 0.47, 0.22)
LABEL_BG = Color(0.975, 0.955, 0.915)


def frame(c: Canvas) -> None:
    """A double rule round the page, as on a printed certificate or receipt."""
    c.saveState()
    c.setStrokeColor(FRAME)
    c.setLineWidth(1.6)
    c.rect(8 * mm, 8 * mm, PAGE_W - 16 * mm, PAGE_H - 16 * mm, stroke=1, fill=0)
    c.setLineWidth(0.5)
    c.rect(9.6 * mm, 9.6 * mm, PAGE_W - 19.2 * mm, PAGE_H - 19.2 * mm, stroke=1, fill=0)
    c.restoreState()


def ornament(c: Canvas, cx: float, y: float) -> None:
    c.saveState()
    c.setStrokeColor(FRAME)
    c.setFillColor(FRAME)
    c.setLineWidth(0.6)
    c.line(cx - 45 * mm, y, cx - 3 * mm, y)
    c.line(cx + 3 * mm, y, cx + 45 * mm, y)
    p = c.beginPath()
    d = 1.6 * mm
    p.moveTo(cx, y + d)
    p.lineTo(cx + d, y)
    p.lineTo(cx, y - d)
    p.lineTo(cx - d, y)
    p.close()
    c.drawPath(p, stroke=0, fill=1)
    c.restoreState()

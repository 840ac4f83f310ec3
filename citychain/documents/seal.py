"""An agency's round red seal, drawn as vector paths on a reportlab canvas.

The usual Chinese official seal: a thick red ring, a five-pointed star in the
centre, the agency's name along the upper arc (each character turned to face
the centre) and the seal's purpose in a straight line under the star
(`label_zh`: 电子证照专用章 on a licence, 财务专用章 on a receipt). It is
ink, not an image: drawn semi-transparent with the Multiply blend mode, so the
text it is stamped over still shows through, as on paper.
"""

from __future__ import annotations

import math

from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

SEAL_RED = Color(0.86, 0.06, 0.08)
DEFAULT_LABEL_ZH = "电子证照专用章"

_MAX_ARC_DEG = 240.0  # the name never runs further round than this
_MIN_ARC_DEG = 110.0  # short names are spread out, as seal engravers do
_NAME_SCALE = 75.0  # seal characters are cut narrow and tall (horizontal scale, %)


def draw_seal(
    canvas: Canvas,
    cx: float,
    cy: float,
    radius: float,
    agency_zh: str,
    font_name: str,
    *,
    label_zh: str = DEFAULT_LABEL_ZH,
    alpha: float = 0.88,
) -> None:
    """Stamp a seal of `radius` points centred on (cx, cy); the canvas state is restored after."""
    canvas.saveState()
    canvas.setBlendMode("Multiply")
    canvas.setFillColor(SEAL_RED, alpha)
    canvas.setStrokeColor(SEAL_RED, alpha)

    ring = radius * 0.065
    canvas.setLineWidth(ring)
    canvas.circle(cx, cy, radius - ring / 2, stroke=1, fill=0)

    _star(canvas, cx, cy, radius * 0.27)
    _arc_text(canvas, cx, cy, radius, ring, agency_zh, font_name)
    _straight_label(canvas, cx, cy, radius, label_zh, font_name)
    canvas.restoreState()


def _star(canvas: Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * 0.382
    path = canvas.beginPath()
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.radians(90 + 36 * k)
        x, y = cx + r * math.cos(a), cy + r * math.sin(a)
        if k == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _arc_text(canvas: Canvas, cx: float, cy: float, radius: float, ring: float, text: str, font: str) -> None:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return
    n = len(chars)
    span = min(_MAX_ARC_DEG, max(_MIN_ARC_DEG, n * 25.0)) if n > 1 else 0.0
    step = span / (n - 1) if n > 1 else 0.0
    size = radius * 0.28
    if n > 1:
        # The characters must not touch: shrink them for long names.
        baseline = radius - ring - radius * 0.07 - size * 0.8
        slot = math.radians(step) * baseline
        size = min(size, slot / (_NAME_SCALE / 100) * 0.92)
    baseline = radius - ring - radius * 0.07 - size * 0.8
    for i, ch in enumerate(chars):
        theta = -span / 2 + step * i  # degrees clockwise from the top
        width = stringWidth(ch, font, size) * _NAME_SCALE / 100
        canvas.saveState()
        canvas.translate(cx, cy)
        canvas.rotate(-theta)
        _bold_text(canvas, -width / 2, baseline, ch, font, size, _NAME_SCALE)
        canvas.restoreState()


def _straight_label(canvas: Canvas, cx: float, cy: float, radius: float, text: str, font: str) -> None:
    if not text:
        return
    size = radius * 0.17
    scale = 90.0
    baseline = cy - radius * 0.54
    half_chord = radius * 0.5  # clear of the ends of the name's arc
    natural = stringWidth(text, font, size) * scale / 100
    if natural > 2 * half_chord:
        size *= 2 * half_chord / natural
        natural = 2 * half_chord
    _bold_text(canvas, cx - natural / 2, baseline, text, font, size, scale)


def _bold_text(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, scale: float) -> None:
    """Text filled and stroked (render mode 2): heavier, like engraved strokes."""
    t = canvas.beginText(x, y)
    t.setFont(font, size)
    t.setHorizScale(scale)
    t.setTextRenderMode(2)
    canvas.setLineWidth(size * 0.035)
    t.textOut(text)
    canvas.drawText(t)

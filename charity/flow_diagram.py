"""A `charity.flow.Flow` drawn for paper (reportlab graphics), for the fund
report: the source on the left, where the money went in the middle, what the
projects did with it on the right, in the money vocabulary's words and colours.

Bands are as thick as their amounts (a band too thin to see is drawn at a
hairline's width, and still labelled) and every node is labelled with its
amount; nothing is computed here.
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Path, Rect, String
from reportlab.lib.colors import Color, HexColor

from citychain.documents.money import yuan_figures
from citychain.documents.typeset import FONT_NAME, text_width

from . import money_states as ms
from .flow import Flow, FlowNode

HEADINGS = ("基金 Fund", "去向 Where it went", "项目执行 In the projects")
NODE_W = 9.0
MIN_BAND = 0.8  # points: a band of a few fen is still visible
GAP = 22.0  # between nodes of a column: room for a two-line label
LABEL_SIZE = 7.2
GREY = Color(0.38, 0.38, 0.42)


def colour(node: FlowNode) -> Color:
    return HexColor(ms.state(node.state).colour)


def flow_drawing(
    flow: Flow, width: float, headings: tuple[str, ...] = HEADINGS, body_height: float | None = None
) -> Drawing:
    """A Drawing `width` points wide; its height grows with the number of nodes
    (the bands' share of it shrinks a little, so a dozen projects still fit
    under the totals on the first page)."""
    columns: list[list[FlowNode]] = [[] for _ in range(max((n.column for n in flow.nodes), default=0) + 1)]
    for node in flow.nodes:
        columns[node.column].append(node)
    rows = max(len(c) for c in columns)
    if body_height is None:
        body_height = max(110.0, 220.0 - 12.0 * max(0, rows - 4))
    height = body_height + (rows - 1) * GAP + 34 if flow.amount_fen > 0 else 36.0
    drawing = Drawing(width, height)
    drawing.initialFontName, drawing.initialFontSize = FONT_NAME, LABEL_SIZE  # never reportlab's Helvetica
    if flow.amount_fen <= 0:
        drawing.add(
            String(
                width / 2,
                height / 2 - 4,
                "尚无捐赠  No donations yet",
                fontName=FONT_NAME,
                fontSize=10,
                textAnchor="middle",
            )
        )
        return drawing

    scale = body_height / flow.amount_fen
    label_w = min(150.0, width * 0.24)
    first, last = label_w - NODE_W - 6, width - label_w
    # inner columns a little left of even spacing: their labels need more room than the source's
    xs = [
        first + (last - first) * i / max(1, len(columns) - 1) * (0.95 if 0 < i < len(columns) - 1 else 1)
        for i in range(len(columns))
    ]
    top = height - 22

    def size(fen: int) -> float:
        return max(MIN_BAND, fen * scale)

    place: dict[str, tuple[float, float]] = {}  # node key → (top y, thickness), stacked down, centred in the body
    for nodes in columns:
        used = sum(size(n.amount_fen) for n in nodes) + GAP * (len(nodes) - 1)
        y = top - (height - 34 - used) / 2
        for node in nodes:
            place[node.key] = (y, size(node.amount_fen))
            y -= size(node.amount_fen) + GAP

    by_key = {n.key: n for n in flow.nodes}
    out_y = {key: y for key, (y, _) in place.items()}
    in_y = dict(out_y)
    for edge in sorted(flow.edges, key=lambda e: (-place[e.source][0], -place[e.target][0])):
        source, target = by_key[edge.source], by_key[edge.target]
        band = size(edge.amount_fen)
        _ribbon(
            drawing,
            xs[source.column] + NODE_W,
            out_y[edge.source],
            xs[target.column],
            in_y[edge.target],
            band,
            colour(target),
        )
        out_y[edge.source] -= band
        in_y[edge.target] -= band

    for column, nodes in enumerate(columns):
        x = xs[column]
        for node in nodes:
            drawing.add(
                Rect(
                    x,
                    place[node.key][0] - place[node.key][1],
                    NODE_W,
                    place[node.key][1],
                    fillColor=colour(node),
                    strokeColor=None,
                )
            )
            if column == 0:  # the source is labelled on its left, out of the bands' way
                _label(drawing, x - 4, place[node.key], node, "end", label_w - NODE_W - 12)
            else:
                room = (xs[column + 1] if column + 1 < len(xs) else width + 6) - x - NODE_W - 14
                _label(drawing, x + NODE_W + 4, place[node.key], node, "start", room, backing=column + 1 < len(xs))
        if column < len(headings):
            drawing.add(
                String(
                    x + NODE_W / 2,
                    height - 8,
                    headings[column],
                    fontName=FONT_NAME,
                    fontSize=8,
                    textAnchor="middle",
                    fillColor=GREY,
                )
            )
    return drawing


def _ribbon(d: Drawing, x0: float, y0: float, x1: float, y1: float, band: float, fill: Color) -> None:
    """A band `band` thick from (x0, y0 top) to (x1, y1 top), S-curved."""
    xm = (x0 + x1) / 2
    path = Path(fillColor=Color(fill.red, fill.green, fill.blue, alpha=0.38), strokeColor=None)
    path.moveTo(x0, y0)
    path.curveTo(xm, y0, xm, y1, x1, y1)
    path.lineTo(x1, y1 - band)
    path.curveTo(xm, y1 - band, xm, y0 - band, x0, y0 - band)
    path.closePath()
    d.add(path)


def _fit(text: str, size: float, room: float) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _label(
    d: Drawing, x: float, pos: tuple[float, float], node: FlowNode, anchor: str, room: float, backing: bool = False
) -> None:
    top, size = pos
    centre = top - size / 2
    lines = (_fit(f"{node.zh} {yuan_figures(node.amount_fen)}", LABEL_SIZE, room), _fit(node.en, LABEL_SIZE - 1, room))
    if backing:  # over the bands: a pale card keeps the words legible
        w = max(text_width(lines[0], LABEL_SIZE), text_width(lines[1], LABEL_SIZE - 1)) + 4
        d.add(Rect(x - 2, centre - 9.5, w, 19.5, fillColor=Color(1, 1, 1, alpha=0.82), strokeColor=None))
    d.add(String(x, centre + 1.5, lines[0], fontName=FONT_NAME, fontSize=LABEL_SIZE, textAnchor=anchor))
    d.add(
        String(x, centre - 7, lines[1], fontName=FONT_NAME, fontSize=LABEL_SIZE - 1, textAnchor=anchor, fillColor=GREY)
    )

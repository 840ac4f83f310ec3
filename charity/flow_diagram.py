"""Where a fund's money went, drawn as a Sankey-like diagram (reportlab graphics).

Three columns: the fund (money raised) on the left; in the middle what it
became — refunded to donors, still unallocated in the fund, or allocated to
each project; on the right what the projects did with it — acknowledged by
the beneficiary, disbursed (awaiting acknowledgement), spent by the project,
pending approval, or still held. Bands are as thick as their amounts (a band
too thin to see is drawn at a hairline's width, and still labelled), every
node is labelled with its amount, and nothing is computed here: the numbers
are the fund's and projects' totals from `charity.trace`.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Path, Rect, String
from reportlab.lib.colors import Color

from citychain.documents.money import yuan_figures
from citychain.documents.typeset import FONT_NAME, text_width

from .trace import FundTotals, ProjectTotals

FUND_COLOUR = Color(0.62, 0.47, 0.22)
OUTCOMES = (  # (key, zh, en, colour)
    ("acknowledged", "受益方已确认", "Acknowledged", Color(0.18, 0.55, 0.34)),
    ("disbursed", "已拨付待确认", "Disbursed, unacknowledged", Color(0.16, 0.45, 0.70)),
    ("spent", "项目支出", "Spent by the project", Color(0.45, 0.33, 0.65)),
    ("pending", "待审批", "Pending approval", Color(0.88, 0.56, 0.12)),
    ("held", "项目结余", "Held in the project", Color(0.50, 0.55, 0.60)),
)
REFUNDED_COLOUR = Color(0.75, 0.30, 0.30)
UNALLOCATED_COLOUR = Color(0.62, 0.62, 0.62)
NODE_W = 9.0
MIN_BAND = 0.8  # points: a band of a few fen is still visible
GAP = 22.0  # between nodes of a column: room for a two-line label
LABEL_SIZE = 7.2


@dataclass(frozen=True)
class _Node:
    key: str
    zh: str
    en: str
    amount: int
    colour: Color


def _outcomes(project: ProjectTotals) -> dict[str, int]:
    return {"acknowledged": project.acknowledged_fen, "disbursed": project.disbursed_fen - project.acknowledged_fen,
            "spent": project.spent_fen, "pending": project.pending_fen, "held": project.held_fen}


def flow_diagram(fund: FundTotals, projects: tuple[ProjectTotals, ...], width: float,
                 body_height: float | None = None) -> Drawing:
    """A Drawing `width` points wide; its height grows with the number of nodes
    (the bands' share of it shrinks a little, so a dozen projects still fit
    under the totals on the first page)."""
    middle = [_Node("refunded", "已退款", "Refunded to donors", fund.refunded_fen, REFUNDED_COLOUR),
              _Node("unallocated", "未分配（基金内）", "Unallocated, in the fund", fund.unallocated_fen, UNALLOCATED_COLOUR)]
    middle += [_Node(f"project:{p.id}", p.name_zh, p.name_en, p.allocated_fen, FUND_COLOUR) for p in projects]
    middle = [n for n in middle if n.amount > 0]
    totals = {key: sum(_outcomes(p)[key] for p in projects) for key, *_ in OUTCOMES}
    right = [_Node(key, zh, en, totals[key], colour) for key, zh, en, colour in OUTCOMES if totals[key] > 0]
    rows = max(len(middle), len(right), 1)
    if body_height is None:
        body_height = max(110.0, 220.0 - 12.0 * max(0, rows - 4))
    total = max(1, fund.raised_fen)
    scale = body_height / total
    height = body_height + (rows - 1) * GAP + 34
    if fund.raised_fen <= 0:
        height = 36.0
    drawing = Drawing(width, height)
    drawing.initialFontName, drawing.initialFontSize = FONT_NAME, LABEL_SIZE  # never reportlab's Helvetica
    if fund.raised_fen <= 0:
        drawing.add(String(width / 2, height / 2 - 4, "尚无捐赠  No donations yet", fontName=FONT_NAME, fontSize=10,
                           textAnchor="middle"))
        return drawing

    label_w = min(150.0, width * 0.24)
    x_left, x_mid, x_right = label_w - NODE_W - 6, width * 0.47, width - label_w
    top = height - 22

    def place(nodes: list[_Node]) -> dict[str, tuple[float, float]]:
        """Node key → (top y, thickness), stacked downwards, centred in the body."""
        sizes = [max(MIN_BAND, n.amount * scale) for n in nodes]
        used = sum(sizes) + GAP * (len(nodes) - 1)
        y = top - (height - 34 - used) / 2
        out = {}
        for node, size in zip(nodes, sizes):
            out[node.key] = (y, size)
            y -= size + GAP
        return out

    fund_pos = place([_Node("fund", "", "", fund.raised_fen, FUND_COLOUR)])["fund"]
    mid_pos, right_pos = place(middle), place(right)

    # fund → middle
    y = fund_pos[0]
    for node in middle:
        band = max(MIN_BAND, node.amount * scale)
        _ribbon(drawing, x_left + NODE_W, y, x_mid, mid_pos[node.key][0], band, node.colour)
        y -= band
    # projects → outcomes: each outcome node fills from the top in project order
    filled = {key: right_pos[key][0] for key in right_pos}
    for project in projects:
        key = f"project:{project.id}"
        if key not in mid_pos:
            continue
        y = mid_pos[key][0]
        for outcome, amount in _outcomes(project).items():
            if amount <= 0:
                continue
            band = max(MIN_BAND, amount * scale)
            colour = next(c for k, _, _, c in OUTCOMES if k == outcome)
            _ribbon(drawing, x_mid + NODE_W, y, x_right, filled[outcome], band, colour)
            y -= band
            filled[outcome] -= band

    _node(drawing, x_left, *fund_pos, FUND_COLOUR)
    _label(drawing, x_left - 4, fund_pos, fund.name_zh, fund.name_en, fund.raised_fen, "end", label_w - NODE_W - 12)
    _heading(drawing, x_left + NODE_W / 2, height - 8, "基金 Fund")
    for node in middle:
        _node(drawing, x_mid, *mid_pos[node.key], node.colour)
        _label(drawing, x_mid + NODE_W + 4, mid_pos[node.key], node.zh, node.en, node.amount, "start",
               x_right - x_mid - NODE_W - 14, backing=True)
    _heading(drawing, x_mid + NODE_W / 2, height - 8, "去向 Where it went")
    for node in right:
        _node(drawing, x_right, *right_pos[node.key], node.colour)
        _label(drawing, x_right + NODE_W + 4, right_pos[node.key], node.zh, node.en, node.amount, "start",
               width - x_right - NODE_W - 6)
    _heading(drawing, x_right + NODE_W / 2, height - 8, "项目执行 In the projects")
    return drawing


def _ribbon(d: Drawing, x0: float, y0: float, x1: float, y1: float, band: float, colour: Color) -> None:
    """A band `band` thick from (x0, y0 top) to (x1, y1 top), S-curved."""
    xm = (x0 + x1) / 2
    path = Path(fillColor=Color(colour.red, colour.green, colour.blue, alpha=0.38), strokeColor=None)
    path.moveTo(x0, y0)
    path.curveTo(xm, y0, xm, y1, x1, y1)
    path.lineTo(x1, y1 - band)
    path.curveTo(xm, y1 - band, xm, y0 - band, x0, y0 - band)
    path.closePath()
    d.add(path)


def _node(d: Drawing, x: float, top: float, size: float, colour: Color) -> None:
    d.add(Rect(x, top - size, NODE_W, size, fillColor=colour, strokeColor=None))


def _fit(text: str, size: float, room: float) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _label(d: Drawing, x: float, pos: tuple[float, float], zh: str, en: str, amount: int, anchor: str,
           room: float, backing: bool = False) -> None:
    top, size = pos
    centre = top - size / 2
    lines = (_fit(f"{zh} {yuan_figures(amount)}", LABEL_SIZE, room), _fit(en, LABEL_SIZE - 1, room))
    if backing:  # over the bands: a pale card keeps the words legible
        w = max(text_width(lines[0], LABEL_SIZE), text_width(lines[1], LABEL_SIZE - 1)) + 4
        d.add(Rect(x - 2, centre - 9.5, w, 19.5, fillColor=Color(1, 1, 1, alpha=0.82), strokeColor=None))
    d.add(String(x, centre + 1.5, lines[0], fontName=FONT_NAME, fontSize=LABEL_SIZE, textAnchor=anchor))
    d.add(String(x, centre - 7, lines[1], fontName=FONT_NAME, fontSize=LABEL_SIZE - 1, textAnchor=anchor,
                 fillColor=Color(0.38, 0.38, 0.42)))


def _heading(d: Drawing, x: float, y: float, text: str) -> None:
    d.add(String(x, y, text, fontName=FONT_NAME, fontSize=8, textAnchor="middle", fillColor=Color(0.38, 0.38, 0.42)))

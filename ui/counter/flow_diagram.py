"""Where the money went, drawn: a three-column flow (Sankey) diagram with
QPainter. Each band's width is its share of the money; every bar is labelled
in words and amounts, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import style, texts

BAR = 16
GAP = 10


@dataclass
class Flow:
    key: str  # a texts.MONEY_STATES key (or any label key)
    amount: int
    children: list["Flow"] = field(default_factory=list)
    label: str = ""  # overrides the key's words

    def shown(self) -> list["Flow"]:
        return [c for c in self.children if c.amount > 0]


def fund_flow(fund) -> Flow:
    """A fund's totals: raised → refunded / unallocated / allocated → where the allocated money is."""
    not_acknowledged = max(0, fund.disbursed_fen - fund.acknowledged_fen)
    allocated = Flow("allocated", fund.allocated_fen, [
        Flow("held_in_project", fund.held_fen), Flow("pending", fund.pending_fen),
        Flow("disbursed", not_acknowledged), Flow("acknowledged", fund.acknowledged_fen), Flow("spent", fund.spent_fen),
    ])
    return Flow("raised", fund.raised_fen, [Flow("refunded", fund.refunded_fen),
                                            Flow("unallocated", fund.unallocated_fen), allocated])


def trace_flow(amount: int, breakdown: dict[str, int]) -> Flow:
    """One donation's breakdown (the six charity.trace states) as a flow."""
    inner = ("held_in_project", "pending", "disbursed", "acknowledged")
    allocated = Flow("allocated", sum(breakdown.get(k, 0) for k in inner),
                     [Flow(k, breakdown.get(k, 0)) for k in inner])
    outer = [Flow(k, breakdown.get(k, 0)) for k in ("refunded", "unallocated")]
    return Flow("raised", amount, outer + [allocated], label=texts.pick("捐赠", "Donation"))


class FlowDiagram(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.flow: Flow | None = None
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(600, 320)

    def set_flow(self, flow: Flow | None) -> None:
        self.flow = flow
        self.update()

    def _words(self, node: Flow) -> str:
        name = node.label or texts.word(texts.MONEY_STATES, node.key)
        return f"{name}  {texts.money(node.amount)}"

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(style.CARD))
        font = QFont(self.font())
        font.setPointSizeF(10.5)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        flow = self.flow
        if flow is None or flow.amount <= 0:
            painter.setPen(QColor(style.MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             texts.pick("还没有款项", "No money recorded yet"))
            return
        width = float(self.width())
        x = (12.0, width * 0.27, width * 0.56)
        top = metrics.height() + 12.0
        middle = flow.shown()
        columns = [[(child, None) for child in middle], [(leaf, child) for child in middle for leaf in child.shown()]]
        scale = self._scale(flow, columns, self.height() - top - 8.0, metrics.height() * 2 + 4)
        label_h = metrics.height() * 2 + 4
        root = QRectF(x[0], top, BAR, flow.amount * scale)
        self._bar(painter, root, flow.key)
        painter.setPen(QColor(style.INK))
        painter.drawText(QPointF(x[0], top - 8), self._words(flow))
        bars: dict[int, QRectF] = {}
        next_source = {id(flow): root.top()}
        for column, nodes in enumerate(columns, start=1):
            y = top
            for node, parent in nodes:
                height = node.amount * scale
                bar = QRectF(x[column], y, BAR, height)
                source = bars.get(id(parent), root)
                start = next_source.get(id(parent) if parent else id(flow), source.top())
                self._band(painter, source.right(), start, bar.left(), y, height, node.key)
                next_source[id(parent) if parent else id(flow)] = start + height
                next_source[id(node)] = y
                bars[id(node)] = bar
                self._bar(painter, bar, node.key)
                room = (x[column + 1] if column + 1 < len(x) else width) - bar.right() - 14
                self._label(painter, metrics, bar, node, room)
                y += max(height, label_h) + GAP

    @staticmethod
    def _scale(flow: Flow, columns, height: float, label_h: float) -> float:
        """Pixels per fen: as large as lets every column, labels included, fit the height."""
        scale = height / max(flow.amount, 1)
        for _ in range(60):
            needed = max(sum(max(n.amount * scale, label_h) for n, _ in nodes) + GAP * max(0, len(nodes) - 1)
                         for nodes in columns if nodes) if any(columns) else 0
            if needed <= height and flow.amount * scale <= height:
                break
            scale *= 0.9
        return scale

    def _bar(self, painter: QPainter, rect: QRectF, key: str) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(style.STATE_COLOURS.get(key, style.ACCENT)))
        painter.drawRect(rect.adjusted(0, 0, 0, max(0.0, 2 - rect.height())))

    def _band(self, painter: QPainter, x0: float, y0: float, x1: float, y1: float, height: float, key: str) -> None:
        colour = QColor(style.STATE_COLOURS.get(key, style.ACCENT))
        colour.setAlpha(70)
        mid = (x0 + x1) / 2
        path = QPainterPath(QPointF(x0, y0))
        path.cubicTo(QPointF(mid, y0), QPointF(mid, y1), QPointF(x1, y1))
        path.lineTo(QPointF(x1, y1 + height))
        path.cubicTo(QPointF(mid, y1 + height), QPointF(mid, y0 + height), QPointF(x0, y0 + height))
        path.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(path)

    def _label(self, painter: QPainter, metrics: QFontMetrics, bar: QRectF, node: Flow, room: float) -> None:
        """Name over amount, to the right of the bar, cut to the room there is."""
        name = metrics.elidedText(node.label or texts.word(texts.MONEY_STATES, node.key), Qt.TextElideMode.ElideRight,
                                  int(room))
        amount = texts.money(node.amount)
        x, y = bar.right() + 7, bar.top() + metrics.ascent() + 1
        box = QRectF(x - 3, bar.top() - 1, max(metrics.horizontalAdvance(name), metrics.horizontalAdvance(amount)) + 6,
                     metrics.height() * 2 + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QPen(QColor(style.INK)))
        painter.drawText(QPointF(x, y), name)
        painter.setPen(QPen(QColor(style.MUTED)))
        painter.drawText(QPointF(x, y + metrics.height()), amount)

"""A Sankey diagram of one donation, drawn with QPainter: each column is a
stage (donation, fund, projects, payments, acknowledgement), each band's
width is proportional to the fen it carries, so the eye sees at once where
the money is. Labels sit in a pill beside their bar so they stay readable
over the bands."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import i18n

from .theme import Palette, palette
from .trace_model import Flow, FlowNode


@dataclass
class _Placed:
    node: FlowNode
    rect: QRectF
    out_y: float
    in_y: float


class SankeyWidget(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sankey")
        self.flow: Flow | None = None
        self.colours: Palette = palette(False)
        self.label_px = 20
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(200)

    def set_flow(self, flow: Flow | None) -> None:
        self.flow = flow
        self.setAccessibleName(self._description())
        self.update()

    def set_style(self, colours: Palette, label_px: int) -> None:
        self.colours, self.label_px = colours, label_px
        self.update()

    def _description(self) -> str:
        """What a screen reader says instead of the picture."""
        if self.flow is None:
            return ""
        zh = i18n.current_language() == "zh_CN"
        parts = [f"{(n.label_zh if zh else n.label_en)} {i18n.money(n.amount_fen)}" for n in self.flow.nodes]
        return "; ".join(parts)

    # -- layout ---------------------------------------------------------------
    def _layout(self) -> dict[str, _Placed]:
        flow = self.flow
        columns = max(n.column for n in flow.nodes) + 1
        line = QFontMetrics(self._font()).height()
        slot = 2 * line + 8  # a node never starts closer to the next than its two-line label needs
        gap = 8
        bar = max(12.0, self.width() * 0.012)
        usable_w = self.width() - (self._label_width(self._font()) + 16) - bar - 8
        per_column: dict[int, list[FlowNode]] = {}
        for node in flow.nodes:
            per_column.setdefault(node.column, []).append(node)
        scale = self._scale(list(per_column.values()), slot, gap, self.height() - 8)
        placed: dict[str, _Placed] = {}
        for column, nodes in per_column.items():
            x = 4 + usable_w * column / max(1, columns - 1)
            y = 4.0
            for node in nodes:
                h = max(3.0, node.amount_fen * scale)
                rect = QRectF(x, y, bar, h)
                placed[node.key] = _Placed(node, rect, rect.top(), rect.top())
                y += max(h, slot) + gap
        return placed

    def _scale(self, columns: list[list[FlowNode]], slot: float, gap: float, height: float) -> float:
        """The largest px-per-fen at which every column, labels included, fits the height."""
        def needed(scale: float) -> float:
            return max(sum(max(n.amount_fen * scale, slot) + gap for n in nodes) - gap for nodes in columns)

        low, high = 0.0, height / max(1, self.flow.amount_fen)
        for _ in range(40):
            middle = (low + high) / 2
            low, high = (middle, high) if needed(middle) <= height else (low, middle)
        return low

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(self.label_px)
        return font

    def _label_width(self, font: QFont) -> int:
        metrics = QFontMetrics(font)
        zh = i18n.current_language() == "zh_CN"
        last = max((n.column for n in self.flow.nodes), default=0)
        texts = [n.label_zh if zh else n.label_en for n in self.flow.nodes if n.column == last]
        return max((metrics.horizontalAdvance(t) for t in texts), default=100) + 16

    # -- painting ---------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not self.flow or self.flow.amount_fen <= 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        placed = self._layout()
        scale_px = {key: p.rect.height() / max(1, p.node.amount_fen) for key, p in placed.items()}
        links = sorted(self.flow.links, key=lambda k: (placed[k.source].rect.top(), placed[k.target].rect.top()))
        for link in links:
            src, dst = placed[link.source], placed[link.target]
            h_src = link.amount_fen * scale_px[link.source]
            h_dst = link.amount_fen * scale_px[link.target]
            self._band(painter, src.rect.right(), src.out_y, h_src, dst.rect.left(), dst.in_y, h_dst, src.node.tone)
            src.out_y += h_src
            dst.in_y += h_dst
        for p in placed.values():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.colours.flow[p.node.tone]))
            painter.drawRect(p.rect)
        for p in placed.values():
            self._label(painter, p)
        painter.end()

    def _band(self, painter: QPainter, x0: float, y0: float, h0: float, x1: float, y1: float, h1: float,
              tone: str) -> None:
        mid = (x0 + x1) / 2
        path = QPainterPath(QPointF(x0, y0))
        path.cubicTo(QPointF(mid, y0), QPointF(mid, y1), QPointF(x1, y1))
        path.lineTo(QPointF(x1, y1 + h1))
        path.cubicTo(QPointF(mid, y1 + h1), QPointF(mid, y0 + h0), QPointF(x0, y0 + h0))
        path.closeSubpath()
        colour = QColor(self.colours.flow[tone])
        colour.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(path)

    def _label(self, painter: QPainter, p: _Placed) -> None:
        zh = i18n.current_language() == "zh_CN"
        lines = [p.node.label_zh if zh else p.node.label_en, i18n.money(p.node.amount_fen)]
        font = self._font()
        metrics = QFontMetrics(font)
        width = max(metrics.horizontalAdvance(t) for t in lines) + 14
        height = metrics.height() * 2 + 6
        box = QRectF(p.rect.right() + 6, p.rect.top(), width, height)
        back = QColor(self.colours.surface if self.colours.surface != "#000000" else "#000000")
        back.setAlpha(225)
        painter.setPen(QPen(QColor(self.colours.line), 1))
        painter.setBrush(back)
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(self.colours.text))
        painter.setFont(font)
        painter.drawText(box.adjusted(7, 3, -7, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         "\n".join(lines))

"""A `charity.flow.Flow` drawn on screen (QPainter), for the counter and the
kiosk alike: each column a stage, each band as wide as the money it carries,
every bar labelled with words and amount in a pill beside it, so colour is
never the only cue and the words stay readable over the bands. The kiosk's
large type and high contrast come in as a `FlowTheme`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from charity import money_states as ms
from charity.flow import Flow, FlowNode

from . import i18n


@dataclass(frozen=True)
class FlowTheme:
    label_px: int = 14
    text: str = "#1f2933"
    muted: str = "#5b6773"  # the amount under a name
    label_back: str = "#ffffff"
    label_line: str | None = None  # the pill's outline
    background: str | None = None  # None: the parent's shows through
    band_alpha: int = 80
    tones: dict[str, str] = field(default_factory=dict)  # tone → colour over the vocabulary's (high contrast)
    empty: tuple[str, str] | None = None  # said when there is no money to draw

    def colour(self, state: str) -> QColor:
        money = ms.state(state)
        return QColor(self.tones.get(money.tone, money.colour))


@dataclass
class _Placed:
    node: FlowNode
    rect: QRectF
    out_y: float
    in_y: float


class FlowView(QWidget):
    def __init__(self, theme: FlowTheme | None = None) -> None:
        super().__init__()
        self.flow: Flow | None = None
        self.theme = theme or FlowTheme()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(200)

    def sizeHint(self) -> QSize:
        return QSize(600, 320)

    def set_flow(self, flow: Flow | None) -> None:
        self.flow = flow
        self.setAccessibleName(self._description())
        self.update()

    def roomy_height(self) -> int:
        """A height at which every column's labels fit on two lines (name over amount) with room for the bands."""
        if self.flow is None:
            return 0
        per_column = Counter(node.column for node in self.flow.nodes)
        slot = 2 * QFontMetrics(self._font()).height() + 8 + 8
        return round(1.25 * max(per_column.values()) * slot) + 8

    def set_theme(self, theme: FlowTheme) -> None:
        self.theme = theme
        self.update()

    def _description(self) -> str:
        """What a screen reader says instead of the picture."""
        if self.flow is None:
            return ""
        return "; ".join(f"{n.words(i18n.chinese())} {i18n.money(n.amount_fen)}" for n in self.flow.nodes)

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(self.theme.label_px)
        return font

    # -- layout ---------------------------------------------------------------
    def _layout(self, metrics: QFontMetrics) -> tuple[dict[str, _Placed], bool]:
        """Where each bar goes, and whether its label is on two lines (name over
        amount) or, when a column has too many nodes for that, on one."""
        flow = self.flow
        per_column: dict[int, list[FlowNode]] = {}
        for node in flow.nodes:
            per_column.setdefault(node.column, []).append(node)
        columns = [per_column.get(i, []) for i in range(max(per_column) + 1)]
        gap, height = 8, self.height() - 8
        bar = max(12.0, self.width() * 0.012)
        two_lines = True
        scale = self._scale(columns, 2 * metrics.height() + 8, gap, height)
        if scale * flow.amount_fen < height * 0.35:  # the labels would crowd out the bands
            two_lines = False
            scale = self._scale(columns, metrics.height() + 8, gap, height)
        slot = (2 if two_lines else 1) * metrics.height() + 8
        xs = self._columns(metrics, columns, bar, two_lines)
        placed: dict[str, _Placed] = {}
        for column, nodes in enumerate(columns):
            y = 4.0
            for node in nodes:
                h = max(3.0, node.amount_fen * scale)
                rect = QRectF(xs[column], y, bar, h)
                placed[node.key] = _Placed(node, rect, rect.top(), rect.top())
                y += max(h, slot) + gap
        return placed, two_lines

    def _columns(
        self, metrics: QFontMetrics, columns: list[list[FlowNode]], bar: float, two_lines: bool
    ) -> list[float]:
        """Each column's x: as much room after it as its labels need, the last
        never more than 45 % of the width; spare room goes between columns."""

        def need(nodes: list[FlowNode]) -> float:
            return max((self._label_width(metrics, n, two_lines) for n in nodes), default=0) + 14

        available = self.width() - 8 - bar * len(columns)
        needs = [need(nodes) for nodes in columns]
        needs[-1] = min(needs[-1], available * 0.45)
        inner = sum(needs[:-1])
        room = available - needs[-1]
        if inner > room:  # squeeze the inner columns alike
            needs[:-1] = [n * room / inner for n in needs[:-1]]
        elif len(columns) > 1:
            needs[:-1] = [n + (room - inner) / (len(columns) - 1) for n in needs[:-1]]
        xs = [4.0]
        for width in needs[:-1]:
            xs.append(xs[-1] + bar + width)
        return xs

    def _label_width(self, metrics: QFontMetrics, node: FlowNode, two_lines: bool) -> float:
        name, amount = node.words(i18n.chinese()), i18n.money(node.amount_fen)
        if two_lines:
            return max(metrics.horizontalAdvance(name), metrics.horizontalAdvance(amount)) + 14
        return metrics.horizontalAdvance(f"{name}  {amount}") + 14

    def _scale(self, columns: list[list[FlowNode]], slot: float, gap: float, height: float) -> float:
        """The largest px-per-fen at which every column, labels included, fits the height."""

        def needed(scale: float) -> float:
            return max(sum(max(n.amount_fen * scale, slot) + gap for n in nodes) - gap for nodes in columns if nodes)

        low, high = 0.0, height / max(1, self.flow.amount_fen)
        for _ in range(40):
            middle = (low + high) / 2
            low, high = (middle, high) if needed(middle) <= height else (low, middle)
        return low

    # -- painting ---------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.theme.background:
            painter.fillRect(self.rect(), QColor(self.theme.background))
        font = self._font()
        painter.setFont(font)
        metrics = QFontMetrics(font)
        if not self.flow or self.flow.amount_fen <= 0:
            if self.theme.empty:
                painter.setPen(QColor(self.theme.muted))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, i18n.pick(*self.theme.empty))
            painter.end()
            return
        placed, two_lines = self._layout(metrics)
        scale_px = {key: p.rect.height() / max(1, p.node.amount_fen) for key, p in placed.items()}
        edges = sorted(self.flow.edges, key=lambda e: (placed[e.source].rect.top(), placed[e.target].rect.top()))
        for edge in edges:
            src, dst = placed[edge.source], placed[edge.target]
            h_src, h_dst = edge.amount_fen * scale_px[edge.source], edge.amount_fen * scale_px[edge.target]
            self._band(painter, src.rect.right(), src.out_y, h_src, dst.rect.left(), dst.in_y, h_dst, dst.node.state)
            src.out_y += h_src
            dst.in_y += h_dst
        lefts = sorted({p.rect.left() for p in placed.values()})
        for p in placed.values():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.theme.colour(p.node.state))
            painter.drawRect(p.rect)
        for p in placed.values():
            after = [x for x in lefts if x > p.rect.left()]
            room = (after[0] if after else self.width()) - p.rect.right() - 12
            self._label(painter, metrics, p, room, two_lines)
        painter.end()

    def _band(
        self, painter: QPainter, x0: float, y0: float, h0: float, x1: float, y1: float, h1: float, state: str
    ) -> None:
        mid = (x0 + x1) / 2
        path = QPainterPath(QPointF(x0, y0))
        path.cubicTo(QPointF(mid, y0), QPointF(mid, y1), QPointF(x1, y1))
        path.lineTo(QPointF(x1, y1 + h1))
        path.cubicTo(QPointF(mid, y1 + h1), QPointF(mid, y0 + h0), QPointF(x0, y0 + h0))
        path.closeSubpath()
        colour = self.theme.colour(state)
        colour.setAlpha(self.theme.band_alpha)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(path)

    def _label(self, painter: QPainter, metrics: QFontMetrics, p: _Placed, room: float, two_lines: bool) -> None:
        """Name and amount in a pill right of the bar, the name cut to the room there is."""
        theme = self.theme
        amount = i18n.money(p.node.amount_fen)
        spare = room - 14 - (0 if two_lines else metrics.horizontalAdvance(f"  {amount}"))
        name = metrics.elidedText(
            p.node.words(i18n.chinese()),
            Qt.TextElideMode.ElideRight,
            int(max(spare, metrics.horizontalAdvance(amount) if two_lines else 0)),
        )
        if two_lines:
            lines = (name, amount)
            width = max(metrics.horizontalAdvance(name), metrics.horizontalAdvance(amount))
        else:
            lines = (f"{name}  ", amount)
            width = metrics.horizontalAdvance(lines[0]) + metrics.horizontalAdvance(amount)
        box = QRectF(p.rect.right() + 6, p.rect.top(), width + 14, metrics.height() * (2 if two_lines else 1) + 6)
        back = QColor(theme.label_back)
        back.setAlpha(225)
        painter.setPen(QPen(QColor(theme.label_line), 1) if theme.label_line else Qt.PenStyle.NoPen)
        painter.setBrush(back)
        painter.drawRoundedRect(box, 6, 6)
        x, y = box.left() + 7, box.top() + 3 + metrics.ascent()
        painter.setPen(QColor(theme.text))
        painter.drawText(QPointF(x, y), lines[0])
        painter.setPen(QColor(theme.muted))
        if two_lines:
            painter.drawText(QPointF(x, y + metrics.height()), amount)
        else:
            painter.drawText(QPointF(x + metrics.horizontalAdvance(lines[0]), y), amount)

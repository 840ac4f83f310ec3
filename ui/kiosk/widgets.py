"""Small building blocks the kiosk screens share: labelled buttons with
accessible names, styled labels, the screen base class and the agency seal."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

SEAL_RED = QColor(220, 16, 20, 225)


def restyle(widget: QWidget, **props: str) -> None:
    """Set style properties and make Qt apply the stylesheet rules for them now."""
    for name, value in props.items():
        widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def label(role: str = "", text: str = "", wrap: bool = True, name: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # text from documents is never markup
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    return widget


class WrappingButton(QPushButton):
    """A button whose words wrap onto more lines (large text on a narrow tile):
    the words are a label inside it, which taps pass through."""

    def __init__(self) -> None:
        super().__init__()
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.words.setTextFormat(Qt.TextFormat.PlainText)
        self.words.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        inside = QVBoxLayout(self)
        inside.addWidget(self.words)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self.words.setText(text)

    def text(self) -> str:
        return self.words.text()


def button(name: str, kind: str = "", checkable: bool = False, wrap: bool = False) -> QPushButton:
    widget = WrappingButton() if wrap else QPushButton()
    widget.setObjectName(name)
    widget.setCheckable(checkable)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # taps must not move focus away from the input
    if kind:
        widget.setProperty("kind", kind)
    return widget


def set_text(widget: QPushButton | QLabel, text: str, spoken: str | None = None, description: str = "") -> None:
    """Visible text, the name a screen reader says (symbols spoken as words) and,
    for a control, what it does (its accessible description)."""
    widget.setText(text)
    widget.setAccessibleName(spoken or text.replace("\n", " "))
    if description:
        widget.setAccessibleDescription(description)


def scroll_area(inner: QWidget) -> QScrollArea:
    """A frameless area that scrolls `inner` up and down, never sideways (its words wrap instead)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(inner)
    return area


class ScrollingPart(QWidget):
    """Contents in an area of their own that scrolls, or laid out open: a card's
    contents open when the whole page scrolls (large text), the page itself open
    otherwise, so there is never a scrolling part inside another."""

    def __init__(self, inner: QWidget) -> None:
        super().__init__()
        self.inner = inner
        self.area = scroll_area(inner)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(self.area)
        self.scrolls = True

    def set_scrolls(self, on: bool) -> None:
        if on == self.scrolls:
            return
        self.scrolls = on
        if on:
            self.box.removeWidget(self.inner)
            self.area.setWidget(self.inner)
        else:
            self.area.takeWidget()
            self.inner.setAutoFillBackground(False)  # the area had it paint a background of its own
            self.box.addWidget(self.inner)
        self.area.setVisible(on)
        self.inner.show()


def card() -> QFrame:
    frame = QFrame()
    frame.setProperty("role", "card")
    return frame


class Screen(QWidget):
    """One page of the kiosk: says its words again when the language changes,
    and forgets everything it showed when the session ends."""

    scrolls_itself = False  # True: its long parts have scroll bars of their own

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        pass

    portrait = large = False

    def set_portrait(self, portrait: bool) -> None:
        """The screen stands up (taller than wide): side-by-side parts go one above the other."""
        self.portrait = portrait
        self.arrange()

    def set_large_text(self, large: bool) -> None:
        """Large-text mode: parts side by side may go one above the other, the screen scrolling as a page."""
        self.large = large
        self.arrange()

    def arrange(self) -> None:
        """Lay the parts out for `portrait` and `large` (most screens need nothing)."""

    def clear(self) -> None:
        pass


class SealWidget(QWidget):
    """The agency's round red seal, drawn like the printed one: a ring, a star,
    the name along the upper arc. Shows who signed, as the paper does."""

    def __init__(self) -> None:
        super().__init__()
        self.name = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("seal")

    def set_agency(self, name_zh: str) -> None:
        self.name = name_zh
        self.setAccessibleName(f"{name_zh} 印章 / seal" if name_zh else "")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not self.name:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height()) - 4
        r = side / 2
        c = QPointF(self.width() / 2, self.height() / 2)
        painter.setPen(QPen(SEAL_RED, max(3.0, r * 0.07)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(c, r - r * 0.04, r - r * 0.04)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SEAL_RED)
        painter.drawPath(_star(c, r * 0.27))
        self._arc_text(painter, c, r * 0.74, r * 0.2)
        font = QFont(self.font())
        font.setPixelSize(max(8, int(r * 0.12)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(SEAL_RED)
        painter.drawText(
            QRectF(c.x() - r * 0.7, c.y() + r * 0.36, r * 1.4, r * 0.2), Qt.AlignmentFlag.AlignCenter, "电子证照专用章"
        )
        painter.end()

    def _arc_text(self, painter: QPainter, c: QPointF, radius: float, size: float) -> None:
        chars = list(self.name)
        span = min(240.0, max(110.0, len(chars) * 22.0))
        font = QFont(self.font())
        font.setPixelSize(max(8, int(size)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(SEAL_RED)
        for i, ch in enumerate(chars):
            angle = -span / 2 + span * (i + 0.5) / len(chars)  # degrees from the top, clockwise
            painter.save()
            painter.translate(c)
            painter.rotate(angle)
            painter.drawText(QRectF(-size, -radius - size / 2, 2 * size, size * 1.1), Qt.AlignmentFlag.AlignCenter, ch)
            painter.restore()


def _star(c: QPointF, outer: float) -> QPainterPath:
    path = QPainterPath()
    inner = outer * 0.382
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.radians(-90 + i * 36)
        point = QPointF(c.x() + r * math.cos(a), c.y() + r * math.sin(a))
        path.moveTo(point) if i == 0 else path.lineTo(point)
    path.closeSubpath()
    return path


class Clickable(QFrame):
    """A card that acts as a button (fund cards)."""

    clicked = Signal()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.clicked.emit()
        super().mouseReleaseEvent(event)

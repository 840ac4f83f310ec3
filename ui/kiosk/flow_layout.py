"""A layout that lines its widgets up in a row, right-aligned, and starts a
new row when the next one would not fit: the kiosk bar's buttons keep their
words on a narrow screen (portrait, large text) instead of losing them."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    # -- QLayout's bookkeeping ---------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt's name)
        return Qt.Orientation(0)

    # -- sizes ---------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Everything on one row."""
        shown = self._shown()
        width = sum(item.sizeHint().width() for item in shown) + self._gap * max(0, len(shown) - 1)
        height = max((item.sizeHint().height() for item in shown), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        """One item a row: as narrow as the widest item."""
        shown = self._shown()
        return QSize(max((item.sizeHint().width() for item in shown), default=0), self.sizeHint().height())

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    # -- placing -------------------------------------------------------------------------
    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _rows(self, width: int) -> list[list[QLayoutItem]]:
        rows: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._shown():
            need = item.sizeHint().width()
            if rows[-1] and used + self._gap + need > width:
                rows.append([])
                used = 0
            used += need + (self._gap if rows[-1] else 0)
            rows[-1].append(item)
        return [row for row in rows if row]

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the rows (right-aligned) inside `rect`; the height they take."""
        y = rect.y()
        for row in self._rows(rect.width()):
            height = max(item.sizeHint().height() for item in row)
            x = rect.right() + 1 - (sum(item.sizeHint().width() for item in row) + self._gap * (len(row) - 1))
            for item in row:
                size = item.sizeHint()
                if move:
                    item.setGeometry(QRect(QPoint(max(x, rect.x()), y), QSize(min(size.width(), rect.width()), height)))
                x += size.width() + self._gap
            y += height + self._gap
        return max(0, y - self._gap - rect.y())

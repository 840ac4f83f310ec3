"""Showing, printing and saving a PDF the node made (a licence, a receipt).

Pages are rasterised with pypdfium2 off the GUI thread (QImage may be made
on any thread; QPixmap only on the GUI's). The counter prints by sending the
PDF itself to CUPS (`citychain.documents.printing`); `print_pdf` paints pages
on a Qt printer instead (a PDF file through QPrinter), inside a task — Qt
allows QPainter on a QPrinter off the GUI thread — with progress and cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QLabel, QScrollArea, QVBoxLayout, QWidget

PREVIEW_DPI = 110


def render_pages(pdf: bytes, dpi: int = PREVIEW_DPI, progress: Callable | None = None) -> list[QImage]:
    """Every page as an image (RGB); safe on a worker thread."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            if progress is not None:
                progress(index, len(document), "")
            images.append(_image(document[index].render(scale=dpi / 72).to_pil()))
        return images
    finally:
        document.close()


def print_pdf(pdf: bytes, printer: QPrinter, progress: Callable | None = None) -> int:
    """Paint every page on the printer, fitted to its page; returns the page count."""
    import pypdfium2

    dpi = min(printer.resolution(), 300)
    document = pypdfium2.PdfDocument(pdf)
    painter = QPainter()
    try:
        if not painter.begin(printer):
            raise OSError("the printer could not be opened")
        count = len(document)
        for index in range(count):
            if progress is not None:
                progress(index, count, "")
            image = _image(document[index].render(scale=dpi / 72).to_pil())
            if index:
                printer.newPage()
            target = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            size = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(0, 0, size.width(), size.height()), image)
        return count
    finally:
        if painter.isActive():
            painter.end()
        document.close()


def _image(pil) -> QImage:
    pil = pil.convert("RGB")
    return QImage(pil.tobytes("raw", "RGB"), pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888).copy()


class PdfView(QScrollArea):
    """The pages of one PDF, fitted to the width, one under the other."""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(False)  # the pages set the height; the view scrolls down them
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._holder = QWidget()
        self._layout = QVBoxLayout(self._holder)
        self._layout.setSpacing(12)
        self._layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)  # the holder is as big as its pages
        self._layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self._holder)
        self._images: list[QImage] = []
        self._placeholder = QLabel()
        self._placeholder.setProperty("role", "muted")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder)
        self.placeholder_text = ""

    @property
    def page_count(self) -> int:
        return len(self._images)

    def set_placeholder(self, text: str) -> None:
        self.placeholder_text = text
        self._placeholder.setText(text)

    def clear(self) -> None:
        self._images = []
        self._rebuild()

    def show_images(self, images: list[QImage]) -> None:
        self._images = list(images)
        self._rebuild()
        QTimer.singleShot(0, lambda: self.verticalScrollBar().setValue(0))  # after the layout took the new pages

    def _rebuild(self) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(1)
            if item.widget():
                item.widget().deleteLater()
        self._placeholder.setVisible(not self._images)
        width = max(200, self.viewport().width() - 28)
        for image in self._images:
            page = QLabel()
            page.setObjectName("pdfPage")
            page.setStyleSheet("background: white; border: 1px solid #c9d1db;")
            page.setPixmap(QPixmap.fromImage(image).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))
            self._layout.addWidget(page)
        self._placeholder.setFixedWidth(max(200, self.viewport().width() - 28))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._images and event.oldSize().width() != event.size().width():
            self._rebuild()


def ask_save_path(parent: QWidget, suggested: str, title: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested), "PDF (*.pdf)")
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")

"""A signed document on screen with what a clerk does next: print or save.

Used for a new licence, a reprint and a donation receipt. Rendering and
printing run as tasks; a failure is shown in the pane's banner and the
document stays on screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from citychain.files import write_atomic

from .pdf_view import PdfView, ask_printer, ask_save_path, print_pdf, render_pages
from .widgets import Banner, Counter, button, label


class DocumentPane(QWidget):
    printed = Signal(int)  # pages
    saved = Signal(str)

    def __init__(self, counter: Counter, shortcuts: bool = True) -> None:
        super().__init__()
        self.counter = counter
        self.pdf: bytes | None = None
        self.file_name = "document.pdf"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = label("", "subtitle", wrap=True)
        self.banner = Banner()
        self.view = PdfView()
        row = QHBoxLayout()
        self.print_button = button("", "primary")
        self.save_button = button()
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(self.save_document)
        row.addWidget(self.print_button)
        row.addWidget(self.save_button)
        row.addStretch(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        if shortcuts:
            QShortcut(QKeySequence.StandardKey.Print, self, self.print_document)
            QShortcut(QKeySequence.StandardKey.Save, self, self.save_document)
        self._set_enabled(False)
        self.retranslate()

    def retranslate(self) -> None:
        self.print_button.setText(self.tr("Print…  (Ctrl+P)"))
        self.save_button.setText(self.tr("Save PDF…  (Ctrl+S)"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _set_enabled(self, enabled: bool) -> None:
        self.print_button.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def clear(self, placeholder: str = "") -> None:
        self.pdf = None
        self.caption.setText("")
        self.banner.clear()
        self.view.clear()
        self.view.set_placeholder(placeholder)
        self._set_enabled(False)

    def show_document(self, pdf: bytes, file_name: str, caption: str, images: list[QImage] | None = None) -> None:
        """Show a PDF; pass `images` when they were rendered with the work that made it."""
        self.pdf, self.file_name = pdf, file_name
        self.caption.setText(caption)
        self.banner.clear()
        self._set_enabled(True)
        if images is not None:
            self.view.show_images(images)
        else:
            self.counter.run(
                render_pages,
                pdf,
                done=self.view.show_images,
                failed=self.banner.show_error,
                what=self.tr("Rendering the document…"),
            )

    # -- print and save -----------------------------------------------------------------
    def print_document(self) -> None:
        if self.pdf is None:
            return
        printer = ask_printer(self)
        if printer is not None:
            self.print_to(printer)

    def print_to(self, printer: QPrinter):
        """Print on a printer already chosen (tests print to a PDF file)."""
        printer.setDocName(self.file_name)
        return self.counter.run(
            print_pdf,
            self.pdf,
            printer,
            done=self._printed,
            failed=self.banner.show_error,
            what=self.tr("Printing…"),
            cancellable=True,
        )

    def _printed(self, pages: int) -> None:
        self.banner.show_pair(f"已送往打印机（{pages} 页）。", f"Sent to the printer ({pages} page(s)).", "ok")
        self.printed.emit(pages)

    def save_document(self) -> None:
        if self.pdf is None:
            return
        path = ask_save_path(self, self.file_name, self.tr("Save the PDF"))
        if path is not None:
            self.save_to(path)

    def save_to(self, path: Path) -> None:
        try:
            write_atomic(path, self.pdf)
        except OSError as exc:
            self.banner.show_pair(f"无法保存到 {path}：{exc.strerror}", f"Could not save to {path}: {exc.strerror}")
            return
        self.banner.show_pair(f"已保存：{path}", f"Saved: {path}", "ok")
        self.saved.emit(str(path))


class DocumentDialog(QDialog):
    """A reprint or a receipt, in its own window."""

    def __init__(self, counter: Counter, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(820, 760)
        layout = QVBoxLayout(self)
        self.pane = DocumentPane(counter)
        layout.addWidget(self.pane)
        close = button(self.tr("Close"))
        close.clicked.connect(self.accept)
        layout.addWidget(close)

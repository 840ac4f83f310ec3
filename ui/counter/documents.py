"""A signed document on screen with what a clerk does next: print or save.

Used for a new licence, a reprint and a donation receipt. Rendering and
printing run as tasks; a failure is shown in the pane's banner and the
document stays on screen. Printing sends the sealed PDF itself to the CUPS
queue chosen in the counter's settings (`printer`, asked for the first
time); the job is kept, followed until it has printed, and can be cancelled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from citychain.documents import printing
from citychain.errors import CityChainError
from citychain.files import write_atomic

from . import texts
from .pdf_view import PdfView, ask_save_path, print_pdf, render_pages
from .printer import PrinterDialog, saved_printer
from .widgets import Banner, Counter, button, label

FOLLOW_MS = 1000  # how often a job sent to the printer is looked at until it has printed


class DocumentPane(QWidget):
    printed = Signal(int)  # pages
    sent = Signal(object)  # the printing.PrintJob CUPS accepted
    saved = Signal(str)

    def __init__(self, counter: Counter, shortcuts: bool = True) -> None:
        super().__init__()
        self.counter = counter
        self.pdf: bytes | None = None
        self.file_name = "document.pdf"
        self.job: printing.PrintJob | None = None
        self.printer_dialog: PrinterDialog | None = None
        self._caption: str | tuple[str, str] = ""
        self._follow = QTimer(self, singleShot=True, interval=FOLLOW_MS, timeout=self._look_at_job)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = label("", "subtitle", wrap=True)
        self.banner = Banner()
        self.view = PdfView()
        row = QHBoxLayout()
        self.print_button = button("", "primary")
        self.printer_button = button()
        self.printer_button.setObjectName("choosePrinter")
        self.cancel_print_button = button()
        self.cancel_print_button.setObjectName("cancelPrint")
        self.cancel_print_button.hide()
        self.save_button = button()
        self.print_button.clicked.connect(self.print_document)
        self.printer_button.clicked.connect(lambda: self.choose_printer(then_print=False))
        self.cancel_print_button.clicked.connect(self.cancel_print)
        self.save_button.clicked.connect(self.save_document)
        row.addWidget(self.print_button)
        row.addWidget(self.printer_button)
        row.addWidget(self.cancel_print_button)
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
        printer = saved_printer()
        self.printer_button.setText(
            self.tr("Printer: %1…").replace("%1", printer) if printer else self.tr("Choose the printer…")
        )
        self.cancel_print_button.setText(self.tr("Cancel printing"))
        self.save_button.setText(self.tr("Save PDF…  (Ctrl+S)"))
        self._show_caption()

    def _show_caption(self) -> None:
        caption = self._caption
        self.caption.setText(caption if isinstance(caption, str) else texts.pick(*caption))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _set_enabled(self, enabled: bool) -> None:
        self.print_button.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def clear(self, placeholder: str = "") -> None:
        self.pdf = None
        self._forget_job()
        self._caption = ""
        self.caption.setText("")
        self.banner.clear()
        self.view.clear()
        self.view.set_placeholder(placeholder)
        self._set_enabled(False)

    def show_document(
        self, pdf: bytes, file_name: str, caption: str | tuple[str, str], images: list[QImage] | None = None
    ) -> None:
        """Show a PDF; pass `images` when they were rendered with the work that made it.
        A (Chinese, English) caption follows the interface language."""
        self.pdf, self.file_name = pdf, file_name
        self._forget_job()
        self._caption = caption
        self._show_caption()
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
        """The sealed PDF to the counter's printer; asks for one the first time."""
        if self.pdf is None:
            return
        name = saved_printer()
        if name is None:
            self.choose_printer(then_print=True)
            return
        try:
            queue = printing.PrintQueue(name)
        except CityChainError as exc:
            self.banner.show_error(exc)
            return
        self.print_on(queue)

    def choose_printer(self, then_print: bool) -> PrinterDialog:
        dialog = PrinterDialog(self.counter, self)

        def chosen() -> None:
            self.retranslate()
            if then_print:
                self.print_document()

        dialog.accepted.connect(chosen)
        dialog.open()
        self.printer_dialog = dialog
        return dialog

    def print_on(self, queue: printing.PrintQueue):
        """Send the PDF's own bytes to a CUPS queue, off the GUI thread."""
        self._forget_job()
        return self.counter.run(
            printing.submit,
            self.pdf,
            queue,
            self.file_name,
            done=self._sent,
            failed=self.banner.show_error,
            what=self.tr("Printing…"),
        )

    def _sent(self, job: printing.PrintJob) -> None:
        self.job = job
        self._say_sent(job)
        self.cancel_print_button.show()
        self.cancel_print_button.setEnabled(True)
        self.sent.emit(job)
        self._follow.start()

    def _look_at_job(self) -> None:
        job = self.job
        if job is not None:
            self.counter.run(
                printing.pending,
                job,
                done=lambda waiting: self._looked(job, waiting),
                failed=lambda exc: self._lost(job, exc),
                quiet=True,
            )

    def _looked(self, job: printing.PrintJob, waiting: bool) -> None:
        if job != self.job:  # cancelled, or another document since
            return
        if waiting:
            if self.banner.property("tone") == "error":  # the printer is back
                self._say_sent(job)
            self._follow.start()
            return
        self._forget_job()
        self.banner.show_pair(
            f"已打印（打印机“{job.queue.name}”，作业 {job.request_id}）。",
            f'Printed (printer "{job.queue.name}", job {job.request_id}).',
            "ok",
        )

    def _lost(self, job: printing.PrintJob, exc: BaseException) -> None:
        """The printer stopped or the server went quiet: say so, keep the job
        to cancel, and keep looking (it may print once the printer is back)."""
        if job == self.job:
            self.banner.show_error(exc)
            self._follow.start()

    def _say_sent(self, job: printing.PrintJob) -> None:
        self.banner.show_pair(
            f"已送往打印机“{job.queue.name}”（作业 {job.request_id}），正在打印…",
            f'Sent to the printer "{job.queue.name}" (job {job.request_id}); printing…',
            "info",
        )

    def cancel_print(self) -> None:
        job = self.job
        if job is None:
            return
        self.cancel_print_button.setEnabled(False)
        self._follow.stop()
        self.counter.run(
            printing.cancel,
            job,
            done=lambda _none: self._cancelled(job),
            failed=self._not_cancelled,
            what=self.tr("Cancelling the print job…"),
        )

    def _cancelled(self, job: printing.PrintJob) -> None:
        self._forget_job()
        self.banner.show_pair(
            f"打印作业 {job.request_id} 已取消。", f"The print job {job.request_id} was cancelled.", "info"
        )

    def _not_cancelled(self, exc: BaseException) -> None:
        self.cancel_print_button.setEnabled(True)
        self.banner.show_error(exc)
        self._follow.start()

    def _forget_job(self) -> None:
        self.job = None
        self._follow.stop()
        self.cancel_print_button.hide()

    def print_to(self, printer: QPrinter):
        """Paint the pages on a Qt printer already set up (a PDF file): Qt's
        print path, for where no CUPS queue is wanted."""
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

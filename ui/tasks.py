"""The one way the UI runs slow work (signing, sealing, printing, network):
on a thread pool, reporting back on the GUI thread through Qt signals.

    task = tasks.run(desk.issue, user, kind, values, done=self.show_pdf, failed=self.show_error)
    task.cancel()        # asks politely: work that checks `task.cancelled` stops early

A callable that accepts a keyword argument `progress` is given a function
`progress(done, total, text)`; a long job calls it now and then and looks at
`cancelled` (raise `Cancelled` to stop).
"""

from __future__ import annotations

import inspect
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Cancelled(Exception):
    """Raised inside a task that noticed it was cancelled."""


class Task(QObject):
    """One piece of background work; its signals arrive on the GUI thread."""

    finished = Signal(object)  # the result
    failed = Signal(object)  # the exception (with __traceback_text__ for logs)
    progressed = Signal(int, int, str)
    ended = Signal()  # after finished or failed, always

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()
        self.running = True

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def progress(self, done: int, total: int, text: str = "") -> None:
        if self.cancelled:
            raise Cancelled()
        self.progressed.emit(done, total, text)


class _Runner(QRunnable):
    def __init__(self, task: Task, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.task, self.fn, self.args, self.kwargs = task, fn, args, kwargs

    def run(self) -> None:
        task = self.task
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 — every failure goes back to the GUI as a message
            exc.__traceback_text__ = traceback.format_exc()
            task.running = False
            task.failed.emit(exc)
        else:
            task.running = False
            task.finished.emit(result)
        task.ended.emit()


def _wants_progress(fn: Callable[..., Any]) -> bool:
    try:
        return "progress" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Tasks:
    """A pool of worker threads; keep one per window tree (or use `default()`)."""

    def __init__(self, max_threads: int = 4) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        **kwargs: Any,
    ) -> Task:
        task = Task()
        if done:
            task.finished.connect(done)
        if failed:
            task.failed.connect(failed)
        if progress:
            task.progressed.connect(progress)
        if _wants_progress(fn):
            kwargs["progress"] = task.progress
        self._live.add(task)  # keep the QObject alive until its signals are delivered
        task.ended.connect(lambda: self._live.discard(task))
        self.pool.start(_Runner(task, fn, args, kwargs))
        return task

    def wait(self, msecs: int = 30000) -> bool:
        """For tests and shutdown: block until every task is done."""
        return self.pool.waitForDone(msecs)


_DEFAULT: Tasks | None = None


def default() -> Tasks:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tasks()
    return _DEFAULT

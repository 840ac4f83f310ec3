"""Turning what the node layers raise into `BackendError`s a person can read.

Every error of the node, the desks and the rules is one `CityChainError`
(code, Chinese, English, the form fields to mark), so the GUI takes it as it
is, by its code: `GUI_CODES` renames the few core codes the GUI reacts to in
its own terms, and any other code passes through (shown as its sentences).
Programming errors are not translated: they stay tracebacks, for the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from citychain.errors import CityChainError

from .backend import UNAVAILABLE, BackendError

# Core codes the GUI knows by another name (ui.backend's codes).
GUI_CODES = {
    "HOME_UNUSABLE": UNAVAILABLE,  # the node home cannot be used as asked
    "HOME_IN_USE": UNAVAILABLE,  # another process holds the node
    "TLS_REQUIRED": UNAVAILABLE,
    "BAD_PEER_URL": UNAVAILABLE,
}


def as_backend_error(exc: BaseException) -> BackendError | None:
    """The BackendError for an exception people can act on, else None."""
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, CityChainError):
        return BackendError(GUI_CODES.get(exc.code, exc.code), exc.message_zh, exc.message_en, exc.fields)
    if isinstance(exc, OSError):
        return BackendError(UNAVAILABLE, f"无法读写数据：{exc}", f"the data could not be read or written: {exc}")
    return None


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = as_backend_error(exc)
        if mapped is None or mapped is exc:
            raise
        raise mapped from exc

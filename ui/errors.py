"""Turning what the node layers raise into `BackendError`s a person can read.

The node, the desks and the rules each have their own bilingual exception;
the GUI wants one shape (code, Chinese, English, and the form fields to mark).
Programming errors are not translated: they stay tracebacks, for the log.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from citychain.accounts.users import AuthError, Bilingual, PermissionDenied
from citychain.errors import BilingualError
from citychain.node.kinds import RecordRejected

from .backend import (
    INVALID_FIELDS,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    BackendError,
)


def as_backend_error(exc: BaseException) -> BackendError | None:
    """The BackendError for an exception people can act on, else None."""
    from certificates.fields import FieldErrors

    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, FieldErrors):
        fields = {p.field: (p.message_zh, p.message_en) for p in exc.problems}
        return BackendError(INVALID_FIELDS, "请更正标出的栏目：" + "；".join(p.message_zh for p in exc.problems),
                            "Please correct the marked fields: " + "; ".join(p.message_en for p in exc.problems),
                            fields)
    if isinstance(exc, PermissionDenied):
        return BackendError(PERMISSION_DENIED, exc.message_zh, exc.message_en)
    if isinstance(exc, AuthError):
        return BackendError(UNAUTHENTICATED, exc.message_zh, exc.message_en)
    if isinstance(exc, RecordRejected):
        fields = {exc.field: (exc.message_zh, exc.message_en)} if exc.field else {}
        return BackendError(exc.code, exc.message_zh, exc.message_en, fields)
    if isinstance(exc, BilingualError):  # a desk's RequestError names the fields at fault
        fields = {name: (exc.message_zh, exc.message_en) for name in getattr(exc, "fields", ())}
        return BackendError(exc.code, exc.message_zh, exc.message_en, fields)
    zh, en = getattr(exc, "message_zh", None), getattr(exc, "message_en", None)
    if isinstance(exc, Bilingual) or (zh and en):
        return BackendError(getattr(exc, "code", "REFUSED"), zh, en)
    from citychain.node.home import HomeError
    from citychain.node.ledger import LedgerUnavailable

    if isinstance(exc, HomeError) and " / " in str(exc):
        zh, _, en = str(exc).partition(" / ")
        return BackendError(UNAVAILABLE, zh, en)

    if isinstance(exc, LedgerUnavailable):
        return BackendError(UNAVAILABLE, "本节点暂时不能写入账本：" + str(exc), "this node cannot write now: " + str(exc))
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

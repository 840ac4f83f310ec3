"""The one shape of a ledger error that callers act on: a stable code and a message."""

from __future__ import annotations


class CodedError(ValueError):
    """`code` is stable (tests, status pages and other agencies match on it);
    the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class BilingualError(CodedError):
    """An error shown to people as is, in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


class RequestError(BilingualError):
    """A request a desk cannot serve, with the HTTP status to answer;
    `fields` names the query parameters or form fields at fault."""

    def __init__(self, message_zh: str, message_en: str, status: int = 400, code: str = "BAD_REQUEST",
                 fields: tuple[str, ...] = ()) -> None:
        super().__init__(code, message_zh, message_en)
        self.status = status
        self.fields = fields

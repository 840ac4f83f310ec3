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

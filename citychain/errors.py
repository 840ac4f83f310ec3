"""The one shape of every error a person may see: `CityChainError`.

A stable `code` (tests, status pages, the GUI and other agencies match on
it), the message in Chinese and in English as separate fields, and `fields`,
the form fields or query parameters at fault (name → (zh, en)). `str()` is
"zh / en", what the command lines print. A protocol or operator error that
has only English words (a peer's bad checkpoint, a home that is not one)
carries the one text in both fields.

Every error class of the core, the plug-ins and the GUI derives from it,
keeping the built-in base its callers catch (ValueError, RuntimeError…), so
a door answers any of them the same way (`net.desk_api.error_response`,
`ui.errors.as_backend_error`) without knowing the classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class CityChainError(Exception):
    """`code`, `message_zh`, `message_en`, `fields` (name → (zh, en)); a
    class (or error) with its own HTTP `status` says so, the rest are
    answered by kind (`net.desk_api.STATUSES`)."""

    status: int | None = None

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str | None = None,
        fields: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_zh if message_en is None else message_en
        self.fields = {name: (pair[0], pair[1]) for name, pair in (fields or {}).items()}
        super().__init__(both(self.message_zh, self.message_en))

    def marking(self, names: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Each of `names` marked with this error's own message."""
        return {name: (self.message_zh, self.message_en) for name in names}

    def to_json(self) -> dict[str, Any]:
        """The refusal every HTTP door answers: `error` (the code), `message`
        ("zh / en", for older clients), both languages, `fields` (name → [zh, en])."""
        return {
            "error": self.code,
            "message": str(self),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "fields": {name: list(pair) for name, pair in self.fields.items()},
        }


def both(message_zh: str, message_en: str) -> str:
    """ "zh / en", or the one text when there is only one."""
    return message_en if message_zh == message_en else f"{message_zh} / {message_en}"


class MessageError(CityChainError):
    """Raised with its message(s) only: the class's `code` unless one is
    given; one text (English, for an operator) is both messages."""

    code = "ERROR"

    def __init__(self, message_zh: str, message_en: str | None = None, code: str | None = None) -> None:
        super().__init__(code or type(self).code, message_zh, message_en)


class CodedError(CityChainError, ValueError):
    """Input that breaks a rule (a record, a proof, a peer's answer): a ValueError.
    `CodedError(code, message)` is one text for both languages."""


class BilingualError(CodedError):
    """Input refused with a sentence in each language, shown to people as is."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, fields: Mapping[str, tuple[str, str]] | None = None
    ) -> None:
        super().__init__(code, message_zh, message_en, fields)


class RequestError(BilingualError):
    """A request a desk cannot serve, with the HTTP status to answer;
    `fields` names the query parameters or form fields at fault."""

    def __init__(
        self, message_zh: str, message_en: str, status: int = 400, code: str = "BAD_REQUEST", fields: Iterable[str] = ()
    ) -> None:
        super().__init__(code, message_zh, message_en)
        self.fields = self.marking(fields)
        self.status = status

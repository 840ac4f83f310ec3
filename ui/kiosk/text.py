"""The kiosk's translatable strings: English source, Chinese in
ui/translations/kiosk_zh_CN.ts, one context so the file stays simple."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

CONTEXT = "Kiosk"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def noop(text: str) -> str:
    """Marks a source string translated later, where it is shown (like QT_TR_NOOP)."""
    return text


def both(zh: str, en: str) -> str:
    """A message that is always shown in both languages (verdicts, refusals)."""
    return f"{zh}\n{en}" if zh and en else zh or en

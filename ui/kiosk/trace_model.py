"""A donation's trace report (charity.trace_json) as the trace screen's
timeline: each step in city time with its proof. The flow of the money is
`charity.flow`'s, its words `charity.money_states`'. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from charity.money_states import step_words
from citychain.clock import parse_time
from citychain.documents.city_time import city_datetime


@dataclass(frozen=True)
class TimelineEntry:
    time: str | None  # city time, "YYYY-MM-DD HH:MM"
    label_zh: str
    label_en: str
    amount_fen: int
    proof: str  # included | witnessed | awaiting_checkpoint | log_invalid | not_held
    agency: str


def _fen(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def city_time(stamp: str | None) -> str | None:
    if not stamp:
        return None
    try:
        return city_datetime(parse_time(stamp)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return None


def timeline(report: dict[str, Any]) -> tuple[TimelineEntry, ...]:
    out = []
    for step in report.get("steps") or ():
        zh, en = step_words(str(step.get("step")))
        proof = step.get("proof") or {}
        status = str(proof.get("status", "not_held"))
        if status == "included" and proof.get("witnessed"):
            status = "witnessed"
        out.append(
            TimelineEntry(
                city_time(step.get("time")), zh, en, _fen(step.get("amount_fen")), status, str(step.get("log", ""))
            )
        )
    return tuple(out)


def donated_on(report: dict[str, Any]) -> str | None:
    return city_time(report.get("time"))


def now_text(moment: datetime) -> str:
    return city_datetime(moment).strftime("%Y-%m-%d %H:%M")

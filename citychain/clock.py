"""Time as records carry it: UTC, millisecond precision, one fixed text form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class OffsetClock:
    """The system clock moved by a fixed offset: a home's `[clock]
    offset_seconds` (test-only, docs/protocol.md §6) makes a node behave as
    one whose machine's clock is wrong, without faking time for the process."""

    offset_seconds: float

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)


def clock_from_config(extra: dict) -> Clock:
    """The clock a home's config asks for: the system's, unless a test set
    `[clock] offset_seconds`."""
    offset = float(extra.get("clock", {}).get("offset_seconds", 0) or 0)
    return OffsetClock(offset) if offset else SystemClock()


@dataclass
class FakeClock:
    """Tests move time by hand; nothing else in the code is faked."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_timestamp(ts: float | None) -> str | None:
    """A Unix time (or None) in the records' text form."""
    return None if ts is None else format_time(datetime.fromtimestamp(ts, UTC))


def parse_time(text: str) -> datetime:
    """Strict: only the exact form `format_time` writes is accepted."""
    if not isinstance(text, str) or not _TIME_RE.match(text):
        raise ValueError(f"time must look like 2026-01-31T08:00:00.000Z, got {text!r}")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

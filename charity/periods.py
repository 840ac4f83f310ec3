"""Calendar quarters and the disclosure deadlines of the 慈善组织信息公开办法
(docs/protocol.md §12, *Disclosure*): dates are the city's calendar dates (UTC+8), never
UTC, so a record signed at 2026-12-31T17:00Z belongs to 2027-01-01.

Calendar months come from dateutil's `relativedelta`, which clamps to the
month's last day (2026-08-31 + 6 months = 2027-02-28).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from citychain.clock import parse_time
from citychain.documents.city_time import city_datetime

QUARTER_RE = re.compile(r"(\d{4})Q([1-4])\Z")
LONG_PROJECT_MONTHS = 6  # longer than this: a report every quarter it runs
QUARTER_GRACE_MONTHS = 1  # a quarter's report is due by the last day of the month after it
FINAL_MONTHS = 3  # the final report is due within three months of the project's end


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1–4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2026Q4`; ValueError for anything else."""
        match = QUARTER_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"a quarter is written like 2026Q4, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return self.first + relativedelta(months=3) - timedelta(days=1)

    @property
    def due(self) -> date:
        """The last day its report may be published on time."""
        return self.last + timedelta(days=1) + relativedelta(months=QUARTER_GRACE_MONTHS) - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter.containing(self.last + timedelta(days=1))

    def previous(self) -> Quarter:
        return Quarter.containing(self.first - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def city_date(time: str) -> date:
    """A record's time (`2026-03-01T08:00:00.000Z`) as the city's calendar date."""
    return city_datetime(parse_time(time)).date()


def is_long(start: date, end: date) -> bool:
    """Longer than six calendar months: a quarterly report is owed."""
    return end > start + relativedelta(months=LONG_PROJECT_MONTHS)


def final_due(end: date) -> date:
    return end + relativedelta(months=FINAL_MONTHS)


def quarters_between(first: date, last: date) -> list[Quarter]:
    """Every quarter with a day in [first, last]."""
    out, quarter = [], Quarter.containing(first)
    while quarter.first <= last:
        out.append(quarter)
        quarter = quarter.next()
    return out

"""The city's own civil time: documents print dates, and verifiers compare
validity days, in it, whatever the time zone of the machine."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CITY_TIME = ZoneInfo("Asia/Shanghai")


def city_today(now: datetime) -> date:
    return now.astimezone(CITY_TIME).date()


def city_datetime(moment: datetime) -> datetime:
    return moment.astimezone(CITY_TIME)

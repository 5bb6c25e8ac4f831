"""The campus's local time zone: days, opening hours and dates in files are local.

Stored times are UTC; a roster date, a report's day or a zone's opening hours
mean the campus's wall clock (``CAMPUSGATE_TZ``, default ``Asia/Shanghai``).
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.errors import ConfigError

TZ_ENV = "CAMPUSGATE_TZ"
DEFAULT_TZ = "Asia/Shanghai"


def site_zone(name: str | None = None) -> ZoneInfo:
    """The zone called ``name``, else ``$CAMPUSGATE_TZ``, else Asia/Shanghai."""
    key = name or os.environ.get(TZ_ENV) or DEFAULT_TZ
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {key!r}") from exc


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def end_of(day: date, tz: ZoneInfo) -> datetime:
    """The last microsecond of a local day (validity "until" a date is inclusive)."""
    return datetime.combine(day, time.max, tzinfo=tz)

"""The campus's local time zone: the one clock people read.

Stored times and the wire are UTC; a roster date, a report's day or a zone's
opening hours mean the campus's wall clock (``CAMPUSGATE_TZ``, default
``Asia/Shanghai``).  Every time shown to a person or written to a file for
people (CLI listings, report files, exports, the gate's console) goes through
:func:`local_iso`: the site's wall clock with its offset, ISO 8601
(``2026-12-03T08:00:00+08:00``), never ``Z`` or ``+00:00`` unless the site's
zone really is UTC.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
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


Timespec = Literal["minutes", "seconds", "milliseconds"]


def local_iso(
    value: datetime, tz: ZoneInfo | None = None, *, timespec: Timespec = "seconds"
) -> str:
    """A time as people read it: the site's wall clock with its offset, ISO 8601.

    ``tz`` is the site's zone (default: :func:`site_zone`); a naive ``value`` is
    taken as UTC, as storage keeps it.
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(tz or site_zone()).isoformat(timespec=timespec)


# An ISO 8601 time with its zone (``Z`` or an offset), as storage and the wire write them.
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")


def local_times(text: str, tz: ZoneInfo | None = None) -> str:
    """``text`` with every ISO time in it (a logged parameter, a stored JSON) on the site's
    clock with its offset; what does not read as a time stays as it is."""

    def local(match: re.Match[str]) -> str:
        try:
            value = datetime.fromisoformat(match.group().replace("Z", "+00:00"))
        except ValueError:
            return match.group()
        return local_iso(value, tz, timespec="seconds")

    return ISO_TIME.sub(local, text)

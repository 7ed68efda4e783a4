"""Office hours (`handoff.office_hours`, local, Monday to Friday): whether staff are
at work now, and how much working time lies between two moments, so a question asked
on Friday evening and answered on Monday morning counts as answered quickly."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

Hours = tuple[time, time]
MAX_DAYS = 400  # working time is counted over at most this many days


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A stored (naive UTC) or aware moment, in local time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def at_work(moment: datetime, hours: Hours, tz: ZoneInfo) -> bool:
    here = local(moment, tz)
    return here.weekday() < 5 and hours[0] <= here.time() < hours[1]


def working_day(hours: Hours) -> timedelta:
    """The length of one working day."""
    start, end = (datetime.combine(datetime.min, h) for h in hours)
    return end - start


def working_time(start: datetime, end: datetime, hours: Hours, tz: ZoneInfo) -> timedelta:
    """The office time between START and END."""
    first, last = local(start, tz), local(end, tz)
    total = timedelta()
    day = first.date()
    for _ in range(MAX_DAYS):
        if day > last.date():
            break
        if day.weekday() < 5:
            opens = datetime.combine(day, hours[0], tz)
            closes = datetime.combine(day, hours[1], tz)
            overlap = min(closes, last) - max(opens, first)
            total += max(overlap, timedelta())
        day += timedelta(days=1)
    return total

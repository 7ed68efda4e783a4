"""Office hours (`handoff.office_hours`, local, Monday to Friday): whether staff are
at work now, and how much working time lies between two moments, so a question asked
on Friday evening and answered on Monday morning counts as answered quickly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy

Hours = tuple[time, time]


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A stored (naive UTC) or aware moment, in local time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def at_work(moment: datetime, hours: Hours, tz: ZoneInfo) -> bool:
    here = local(moment, tz)
    return here.weekday() < 5 and hours[0] <= here.time() < hours[1]


def working_day(hours: Hours) -> timedelta:
    """The length of one working day."""
    start, end = (datetime.combine(date.min, h) for h in hours)
    return end - start


def working_time(start: datetime, end: datetime, hours: Hours, tz: ZoneInfo) -> timedelta:
    """The office time between START and END: the two end days in part, the weekdays
    between them whole (counted, not walked: a dashboard reads thousands)."""
    first, last = local(start, tz), local(end, tz)
    if last <= first:
        return timedelta()
    if first.date() == last.date():
        return _within(first.date(), first, last, hours, tz)
    whole = int(numpy.busday_count(first.date() + timedelta(days=1), last.date()))
    return (_within(first.date(), first, last, hours, tz) + whole * working_day(hours)
            + _within(last.date(), first, last, hours, tz))


def _within(day: date, first: datetime, last: datetime, hours: Hours, tz: ZoneInfo
            ) -> timedelta:
    """The office time of DAY that lies between FIRST and LAST."""
    if day.weekday() >= 5:
        return timedelta()
    opens, closes = (datetime.combine(day, h, tz) for h in hours)
    return max(min(closes, last) - max(opens, first), timedelta())

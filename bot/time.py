"""Time, in one place: an injectable clock (answers depend on today's date, and tests
pick the day), UTC for storage, and the Vietnamese way of showing it (14:00 ngày 15/10/2025)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    return clock.now().astimezone(tz).date()


VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no daylight saving


def local_day(stored: datetime) -> date:
    """The day in Vietnam of a stored (naive UTC) moment: what staff count by."""
    return stored.replace(tzinfo=UTC).astimezone(VIETNAM).date()


def stored_now(clock: Clock) -> datetime:
    """The clock's now as stored in the database: naive UTC."""
    return clock.now().astimezone(UTC).replace(tzinfo=None)


def to_stored(moment: datetime) -> datetime:
    """An aware local time as stored: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def show(moment: datetime | None, tz: ZoneInfo, lang: str = "vi") -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # stored naive UTC
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    if lang == "en":
        return local.strftime("%H:%M on %d/%m/%Y")
    return local.strftime("%H:%M ngày %d/%m/%Y")


def show_day(moment: datetime | None, tz: ZoneInfo) -> str:
    """Date only (dd/mm/yyyy): for past sessions whose hours were never published."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%d/%m/%Y")

"""Times are stored in UTC and shown the Vietnamese way: 14:00 ngày 15/10/2025."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


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

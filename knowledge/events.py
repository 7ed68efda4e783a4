"""Events people can be reminded of (knowledge/events.yaml), with yearly recurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from knowledge.errors import KnowledgeError
from knowledge.trainings import parse_local


@dataclass(frozen=True)
class Event:
    id: str
    title: dict[str, str]
    start: datetime  # aware, local; for all-day events midnight of the day
    end: datetime
    all_day: bool
    yearly: bool
    place: str
    description: dict[str, str]

    def occurrence(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The next (start, end) that has not ended at NOW; None when it is over for good."""
        start, end = self.start, self.end
        if not self.yearly:
            return (start, end) if end > now else None
        year = now.astimezone(start.tzinfo).year
        for candidate_year in (year - 1, year, year + 1):
            shift = _in_year(start, candidate_year) - start
            if end + shift > now:
                return start + shift, end + shift
        return None


def _in_year(moment: datetime, year: int) -> datetime:
    """The same day in YEAR; 29 February becomes the 28th in a common year."""
    try:
        return moment.replace(year=year)
    except ValueError:
        return moment.replace(year=year, day=28)


def load_events(path: Path, tz: ZoneInfo) -> list[Event]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    events, problems = [], []
    for raw in data.get("events") or []:
        where = f"{path}: event {raw.get('id')}"
        try:
            if raw.get("all_day"):
                day = date.fromisoformat(str(raw["date"]))
                start = datetime.combine(day, time(0, 0), tz)
                end = start + timedelta(days=1)
            else:
                start = parse_local(raw["start"], tz)
                end = parse_local(raw["end"], tz) if raw.get("end") else start + timedelta(hours=2)
            title = raw["title"]
            events.append(Event(
                id=str(raw["id"]), title={"vi": title["vi"], "en": title["en"]}, start=start,
                end=end, all_day=bool(raw.get("all_day")),
                yearly=raw.get("recurrence") == "yearly", place=str(raw.get("place", "")),
                description=dict(raw.get("description") or {"vi": "", "en": ""})))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise KnowledgeError(problems)
    return events

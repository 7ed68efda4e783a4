"""An .ics file for a confirmed seat, so the session lands in the person's phone calendar."""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar, Event

from bot.storage.models import TrainingSession


def session_ics(training: TrainingSession, lang: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Lao Cai digital outreach bot//vi")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{training.id}@laocai-bot")
    event.add("summary", training.title(lang))
    event.add("dtstart", training.starts_at.replace(tzinfo=UTC))
    event.add("dtend", training.ends_at.replace(tzinfo=UTC))
    event.add("dtstamp", training.updated_at.replace(tzinfo=UTC))
    event.add("location", training.place)
    description = training.description_en if lang == "en" else training.description_vi
    if training.link:
        description = f"{description}\n{training.link}".strip()
    event.add("description", description)
    calendar.add_component(event)
    return calendar.to_ical()

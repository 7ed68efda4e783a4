"""Events in the database: the YAML ones refreshed at start, the console's kept; what
people see and are reminded of, and what staff add, edit and cancel.

An event edited in the console becomes the console's (YAML no longer overwrites
it); a cancelled one disappears from the chat and its subscribers are told, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.core.refused import Refused
from bot.delivery.outbox import enqueue
from bot.staff.scope import commune_filter
from bot.storage.models import (
    EventRecord,
    EventSubscription,
    StaffRole,
    User,
)
from bot.time import show, show_day, to_stored
from knowledge.events import Event

ACTIVE, CANCELLED = "active", "cancelled"
YAML, CONSOLE = "yaml", "console"
ID_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
MAX_TITLE, MAX_PLACE, MAX_DESCRIPTION = 200, 300, 2000


def _event(row: EventRecord, tz: ZoneInfo) -> Event:
    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC).astimezone(tz)

    return Event(id=row.id, title={"vi": row.title_vi, "en": row.title_en or row.title_vi},
                 start=local(row.starts_at), end=local(row.ends_at), all_day=row.all_day,
                 yearly=row.yearly, place=row.place,
                 description={"vi": row.description_vi, "en": row.description_en})


def next_start(event: Event, now: datetime) -> datetime:
    """When the event next happens (a yearly one: this year's or next year's day, not the
    year it was first written down); its own start once it is over."""
    occurrence = event.occurrence(now.replace(tzinfo=UTC))
    return occurrence[0] if occurrence else event.start


def when_next(row: EventRecord, tz: ZoneInfo, now: datetime) -> datetime | None:
    """For staff lists: the next start of ROW, or None when it is over for good."""
    occurrence = _event(row, tz).occurrence(now.replace(tzinfo=UTC))
    return occurrence[0] if occurrence else None


async def sync_from_yaml(session: AsyncSession, events: list[Event], now: datetime) -> None:
    """knowledge/events.yaml into the table; rows the console made or edited are kept."""
    for event in events:
        row = await session.get(EventRecord, event.id)
        if row is None:
            row = EventRecord(id=event.id, status=ACTIVE, source=YAML)
            session.add(row)
        elif row.source != YAML:
            continue
        row.title_vi, row.title_en = event.title["vi"], event.title["en"]
        row.description_vi = event.description.get("vi", "")
        row.description_en = event.description.get("en", "")
        row.starts_at, row.ends_at = to_stored(event.start), to_stored(event.end)
        row.all_day, row.yearly, row.place = event.all_day, event.yearly, event.place
        row.updated_at = now


async def coming(session: AsyncSession, tz: ZoneInfo, commune: str | None = None
                 ) -> list[Event]:
    """Active events for a person of COMMUNE: the province's and their commune's."""
    rows = await session.scalars(
        select(EventRecord).where(EventRecord.status == ACTIVE,
                                  or_(EventRecord.commune_code.is_(None),
                                      EventRecord.commune_code == commune))
        .order_by(EventRecord.starts_at, EventRecord.id))
    return [_event(row, tz) for row in rows]


async def every_active(session: AsyncSession, tz: ZoneInfo) -> list[Event]:
    """Every active event (the reminder scheduler: subscribers come from any commune)."""
    rows = await session.scalars(select(EventRecord).where(EventRecord.status == ACTIVE))
    return [_event(row, tz) for row in rows]


async def titles(session: AsyncSession) -> dict[str, dict[str, str]]:
    """Every event's title, cancelled ones too (what /mydata names)."""
    rows = await session.execute(select(EventRecord.id, EventRecord.title_vi,
                                        EventRecord.title_en))
    return {i: {"vi": vi, "en": en or vi} for i, vi, en in rows}


# -- staff ---------------------------------------------------------------------------

def _visible(role: StaffRole) -> object:
    own = commune_filter(role)
    return True if own is None else or_(EventRecord.commune_code.is_(None),
                                        EventRecord.commune_code == own)


async def staff_events(session: AsyncSession, role: StaffRole) -> list[EventRecord]:
    return list(await session.scalars(select(EventRecord).where(_visible(role))
                                      .order_by(EventRecord.starts_at.desc())))


async def staff_event(session: AsyncSession, role: StaffRole, event_id: str
                      ) -> EventRecord | None:
    """The event if ROLE may see it; another commune's is None, like a missing one."""
    return await session.scalar(select(EventRecord).where(EventRecord.id == event_id,
                                                          _visible(role)))


@dataclass(frozen=True)
class EventForm:
    title: str
    title_en: str
    description: str
    start: datetime  # aware, local
    end: datetime
    all_day: bool
    yearly: bool
    place: str


def _check(form: EventForm, now: datetime) -> None:
    if not form.title or len(form.title) > MAX_TITLE or len(form.title_en) > MAX_TITLE:
        raise Refused("event_bad_title")
    if len(form.place) > MAX_PLACE:
        raise Refused("event_bad_place")
    if len(form.description) > MAX_DESCRIPTION:
        raise Refused("training_bad_description")
    if form.end <= form.start:
        raise Refused("training_end_before_start")
    if not form.yearly and to_stored(form.end) <= now:
        raise Refused("training_in_the_past")


def _fill(row: EventRecord, form: EventForm, now: datetime) -> None:
    row.title_vi, row.title_en = form.title, form.title_en or form.title
    if row.description_en is None or row.description_en == row.description_vi:
        row.description_en = form.description  # an English text of its own is kept
    row.description_vi = form.description
    row.starts_at, row.ends_at = to_stored(form.start), to_stored(form.end)
    row.all_day, row.yearly, row.place = form.all_day, form.yearly, form.place
    row.source, row.updated_at = CONSOLE, now


async def add(session: AsyncSession, event_id: str, form: EventForm, commune: str | None,
              now: datetime) -> EventRecord:
    if not ID_SHAPE.match(event_id):
        raise Refused("event_bad_id")
    _check(form, now)
    taken = await session.scalar(select(EventRecord.id).where(
        func.lower(EventRecord.id) == event_id.lower()))
    if taken is not None:  # "CD-EV" beside "cd-ev" would be two posters for one thing
        raise Refused("event_id_taken")
    row = EventRecord(id=event_id, commune_code=commune, status=ACTIVE)
    _fill(row, form, now)
    session.add(row)
    return row


async def edit(session: AsyncSession, row: EventRecord, form: EventForm, tz: ZoneInfo,
               now: datetime) -> int:
    """New details; a new time cancels the reminders queued for the old one (the new
    ones follow it) and tells the subscribers. Returns how many were told."""
    if row.status != ACTIVE:
        raise Refused("event_cancelled_already")
    _check(form, now)
    moved = (to_stored(form.start), to_stored(form.end)) != (row.starts_at, row.ends_at)
    _fill(row, form, now)
    if not moved:
        return 0
    await _cancel_reminders(session, row.id)
    return await _tell(session, row, "event_moved_notice", "event_moved", tz, now)


async def cancel(session: AsyncSession, row: EventRecord, tz: ZoneInfo, now: datetime) -> int:
    if row.status != ACTIVE:
        raise Refused("event_cancelled_already")
    row.status, row.source, row.updated_at = CANCELLED, CONSOLE, now
    await _cancel_reminders(session, row.id)
    return await _tell(session, row, "event_cancelled_notice", "event_cancelled", tz, now)


async def _cancel_reminders(session: AsyncSession, event_id: str) -> None:
    from bot.reminders.scheduler import drop_pending_reminders

    await drop_pending_reminders(session, f"e:{event_id}:")


async def _tell(session: AsyncSession, row: EventRecord, key: str, kind: str, tz: ZoneInfo,
                now: datetime) -> int:
    users = (await session.scalars(
        select(User).join(EventSubscription, EventSubscription.user_id == User.id)
        .where(EventSubscription.event_id == row.id, User.blocked.is_(False)))).all()
    event = _event(row, tz)
    start = next_start(event, now)
    for user in users:
        lang = user.language
        when = show_day(start, tz) if row.all_day else show(start, tz, lang)
        text = catalogue_text(lang, key, title=event.title.get(lang) or event.title["vi"],
                              when=when, place=row.place)
        await enqueue(session, user, kind,
                      f"{row.id}:{now:%Y%m%d%H%M%S%f}", Reply(text), now)
    return len(users)

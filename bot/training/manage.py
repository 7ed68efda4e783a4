"""Staff actions on training sessions, for the CLI and the console alike: add, close,
move (the people concerned told through the outbox), and attendance.

Validation answers with a catalogue key, so each front end says it in its own
words and language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.core.refused import Refused
from bot.delivery.outbox import enqueue
from bot.storage.models import Registration, RegistrationStatus, SessionStatus, TrainingSession
from bot.time import show, to_stored
from bot.training.store import promote_waiting, registered_users, registrant, watchers

__all__ = ["NewSession", "Refused", "SessionDetails", "add", "close", "edit", "mark_attended",
           "move", "notice"]
MAX_CAPACITY = 10_000
MAX_TITLE = 200
MAX_PLACE = 300
ID_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")


@dataclass(frozen=True)
class NewSession:
    id: str
    title: str
    title_en: str
    audience: str
    description: str
    start: datetime  # aware, local
    end: datetime
    deadline: datetime | None
    place: str
    link: str | None
    commune: str | None
    capacity: int


async def add(session: AsyncSession, new: NewSession, tz: ZoneInfo, now: datetime
              ) -> tuple[TrainingSession, int]:
    """The session, checked and stored; (it, how many people waiting for one are told)."""
    _check(new, now)
    if await session.get(TrainingSession, new.id):
        raise Refused("training_id_taken")
    training = TrainingSession(
        id=new.id, title_vi=new.title, title_en=new.title_en or new.title,
        audience=new.audience, description_vi=new.description,
        description_en=new.description, starts_at=to_stored(new.start),
        ends_at=to_stored(new.end),
        deadline=to_stored(new.deadline) if new.deadline else None, place=new.place,
        link=new.link, commune_code=new.commune, capacity=new.capacity, seats_taken=0,
        extra_fields=[], status=SessionStatus.OPEN, source="cli", updated_at=now)
    session.add(training)
    await session.flush()
    told = 0
    for user in await watchers(session, new.audience):
        await enqueue(session, user, "new_session", training.id,
                      Reply(notice("new_session_notice", training, tz, user.language)), now)
        told += 1
    return training, told


def _check(new: NewSession, now: datetime) -> None:
    if not ID_SHAPE.match(new.id):
        raise Refused("training_bad_id")
    if not new.title.strip() or len(new.title) > MAX_TITLE or len(new.title_en) > MAX_TITLE:
        raise Refused("training_bad_title")
    if not new.place.strip() or len(new.place) > MAX_PLACE:
        raise Refused("training_bad_place")
    if new.link and not new.link.startswith(("https://", "http://")):
        raise Refused("training_bad_link")
    if not 1 <= new.capacity <= MAX_CAPACITY:
        raise Refused("training_bad_capacity")
    if new.end <= new.start:
        raise Refused("training_end_before_start")
    if to_stored(new.start) <= now:
        raise Refused("training_in_the_past")
    if new.deadline is not None and new.deadline > new.start:
        raise Refused("training_deadline_after_start")


def notice(key: str, training: TrainingSession, tz: ZoneInfo, lang: str) -> str:
    return catalogue_text(lang, key, title=training.title(lang),
                          start=show(training.starts_at, tz, lang), place=training.place)


async def _tell_registrants(session: AsyncSession, training: TrainingSession, key: str,
                            source_kind: str, tz: ZoneInfo, now: datetime) -> int:
    users = await registered_users(session, training.id)
    for user in users:
        await enqueue(session, user, source_kind,
                      f"{training.id}:{training.updated_at:%Y%m%d%H%M%S%f}",
                      Reply(notice(key, training, tz, user.language)), now)
    return len(users)


async def close(session: AsyncSession, training: TrainingSession, tz: ZoneInfo,
                now: datetime) -> int:
    """No more sign-ups; returns how many registrants are told (once: closing a closed
    session is refused, not announced again)."""
    if training.status == SessionStatus.CLOSED:
        raise Refused("training_already_closed")
    training.status = SessionStatus.CLOSED
    training.updated_at = now
    return await _tell_registrants(session, training, "session_closed_notice", "closed", tz,
                                   now)


async def move(session: AsyncSession, training: TrainingSession, start: datetime,
               end: datetime, tz: ZoneInfo, now: datetime) -> int:
    """A new time (reminders follow it); returns how many registrants are told."""
    if end <= start:
        raise Refused("training_end_before_start")
    if to_stored(start) <= now:
        raise Refused("training_in_the_past")
    if training.deadline is not None and training.deadline > to_stored(start):
        raise Refused("training_deadline_after_start")
    training.starts_at, training.ends_at = to_stored(start), to_stored(end)
    training.updated_at = now
    from bot.reminders.scheduler import cancel_session_reminders

    await cancel_session_reminders(session, training.id)  # new ones follow the new time
    return await _tell_registrants(session, training, "session_moved_notice", "moved", tz,
                                   now)


@dataclass(frozen=True)
class SessionDetails:
    """What can change about a session besides its time (see `move`) and status."""

    title: str
    title_en: str
    description: str
    place: str
    link: str | None
    capacity: int
    deadline: datetime | None  # aware, local


async def edit(session: AsyncSession, training: TrainingSession, details: SessionDetails,
               tz: ZoneInfo, now: datetime) -> int:
    """New details; more seats go to the people waiting, who are told. Fewer seats than
    are taken is refused (nobody loses a seat). Returns how many were promoted."""
    if not details.title or len(details.title) > MAX_TITLE or len(details.title_en) > MAX_TITLE:
        raise Refused("training_bad_title")
    if not details.place or len(details.place) > MAX_PLACE:
        raise Refused("training_bad_place")
    if details.link and not details.link.startswith(("https://", "http://")):
        raise Refused("training_bad_link")
    if not 1 <= details.capacity <= MAX_CAPACITY:
        raise Refused("training_bad_capacity")
    if details.capacity < (training.seats_taken or 0):
        raise Refused("training_capacity_below_taken")
    deadline = to_stored(details.deadline) if details.deadline else None
    if deadline is not None and deadline > training.starts_at:
        raise Refused("training_deadline_after_start")
    training.title_vi, training.title_en = details.title, details.title_en or details.title
    training.description_vi = training.description_en = details.description
    training.place, training.link, training.deadline = details.place, details.link, deadline
    training.capacity, training.updated_at = details.capacity, now
    await session.flush()
    if training.status != SessionStatus.OPEN or training.starts_at <= now:
        return 0  # closed or begun: nobody is told a seat is theirs now
    promoted = await promote_waiting(session, training.id)
    for registration in promoted:
        user = await registrant(session, registration)
        if user is not None:
            await enqueue(session, user, "promotion", str(registration.id),
                          Reply(notice("promoted_notice", training, tz, user.language)), now)
    return len(promoted)


async def mark_attended(session: AsyncSession, registration_id: int, session_id: str,
                        attended: bool, now: datetime) -> bool:
    """Attendance of one confirmed registration of SESSION_ID; False if there is none."""
    result = await session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.session_id == session_id,
               Registration.status == RegistrationStatus.CONFIRMED)
        .values(attended_at=now if attended else None))
    return bool(result.rowcount)

"""Reminders: a scheduler turns due reminders into outbox rows; the delivery engine sends them.

Every reminder has a source id made of what it is about, that occurrence's
start and the offset (when several offsets have passed, only the nearest is
sent), and the outbox keeps one row per (source, person), so
restarts never remind anyone twice. Reminders that fell due while the bot was
down are queued on restart if the event has not started; a moved session gets
new reminders (its start is in the id) and its old ones are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.core.services import Services
from bot.delivery.outbox import enqueue
from bot.reminders import events
from bot.storage.models import (
    EventSubscription,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    TrainingSession,
    User,
)
from bot.time import show, show_day, stored_now, to_stored

log = logging.getLogger(__name__)
ALL_DAY_HOUR = time(8, 0)  # all-day events are reminded at 08:00 the day before


def _tag(offset: timedelta) -> str:
    return f"{int(offset.total_seconds())}s"


async def drop_pending_reminders(session: AsyncSession, prefix: str) -> int:
    """Delete the reminders not yet sent whose source id starts with PREFIX exactly (no
    LIKE: "_" in an id, or SQLite's case folding, would reach another event's). Deleted,
    not cancelled: moved back to this time, the reminder must be queued again."""
    result = await session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.source_kind == "reminder",
               func.substr(OutboxMessage.source_id, 1, len(prefix)) == prefix,
               OutboxMessage.status == OutboxStatus.PENDING))
    return int(result.rowcount or 0)


async def cancel_session_reminders(session: AsyncSession, session_id: str) -> int:
    return await drop_pending_reminders(session, f"t:{session_id}:")


async def _training_reminders(session: AsyncSession, services: Services, now: datetime) -> None:
    offsets = services.config.reminders_before
    horizon = now + max(offsets)
    trainings = (await session.scalars(select(TrainingSession).where(
        TrainingSession.starts_at > now, TrainingSession.starts_at <= horizon))).all()
    for training in trainings:
        due = [o for o in offsets if training.starts_at - o <= now]
        if not due:
            continue
        due = [min(due)]  # the nearest only: added late, or down a while, one reminder
        users = (await session.scalars(
            select(User).join(Registration, Registration.user_id == User.id)
            .where(Registration.session_id == training.id,
                   Registration.status == RegistrationStatus.CONFIRMED))).unique().all()
        for user in users:
            text = catalogue_text(user.language, "reminder_training",
                                  title=training.title(user.language),
                                  start=show(training.starts_at, services.config.tz,
                                             user.language), place=training.place)
            for offset in due:
                await enqueue(session, user, "reminder",
                              f"t:{training.id}:{training.starts_at:%Y%m%d%H%M}:{_tag(offset)}",
                              Reply(text), now)


async def _event_reminders(session: AsyncSession, services: Services, now: datetime) -> None:
    tz = services.config.tz
    aware_now = now.replace(tzinfo=UTC)
    for event in await events.every_active(session, tz):
        occurrence = event.occurrence(aware_now)
        if occurrence is None:
            continue
        start, _ = occurrence
        if to_stored(start) <= now:
            continue  # started: a reminder now would be late
        if event.all_day:
            points = [(datetime.combine(start.date() - timedelta(days=1), ALL_DAY_HOUR, tz), "1d")]
        else:
            points = [(start - o, _tag(o)) for o in services.config.reminders_before]
        passed = [(moment, tag) for moment, tag in points if to_stored(moment) <= now]
        if not passed:
            continue
        due = [max(passed)[1]]  # the nearest only, as for sessions
        users = (await session.scalars(
            select(User).join(EventSubscription, EventSubscription.user_id == User.id)
            .where(EventSubscription.event_id == event.id))).unique().all()
        for user in users:
            lang = user.language
            when = (show_day(start, tz) if event.all_day else show(start, tz, lang))
            text = catalogue_text(lang, "reminder_event", title=event.title.get(lang) or
                                  event.title["vi"], when=when, place=event.place)
            for tag in due:
                await enqueue(session, user, "reminder",
                              f"e:{event.id}:{start:%Y%m%d%H%M}:{tag}", Reply(text), now)


async def log_missed(services: Services) -> None:
    """At start: sessions that began while the bot was down, whose reminders were never queued."""
    now = stored_now(services.clock)
    async with services.sessions() as session:
        rows = (await session.execute(
            select(TrainingSession.id, func.count())
            .join(Registration, Registration.session_id == TrainingSession.id)
            .where(TrainingSession.starts_at <= now,
                   TrainingSession.starts_at > now - timedelta(days=1),
                   Registration.status == RegistrationStatus.CONFIRMED)
            .group_by(TrainingSession.id))).all()
        for session_id, people in rows:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.source_kind == "reminder",
                OutboxMessage.source_id.like(f"t:{session_id}:%")))
            if not queued:
                log.warning("reminders for session %s (%d people) fell due while the bot was "
                            "down and it has started: dropped", session_id, people)


async def schedule_due(services: Services) -> None:
    now = stored_now(services.clock)
    async with services.sessions() as session, session.begin():
        await _training_reminders(session, services, now)
        await _event_reminders(session, services, now)


async def scheduler(services: Services, interval: float = 30.0) -> None:
    """Every INTERVAL seconds: queue due reminders; once an hour: housekeeping and
    closing handoff questions nobody touched for days."""
    from bot.handoff.expiry import close_stale
    from bot.reminders.housekeeping import prune

    await log_missed(services)
    rounds = 0
    while True:
        try:
            await schedule_due(services)
            if rounds % int(3600 / interval) == 0:
                await prune(services)
                await close_stale(services)
        except Exception:
            log.exception("reminder round failed; retrying")
        rounds += 1
        await asyncio.sleep(interval)

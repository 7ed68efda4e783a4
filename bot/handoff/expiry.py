"""Closing questions nobody touched for `handoff.close_after_days`.

One whose last message from the person has no answer is closed as such and the
person is told, so nobody waits for an answer that will not come; an answered one is
simply done. Safe with several processes: each ticket closes once (a conditional
update), the message is sent once (its outbox source id).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.core.services import Services
from bot.delivery.outbox import enqueue
from bot.handoff.notify import SOURCE
from bot.handoff.store import LIVE, Status, closed_entry
from bot.storage.models import Ticket, User
from bot.time import stored_now

BATCH = 200


async def close_stale(services: Services) -> int:
    """Close every live ticket quiet for longer than the setting; how many closed."""
    now = stored_now(services.clock)
    cutoff = now - services.config.ticket_close_after
    days = services.config.ticket_close_after.days
    closed = 0
    while True:
        async with services.sessions() as session, session.begin():
            stale = list(await session.scalars(
                select(Ticket).where(Ticket.status.in_(LIVE), Ticket.last_activity_at < cutoff)
                .order_by(Ticket.id).limit(BATCH)))
            for ticket in stale:
                closed += await _close_one(session, ticket, now, days)
        if len(stale) < BATCH:
            return closed


async def _close_one(session: AsyncSession, ticket: Ticket, now: datetime, days: int) -> int:
    taken = await session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.status.in_(LIVE))
        .values(status=Status.CLOSED, closed_at=now).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return 0  # another process closed it first
    unanswered = ticket.status == Status.OPEN  # the person's last message has no answer
    session.add(closed_entry(ticket, now, "unanswered" if unanswered else "done"))
    person = await session.get(User, ticket.user_id)
    if unanswered and person is not None:
        text = catalogue_text(person.language or "vi", "handoff_expired", number=ticket.id,
                              days=days)
        await enqueue(session, person, SOURCE, f"{ticket.id}.expired", Reply(text), now)
    return 1

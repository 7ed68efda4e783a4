"""Who asked to be reminded of which event ("Nhắc tôi", /nhaclich, e_ deep links)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import EventSubscription


async def subscribed_event_ids(session: AsyncSession, user_id: int) -> set[str]:
    rows = await session.scalars(select(EventSubscription.event_id)
                                 .where(EventSubscription.user_id == user_id))
    return set(rows.all())


def subscribe(session: AsyncSession, user_id: int, event_id: str, now: datetime) -> None:
    session.add(EventSubscription(user_id=user_id, event_id=event_id, created_at=now))


async def unsubscribe(session: AsyncSession, user_id: int, event_id: str) -> None:
    await session.execute(delete(EventSubscription).where(
        EventSubscription.user_id == user_id, EventSubscription.event_id == event_id))

"""Housekeeping: tables that would otherwise only grow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.core.services import Services
from bot.storage.models import ProcessedMessage
from bot.time import stored_now

# Zalo re-sends an update within minutes or hours (retries, restarts); a week is ample.
PROCESSED_MESSAGE_DAYS = 7


async def prune(services: Services) -> int:
    cutoff = stored_now(services.clock) - timedelta(days=PROCESSED_MESSAGE_DAYS)
    async with services.sessions() as session, session.begin():
        result = await session.execute(
            delete(ProcessedMessage).where(ProcessedMessage.created_at < cutoff))
    return int(result.rowcount or 0)

"""Housekeeping: tables that would otherwise only grow.

Handled inbox updates and outbox messages that reached an end (sent, blocked,
refused, given up, cancelled) are deleted after `delivery.keep_days`, a batch
per short transaction, so the workers never wait behind one long delete.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.services import Services
from bot.delivery import outbox
from bot.inbox import store as inbox
from bot.time import stored_now

BATCH = 1000


async def prune(services: Services, batch: int = BATCH) -> int:
    """Everything past the retention; how many rows went."""
    cutoff = stored_now(services.clock) - timedelta(days=services.config.keep_days)
    total = 0
    for prune_batch in (inbox.prune, outbox.prune):
        while True:
            async with services.sessions() as session, session.begin():
                gone = await prune_batch(session, cutoff, batch)
            total += gone
            if gone < batch:
                break
    return total

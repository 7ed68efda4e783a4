"""The outbox: messages the bot sends on its own (not as a reply), stored before sending.

A row per (source, recipient), unique, so a notification is queued at most once.
The delivery worker sends due rows through the channels that can push
(Telegram); the web page and the terminal pick theirs up as an inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, stored_now
from bot.core.messages import Option, Reply
from bot.rate_limit import TokenBucket
from bot.storage.models import OutboxMessage, User

log = logging.getLogger(__name__)

# A sender returns "sent", "blocked" or "failed".
Sender = Callable[[str, Reply], Awaitable[str]]
PULL_CHANNELS = frozenset({"web", "terminal"})  # they fetch their inbox


def to_payload(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text,
            "options": [[o.label, o.payload, o.url] for o in reply.options]}


def from_payload(payload: dict[str, Any]) -> Reply:
    return Reply(payload["text"], [Option(label, p, url) for label, p, url in payload["options"]])


async def enqueue(session: AsyncSession, user: User, source_kind: str, source_id: str,
                  reply: Reply, not_before: datetime) -> None:
    """Queue REPLY for USER once per source (a repeat of the same source is ignored)."""
    if user.blocked or user.chat_id is None:
        return
    values = dict(source_kind=source_kind, source_id=source_id, user_id=user.id,
                  channel=user.channel, chat_id=user.chat_id, payload=to_payload(reply),
                  not_before=not_before, created_at=not_before, status="pending", attempts=0)
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(OutboxMessage).values(**values).on_conflict_do_nothing())


async def take_inbox(session: AsyncSession, user_id: int, now: datetime) -> list[Reply]:
    """Pending messages for a pull channel's user, marked sent as they are handed over."""
    rows = (await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status == "pending",
               OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id)
    )).all()
    for row in rows:
        row.status, row.sent_at = "sent", now
    return [from_payload(row.payload) for row in rows]


class DeliveryWorker:
    """Sends due outbox rows through push channels. One per process (SQLite)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 rates: dict[str, float] | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.senders: dict[str, Sender] = {}
        self.buckets = {channel: TokenBucket(rate) for channel, rate in (rates or {}).items()}
        self._task: asyncio.Task[None] | None = None

    def register(self, channel: str, sender: Sender) -> None:
        self.senders[channel] = sender

    async def deliver_due(self, limit: int = 100) -> int:
        if not self.senders:
            return 0
        now = stored_now(self.clock)
        async with self.sessions() as session, session.begin():
            rows = (await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now,
                       OutboxMessage.channel.in_(list(self.senders)))
                .order_by(OutboxMessage.id).limit(limit)
            )).all()
            for row in rows:
                bucket = self.buckets.get(row.channel)
                if bucket:
                    await bucket.acquire()
                outcome = await self.senders[row.channel](row.chat_id, from_payload(row.payload))
                row.attempts += 1
                if outcome == "sent":
                    row.status, row.sent_at = "sent", stored_now(self.clock)
                elif outcome == "blocked":
                    row.status = "blocked"
                    await session.execute(update(User).where(User.id == row.user_id)
                                          .values(blocked=True))
                elif row.attempts >= 5:
                    row.status, row.last_error = "failed", "gave up after 5 attempts"
        return len(rows)

    async def run(self, interval: float = 1.0) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("delivery round failed; retrying")
            await asyncio.sleep(interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

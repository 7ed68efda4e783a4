"""The outbox: messages the bot sends on its own (not as a reply), stored before sending.

A row per (source, recipient), unique, so a notification is queued at most once.
The delivery engine (bot/delivery/engine.py) sends due rows through the channels that
can push (Telegram, Zalo); the web page and the terminal pick theirs up as an inbox.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Option, Reply
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.models import OutboxMessage, OutboxStatus, User

log = logging.getLogger(__name__)

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
    await session.execute(insert_ignoring_duplicates(session, OutboxMessage), dict(
        source_kind=source_kind, source_id=source_id, user_id=user.id,
        channel=user.channel, chat_id=user.chat_id, payload=to_payload(reply),
        not_before=not_before, created_at=not_before, status=OutboxStatus.PENDING, attempts=0))


async def take_inbox(session: AsyncSession, user_id: int, now: datetime) -> list[Reply]:
    """Pending messages for a pull channel's user, marked sent as they are handed over."""
    rows = (await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id)
    )).all()
    for row in rows:
        row.status, row.sent_at = OutboxStatus.SENT, now
    return [from_payload(row.payload) for row in rows]

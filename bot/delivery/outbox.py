"""The outbox: messages the bot sends on its own (not as a reply), stored before sending.

A row per (source, recipient), unique, so a notification is queued at most once.
The delivery engine (bot/delivery/engine.py) sends due rows through the channels that
can push (Telegram, Zalo); the web page and the terminal pick theirs up as an inbox.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Attachment, Option, Reply
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.models import OutboxMessage, OutboxStatus, User

log = logging.getLogger(__name__)

PULL_CHANNELS = frozenset({"web", "terminal"})  # they fetch their waiting messages
REPLY_SOURCE = "reply"  # answers to an inbox update; source_id "<inbox id>.<n>"


def to_payload(reply: Reply) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "text": reply.text, "options": [[o.label, o.payload, o.url] for o in reply.options],
        "lang": reply.lang}
    if reply.request_phone:
        payload["request_phone"] = True
    if reply.secret_link:
        payload["secret_link"] = True
    if reply.attachment:
        a = reply.attachment
        payload["attachment"] = [a.filename, base64.b64encode(a.content).decode(), a.mime_type,
                                 a.text_fallback]
    return payload


def from_payload(payload: dict[str, Any]) -> Reply:
    attachment = payload.get("attachment")
    return Reply(
        payload["text"], [Option(label, p, url) for label, p, url in payload["options"]],
        attachment=Attachment(attachment[0], base64.b64decode(attachment[1]), *attachment[2:])
        if attachment else None,
        request_phone=bool(payload.get("request_phone")), lang=payload.get("lang", "vi"),
        secret_link=bool(payload.get("secret_link")))


async def record_replies(session: AsyncSession, user_id: int, channel: str, chat_id: str,
                         inbox_id: int, replies: list[Reply], now: datetime,
                         leased_until: datetime, worker: str) -> list[int]:
    """A turn's replies, in its transaction, leased to the worker that sends them at once;
    if it dies before they leave, the delivery engine sends them after the lease."""
    conn = await session.connection()
    ids = []
    for n, reply in enumerate(replies):  # one or two a turn: a row each, its id back
        ids.append((await conn.execute(_INSERT_REPLY, dict(
            source_kind=REPLY_SOURCE, source_id=f"{inbox_id}.{n}", user_id=user_id,
            channel=channel, chat_id=chat_id, payload=to_payload(reply), not_before=now,
            created_at=now, status=OutboxStatus.PENDING, attempts=0,
            leased_until=leased_until, leased_by=worker))).scalar_one())
    return ids


# Built once: constructing a statement on every message costs more CPU than running it.
_INSERT_REPLY = insert(OutboxMessage).returning(OutboxMessage.id)


async def enqueue(session: AsyncSession, user: User, source_kind: str, source_id: str,
                  reply: Reply, not_before: datetime) -> None:
    """Queue REPLY for USER once per source (a repeat of the same source is ignored)."""
    if user.blocked or user.chat_id is None:
        return
    await session.execute(insert_ignoring_duplicates(session, OutboxMessage), dict(
        source_kind=source_kind, source_id=source_id, user_id=user.id,
        channel=user.channel, chat_id=user.chat_id, payload=to_payload(reply),
        not_before=not_before, created_at=not_before, status=OutboxStatus.PENDING, attempts=0))


async def take_waiting(session: AsyncSession, user_id: int, now: datetime) -> list[Reply]:
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


async def prune(session: AsyncSession, before: datetime, batch: int) -> int:
    """Up to BATCH messages created before BEFORE that reached an end (not pending)."""
    ids = (select(OutboxMessage.id)
           .where(OutboxMessage.status != OutboxStatus.PENDING,
                  OutboxMessage.created_at < before).limit(batch))
    result = await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return int(result.rowcount or 0)


async def backlog(session: AsyncSession, now: datetime) -> tuple[dict[str, int], float]:
    """Messages due and not yet sent, per channel, and how long the oldest has waited."""
    rows = (await session.execute(
        select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.not_before))
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now,
               OutboxMessage.channel.not_in(PULL_CHANNELS))
        .group_by(OutboxMessage.channel))).all()
    oldest = min((t for _, _, t in rows), default=None)
    return {ch: n for ch, n, _ in rows}, (now - oldest).total_seconds() if oldest else 0.0

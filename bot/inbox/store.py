"""The inbox's queries: store a batch, claim the next update of free chats, finish, prune.

Order per chat: a worker may take an update only when every earlier update of
the same chat is finished and the replies to them have left (no pending reply
in the outbox), so any number of workers on any number of machines answer a
chat in the order it wrote. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so
workers never wait on each other's rows; SQLite has one worker process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Incoming
from bot.delivery.outbox import REPLY_SOURCE
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.models import (
    InboxMessage,
    InboxStatus,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)

MAX_ERROR = 300


@dataclass(frozen=True)
class Received:
    """One update as a receiver read it: the neutral message, or why it could not be."""

    channel: str
    chat_id: str
    platform_id: str | None
    incoming: Incoming | None = None
    raw: Any = None  # kept for a malformed update, which is stored as failed
    problem: str = ""


async def first_time(session: AsyncSession, incoming: Incoming, now: datetime) -> bool:
    """A message answered at once (the web chat) whose sender may send it again (a retry
    after a lost answer): noted as done under its chat and id, so it is answered once
    (one person's id never blocks another's). Only the ids are kept, not the text.
    False when it was seen before."""
    assert incoming.message_id is not None
    noted = await session.execute(insert_ignoring_duplicates(session, InboxMessage), {
        "channel": incoming.channel, "chat_id": incoming.chat_id[:128],
        "platform_id": f"{incoming.chat_id}:{incoming.message_id}"[:128], "payload": {},
        "status": InboxStatus.DONE,
        "attempts": 0, "error": None, "received_at": now, "done_at": now})
    return bool(noted.rowcount)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    incoming: Incoming


def _row(item: Received, now: datetime) -> dict[str, Any]:
    failed = item.incoming is None
    payload = {"raw": repr(item.raw)[:2000]} if failed else asdict(item.incoming)  # type: ignore[arg-type]
    return {"channel": item.channel, "chat_id": item.chat_id[:128],
            "platform_id": item.platform_id and item.platform_id[:128], "payload": payload,
            "status": InboxStatus.FAILED if failed else InboxStatus.PENDING, "attempts": 0,
            "error": item.problem[:MAX_ERROR] or None, "received_at": now,
            "done_at": now if failed else None}


async def store(session: AsyncSession, items: Sequence[Received], now: datetime) -> None:
    """A receiver's batch, in the caller's transaction; a re-delivered update is ignored."""
    if items:
        await session.execute(insert_ignoring_duplicates(session, InboxMessage),
                              [_row(item, now) for item in items])


def _claimable(channels: Sequence[str], now: datetime) -> Any:
    """The head of each chat (its oldest pending update), unless a worker holds it or
    the replies to the chat's last update have not left yet.

    The heads are found by one grouped scan of the pending rows rather than a
    correlated "no earlier pending row" test: the planner cannot misjudge a burst
    that arrived before its statistics did (that test took 2 s on 2,000 rows).
    """
    heads = (select(func.min(InboxMessage.id))
             .where(InboxMessage.status == InboxStatus.PENDING,
                    InboxMessage.channel.in_(channels))
             .group_by(InboxMessage.channel, InboxMessage.chat_id))
    replies_leaving = exists().where(
        OutboxMessage.channel == InboxMessage.channel,
        OutboxMessage.chat_id == InboxMessage.chat_id,
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.source_kind == REPLY_SOURCE)
    return and_(InboxMessage.id.in_(heads),
                or_(InboxMessage.leased_until.is_(None), InboxMessage.leased_until < now),
                ~replies_leaving)


async def claim(session: AsyncSession, worker: str, channels: Sequence[str], now: datetime,
                lease: timedelta, limit: int) -> list[Claimed]:
    """The oldest pending update of up to LIMIT free chats of CHANNELS, leased to WORKER."""
    query = (select(InboxMessage.id, InboxMessage.attempts, InboxMessage.payload)
             .where(_claimable(channels, now)).order_by(InboxMessage.id).limit(limit))
    if session.bind and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InboxMessage)
    rows = (await session.execute(query)).all()
    claimed, unreadable = [], []
    for row in rows:
        try:
            claimed.append(Claimed(row.id, row.attempts, Incoming(**row.payload)))
        except TypeError:  # stored by a version whose message had other fields
            unreadable.append(row.id)
    if claimed:
        await session.execute(update(InboxMessage)
                              .where(InboxMessage.id.in_([c.id for c in claimed]))
                              .values(leased_until=now + lease, leased_by=worker))
    if unreadable:  # set aside, or it would hold up its chat (and every claim) for ever
        await session.execute(update(InboxMessage).where(InboxMessage.id.in_(unreadable))
                              .values(status=InboxStatus.FAILED, done_at=now,
                                      error="stored message no longer readable"))
    return claimed


# Built once: constructing a statement on every message costs more CPU than running it.
_FINISH = (update(InboxMessage)
           .where(InboxMessage.id == bindparam("inbox_id"),
                  InboxMessage.leased_by == bindparam("worker"),
                  InboxMessage.status == InboxStatus.PENDING)
           .values(status=InboxStatus.DONE, done_at=bindparam("now"), leased_until=None))


async def finish(session: AsyncSession, inbox_id: int, worker: str, now: datetime) -> bool:
    """Mark the update done in the turn's transaction; False if WORKER lost its lease
    (another worker has it now: the caller rolls the turn back)."""
    conn = await session.connection()
    result = await conn.execute(_FINISH, {"inbox_id": inbox_id, "worker": worker, "now": now})
    return bool(result.rowcount)


async def failed_attempt(session: AsyncSession, inbox_id: int, attempts: int, error: str,
                         park: bool, now: datetime) -> None:
    """A turn that raised: counted and tried again after a pause that doubles (a database
    blip passes), or parked for good."""
    values: dict[str, Any] = {"attempts": attempts,
                              "leased_until": now + timedelta(seconds=2 ** attempts),
                              "error": error[:MAX_ERROR]}
    if park:
        values.update(status=InboxStatus.PARKED, done_at=now)
    await session.execute(update(InboxMessage).where(InboxMessage.id == inbox_id)
                          .values(**values))


@dataclass(frozen=True)
class Backlog:
    pending: dict[str, int]  # per channel
    oldest_pending_seconds: float
    failed: int
    parked: int


async def backlog(session: AsyncSession, now: datetime) -> Backlog:
    """What is waiting, for /healthz and `laocai-bot status`."""
    rows = (await session.execute(
        select(InboxMessage.status, InboxMessage.channel, func.count(),
               func.min(InboxMessage.received_at))
        .where(InboxMessage.status != InboxStatus.DONE)
        .group_by(InboxMessage.status, InboxMessage.channel))).all()
    pending = {ch: n for status, ch, n, _ in rows if status == InboxStatus.PENDING}
    oldest = min((t for status, _, _, t in rows if status == InboxStatus.PENDING), default=None)
    return Backlog(pending, (now - oldest).total_seconds() if oldest else 0.0,
                   sum(n for status, _, n, _ in rows if status == InboxStatus.FAILED),
                   sum(n for status, _, n, _ in rows if status == InboxStatus.PARKED))


async def prune(session: AsyncSession, before: datetime, batch: int) -> int:
    """Up to BATCH finished updates older than BEFORE; short transactions, so workers
    never wait behind a long delete."""
    ids = select(InboxMessage.id).where(InboxMessage.status != InboxStatus.PENDING,
                                        InboxMessage.done_at < before).limit(batch)
    result = await session.execute(delete(InboxMessage).where(InboxMessage.id.in_(ids)))
    return int(result.rowcount or 0)


# -- worker heartbeats ---------------------------------------------------------------

_BEAT = (update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == bindparam("worker"))
         .values(seen_at=bindparam("now")))


async def beat(session: AsyncSession, worker: str, host: str, pid: int, started: datetime,
               now: datetime) -> None:
    """WORKER is alive at NOW (its row made on the first beat)."""
    conn = await session.connection()
    if not (await conn.execute(_BEAT, {"worker": worker, "now": now})).rowcount:
        session.add(WorkerHeartbeat(worker_id=worker, host=host[:120], pid=pid,
                                    started_at=started, seen_at=now))


async def forget_worker(session: AsyncSession, worker: str) -> None:
    await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker))


async def workers_seen(session: AsyncSession, since: datetime) -> list[WorkerHeartbeat]:
    """The workers that beat since SINCE, newest first."""
    return list(await session.scalars(select(WorkerHeartbeat)
                                      .where(WorkerHeartbeat.seen_at >= since)
                                      .order_by(WorkerHeartbeat.seen_at.desc())))

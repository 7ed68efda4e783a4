"""Broadcasts: who may reach whom, who receives, queueing into the outbox, progress.

Who may reach whom is bot/staff/scope.py's rule, checked here at the moment of
sending against the role re-read from the database, so a forged option or a
role revoked mid-dialog reaches nobody outside it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalogue import name_of
from bot.catalogue import text as catalogue_text
from bot.core import payloads
from bot.core.messages import Option, Reply
from bot.core.payloads import Action
from bot.delivery.outbox import enqueue, to_payload
from bot.staff.scope import is_province, may_broadcast, narrowed
from bot.storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    EventSubscription,
    OutboxMessage,
    OutboxStatus,
    Registration,
    StaffRole,
    User,
)
from bot.time import Clock, stored_now
from bot.training.store import ACTIVE
from knowledge.audience import PERSON_GROUPS

log = logging.getLogger(__name__)
AUDIENCES = tuple(PERSON_GROUPS)
MAX_TEXT = 1500


@dataclass(frozen=True)
class Scope:
    communes: tuple[str, ...] | None = None  # None: every commune
    audience: str | None = None
    session: str | None = None  # a training session's registrants
    event: str | None = None  # the people who asked to be reminded of an event

    def to_json(self) -> dict[str, Any]:
        return {"communes": list(self.communes) if self.communes is not None else None,
                "audience": self.audience, "session": self.session, "event": self.event}


def _recipients_query(scope: Scope) -> Any:
    if scope.event:
        return (select(User).join(EventSubscription, EventSubscription.user_id == User.id)
                .where(EventSubscription.event_id == scope.event,
                       User.blocked.is_(False), User.chat_id.is_not(None)))
    if scope.session:
        return (select(User).join(Registration, Registration.user_id == User.id)
                .where(Registration.session_id == scope.session,
                       Registration.status.in_(ACTIVE),
                       User.blocked.is_(False), User.chat_id.is_not(None)))
    query = select(User).where(User.news_opt_in.is_(True), User.blocked.is_(False),
                               User.chat_id.is_not(None))
    if scope.communes is not None:
        query = query.where(User.commune_code.in_(scope.communes))
    if scope.audience:
        query = query.where(User.audience == scope.audience)
    return query


async def count_recipients(session: AsyncSession, scope: Scope) -> int:
    subquery = _recipients_query(scope).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def count_by_channel(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """The exact recipients per channel, as `queue` would write them."""
    subquery = _recipients_query(scope).subquery()
    rows = await session.execute(select(subquery.c.channel, func.count())
                                 .group_by(subquery.c.channel))
    return {channel: int(n) for channel, n in rows}


# -- what staff see in the console ------------------------------------------------------

async def staff_broadcasts(session: AsyncSession, role: StaffRole, actor: str,
                           limit: int = 50) -> list[Broadcast]:
    """Province staff: every broadcast; commune staff: their own (as in the chat)."""
    return await recent_broadcasts(session, None if is_province(role) else actor, limit)


async def staff_broadcast(session: AsyncSession, role: StaffRole, actor: str,
                          broadcast_id: int) -> Broadcast | None:
    item = await session.get(Broadcast, broadcast_id)
    if item is None or (not is_province(role) and item.actor != actor):
        return None
    return item


@dataclass(frozen=True)
class Delivery:
    channel: str
    name: str
    commune: str | None
    status: str
    attempts: int
    error: str


async def report(session: AsyncSession, role: StaffRole, broadcast_id: int) -> list[Delivery]:
    """Each recipient's delivery, among the people ROLE may see."""
    query = (select(OutboxMessage.channel, User.display_name, User.commune_code,
                    OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
             .join(User, User.id == OutboxMessage.user_id)
             .where(OutboxMessage.source_kind == "broadcast",
                    OutboxMessage.source_id == str(broadcast_id))
             .order_by(OutboxMessage.id))
    where = narrowed(role, User.commune_code)
    if where is not None:
        query = query.where(where)
    return [Delivery(channel, name or "", commune, status, attempts, error or "")
            for channel, name, commune, status, attempts, error in await session.execute(query)]


def message_for(text: str, lang: str, origin: str) -> Reply:
    """The broadcast as one person gets it: where it comes from, the text, how to stop."""
    body = (f"{catalogue_text(lang, 'broadcast_header', origin=origin)}\n{text}\n\n"
            f"{catalogue_text(lang, 'broadcast_footer')}")
    turn_off = Option(catalogue_text(lang, "news_turn_off"), payloads.action(Action.STOP_NEWS))
    return Reply(body, [turn_off])


async def queue(session: AsyncSession, actor: str, role: StaffRole, scope: Scope, text: str,
                origin: str, when: datetime, now: datetime,
                sender_user_id: int | None = None) -> Broadcast:
    """Check the scope against the role, then one outbox row per recipient."""
    if not may_broadcast(role, scope):
        raise PermissionError("scope outside the sender's role")
    broadcast = Broadcast(actor=actor, sender_user_id=sender_user_id, scope=scope.to_json(),
                          text=text, not_before=when, status=BroadcastStatus.QUEUED, created_at=now)
    session.add(broadcast)
    await session.flush()
    payloads = {lang: to_payload(message_for(text, lang, origin)) for lang in ("vi", "en")}
    users = (await session.scalars(_recipients_query(scope))).unique().all()
    rows = [{"source_kind": "broadcast", "source_id": str(broadcast.id), "user_id": u.id,
             "channel": u.channel, "chat_id": u.chat_id,
             "payload": payloads.get(u.language, payloads["vi"]), "not_before": when,
             "status": OutboxStatus.PENDING, "attempts": 0, "created_at": now} for u in users]
    if rows:
        from sqlalchemy import insert

        await session.execute(insert(OutboxMessage), rows)
    broadcast.recipients = len(rows)
    session.add(AuditEntry(at=now, actor=actor, action="broadcast",
                           detail={"broadcast": broadcast.id, "scope": scope.to_json(),
                                   "recipients": len(rows), "at": when.isoformat()}))
    return broadcast


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """A broadcast's messages by state, all channels together."""
    return summed(await counts_per_channel(session, broadcast_id))


def summed(per: dict[str, dict[str, int]]) -> dict[str, int]:
    return {status: n for status in OutboxStatus
            if (n := sum(tally.get(status, 0) for tally in per.values()))}


async def counts_per_channel(session: AsyncSession,
                             broadcast_id: int) -> dict[str, dict[str, int]]:
    """A broadcast's messages by channel, then by state."""
    rows = (await session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.source_kind == "broadcast",
               OutboxMessage.source_id == str(broadcast_id))
        .group_by(OutboxMessage.channel, OutboxMessage.status))).all()
    per: dict[str, dict[str, int]] = {}
    for channel, status, n in rows:
        per.setdefault(channel, {})[status] = int(n)
    return per


def final_report(lang: str, broadcast: Broadcast, per: dict[str, dict[str, int]]) -> str:
    """The sender's report: totals, then each channel's received/recipients."""
    total = summed(per)
    biggest_first = sorted(per.items(), key=lambda item: -sum(item[1].values()))
    channels = ", ".join(
        f"{name_of(lang, 'console_channel_', channel)} "
        f"{tally.get(OutboxStatus.SENT, 0)}/{sum(tally.values())}"
        for channel, tally in biggest_first)
    report = catalogue_text(
        lang, "broadcast_report", id=broadcast.id, sent=total.get(OutboxStatus.SENT, 0),
        total=broadcast.recipients, blocked=total.get(OutboxStatus.BLOCKED, 0),
        failed=total.get(OutboxStatus.FAILED, 0) + total.get(OutboxStatus.INVALID, 0),
        channels=channels or "—")
    if total.get(OutboxStatus.UNREACHABLE):
        report += " " + catalogue_text(lang, "broadcast_report_unreachable",
                                       n=total[OutboxStatus.UNREACHABLE])
    return report


async def cancel(session: AsyncSession, broadcast: Broadcast, actor: str, now: datetime) -> int:
    """Stop what has not gone out yet; returns how many messages were held back."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.source_kind == "broadcast",
               OutboxMessage.source_id == str(broadcast.id),
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED))
    broadcast.status = BroadcastStatus.CANCELLED
    session.add(AuditEntry(at=now, actor=actor, action="broadcast_cancel",
                           detail={"broadcast": broadcast.id, "held_back": result.rowcount}))
    return int(result.rowcount or 0)


PROGRESS_EVERY = timedelta(seconds=60)  # a progress message to the sender, for big ones
PROGRESS_MIN_RECIPIENTS = 100


async def finish_done(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Report progress on big broadcasts; mark finished ones done and send the final report."""
    finished = 0
    async with sessions() as session, session.begin():
        queued = (await session.scalars(
            select(Broadcast).where(Broadcast.status == BroadcastStatus.QUEUED))).all()
        now = stored_now(clock)
        for broadcast in queued:
            per = await counts_per_channel(session, broadcast.id)
            tally = summed(per)
            if tally.get(OutboxStatus.PENDING):
                await _progress(session, broadcast, tally, now)
                continue
            broadcast.status = BroadcastStatus.DONE
            finished += 1
            sender = (await session.get(User, broadcast.sender_user_id)
                      if broadcast.sender_user_id else None)
            if sender is not None:
                report = final_report(sender.language, broadcast, per)
                await enqueue(session, sender, "broadcast_report", str(broadcast.id),
                              Reply(report), stored_now(clock))
    return finished


async def _progress(session: AsyncSession, broadcast: Broadcast, tally: dict[str, int],
                    now: datetime) -> None:
    """Every minute while a big broadcast is going out, a short progress message (one per
    minute-slot, so restarts do not repeat it)."""
    if (broadcast.recipients < PROGRESS_MIN_RECIPIENTS or broadcast.sender_user_id is None
            or now < broadcast.not_before):
        return
    sender = await session.get(User, broadcast.sender_user_id)
    if sender is None:
        return
    slot = int((now - broadcast.not_before) / PROGRESS_EVERY)
    done = broadcast.recipients - tally.get(OutboxStatus.PENDING, 0)
    text = catalogue_text(sender.language, "broadcast_progress", id=broadcast.id, done=done,
                          total=broadcast.recipients, blocked=tally.get(OutboxStatus.BLOCKED, 0))
    await enqueue(session, sender, "broadcast_progress", f"{broadcast.id}:{slot}", Reply(text),
                  now)


async def monitor(sessions: async_sessionmaker[AsyncSession], clock: Clock,
                  interval: float = 5.0) -> None:
    while True:
        try:
            await finish_done(sessions, clock)
        except Exception:
            log.exception("broadcast monitor round failed")
        await asyncio.sleep(interval)


async def recent_broadcasts(session: AsyncSession, only_actor: str | None,
                            limit: int = 10) -> list[Broadcast]:
    """The newest broadcasts; commune staff see only their own (ONLY_ACTOR)."""
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if only_actor is not None:
        query = query.where(Broadcast.actor == only_actor)
    return list((await session.scalars(query)).all())


async def broadcast_by_id(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)

"""Everything stored about one person, to show (/mydata) and to delete (/forget).

One place that knows every table holding a person's data, so a new feature that
stores something about people adds it here, and both commands stay complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcast.store import cancel as cancel_broadcast
from bot.handoff import store as handoff
from bot.staff.scope import actor_for
from bot.storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    EventSubscription,
    QuestionFollowup,
    QuestionLog,
    SessionWatch,
    StaffRole,
    User,
)
from bot.storage.turn_rows import UserRow

QUESTIONS_PER_PAGE = 10


@dataclass(frozen=True)
class AskedQuestion:
    text: str
    at: datetime


@dataclass
class PersonalData:
    """What /mydata lists besides the profile columns of the user row."""

    event_ids: list[str] = field(default_factory=list)
    watched_audiences: list[str] = field(default_factory=list)
    question_count: int = 0
    ratings: int = 0
    staff_role: StaffRole | None = None
    scheduled_broadcasts: int = 0
    tickets: list[tuple[int, str]] = field(default_factory=list)  # (number, status)


async def personal_data(session: AsyncSession, user: UserRow) -> PersonalData:
    uid = user.id
    data = PersonalData()
    data.event_ids = list(await session.scalars(
        select(EventSubscription.event_id).where(EventSubscription.user_id == uid)
        .order_by(EventSubscription.created_at)))
    data.watched_audiences = list(await session.scalars(
        select(SessionWatch.audience).where(SessionWatch.user_id == uid)))
    data.question_count = int(await session.scalar(
        select(func.count()).select_from(QuestionLog).where(QuestionLog.user_id == uid)) or 0)
    data.ratings = int(await session.scalar(
        select(func.count()).select_from(QuestionFollowup)
        .where(QuestionFollowup.user_id == uid)) or 0)
    data.staff_role = await staff_role_of(session, user)
    data.scheduled_broadcasts = len(await _scheduled_broadcasts(session, uid))
    data.tickets = [(t.id, t.status) for t in await handoff.of_person(session, uid)]
    return data


async def staff_role_of(session: AsyncSession, user: UserRow) -> StaffRole | None:
    return await session.scalar(select(StaffRole).where(
        StaffRole.channel == user.channel,
        StaffRole.channel_user_id == user.channel_user_id))


async def questions_page(session: AsyncSession, user_id: int, page: int,
                         waiting: list[AskedQuestion]) -> list[AskedQuestion]:
    """The person's questions, newest first, QUESTIONS_PER_PAGE at a time (page 0 first).

    WAITING are the newest ones, still in the question log's memory batch (flushing
    it from inside a turn would wait on the turn's own write lock on SQLite)."""
    start = page * QUESTIONS_PER_PAGE
    newest = sorted(reversed(waiting), key=lambda q: q.at, reverse=True)
    newest = newest[start:start + QUESTIONS_PER_PAGE]
    wanted = QUESTIONS_PER_PAGE - len(newest)
    if wanted == 0:
        return newest
    rows = await session.execute(
        select(QuestionLog.text, QuestionLog.created_at).where(QuestionLog.user_id == user_id)
        .order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc())
        .offset(max(0, start - len(waiting))).limit(wanted))
    return newest + [AskedQuestion(text, at) for text, at in rows.all()]


async def _scheduled_broadcasts(session: AsyncSession, user_id: int) -> list[Broadcast]:
    return list(await session.scalars(select(Broadcast).where(
        Broadcast.sender_user_id == user_id, Broadcast.status == BroadcastStatus.QUEUED)))


async def forget_person(session: AsyncSession, user: UserRow, now: datetime) -> None:
    """Delete every row about the person; a staff member's role goes and their scheduled
    broadcasts stop (audited). Registrations are handled by the training store first."""
    uid = user.id
    actor = actor_for(user.channel, user.channel_user_id)
    for broadcast in await _scheduled_broadcasts(session, uid):
        await cancel_broadcast(session, broadcast, actor, now)
    role = await staff_role_of(session, user)
    if role is not None:
        session.add(AuditEntry(at=now, actor=actor, action="role_revoke",
                               detail={"reason": "forget", "role": role.role,
                                       "commune": role.commune_code}))
        await session.delete(role)
        await session.flush()
        await handoff.release(session, actor, now)
    for table in (QuestionFollowup, QuestionLog, EventSubscription, SessionWatch):
        await session.execute(delete(table).where(table.user_id == uid))
    await session.execute(delete(User).where(User.id == uid))

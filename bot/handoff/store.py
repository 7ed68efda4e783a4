"""Tickets: a citizen's question handed to a person on their commune's team.

Who answers: the staff of the person's commune; the province's staff when the person
has no commune or the commune has no staff. Every question and answer is a message of
the ticket; answers reach the person through the outbox, marked as from their team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.refused import Refused
from bot.staff.scope import Level, actor_of, is_province, narrowed
from bot.storage.models import (
    AuditEntry,
    QuestionLog,
    StaffRole,
    Ticket,
    TicketMessage,
    User,
)

MAX_OPEN = 3  # open tickets per person
FOLLOW_UP = timedelta(hours=2)  # messages this soon after the last one join the ticket
MAX_TEXT = 10_000  # one message kept in a ticket (the channels split long ones)


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


LIVE = (Status.OPEN, Status.ANSWERED)


@dataclass(frozen=True)
class Team:
    """Who a ticket goes to: the staff to tell, and whether it is the province."""

    staff: list[User]  # staff members the bot can write to (they have talked to it)
    province: bool


async def open_tickets(session: AsyncSession, user_id: int) -> list[Ticket]:
    return list(await session.scalars(select(Ticket).where(
        Ticket.user_id == user_id, Ticket.status.in_(LIVE)).order_by(Ticket.id)))


async def open_ticket(session: AsyncSession, user: User, text: str, now: datetime
                      ) -> tuple[Ticket, Team, int]:
    """A new ticket with TEXT as its first message (its id: the notification's source);
    Refused at MAX_OPEN tickets waiting for an answer."""
    waiting = [t for t in await open_tickets(session, user.id) if t.status == Status.OPEN]
    if len(waiting) >= MAX_OPEN:
        raise Refused("handoff_too_many")
    team = await team_for(session, user.commune_code)
    ticket = Ticket(user_id=user.id, commune_code=None if team.province else user.commune_code,
                    status=Status.OPEN, created_at=now, last_activity_at=now)
    session.add(ticket)
    await session.flush()
    message = TicketMessage(ticket_id=ticket.id, staff=None, text=text[:MAX_TEXT],
                            created_at=now)
    session.add(message)
    await session.flush()
    return ticket, team, message.id


async def team_for(session: AsyncSession, commune_code: str | None) -> Team:
    if commune_code is not None:
        staff = await _staff_users(session, StaffRole.commune_code == commune_code,
                                   StaffRole.role == Level.COMMUNE)
        if staff:
            return Team(staff, province=False)
    return Team(await _staff_users(session, StaffRole.role == Level.PROVINCE), province=True)


async def _staff_users(session: AsyncSession, *where: object) -> list[User]:
    return list(await session.scalars(
        select(User).join(StaffRole, (StaffRole.channel == User.channel)
                          & (StaffRole.channel_user_id == User.channel_user_id))
        .where(*where, User.blocked.is_(False)).order_by(User.id)))


async def followers(session: AsyncSession, ticket: Ticket) -> Team:
    """Who hears of a follow-up: the officer who took the ticket, wherever they are (a
    province officer may take a commune's); its whole team while nobody has."""
    if ticket.assigned_to is not None:
        taker = await staff_named(session, ticket.assigned_to)
        if taker:
            return Team(taker, province=ticket.commune_code is None)
    return await team_for(session, ticket.commune_code)


async def staff_named(session: AsyncSession, actor: str) -> list[User]:
    """The staff member an actor string names (the bot can write to), if any. Matched
    by actor_of, since a web chat's actor is a digest of its id."""
    channel = actor.partition(":")[0]
    return [u for u in await _staff_users(session, StaffRole.channel == channel)
            if actor_of(u) == actor]


async def name_of(session: AsyncSession, actor: str) -> str | None:
    """A staff member's name as their chat app gave it, if the bot knows it."""
    named = await staff_named(session, actor)
    return named[0].display_name if named else None


async def owned(session: AsyncSession, user_id: int, number: int) -> Ticket | None:
    """The person's own live ticket NUMBER (a reply to its answer joins it)."""
    ticket = await session.get(Ticket, number)
    if ticket is None or ticket.user_id != user_id or ticket.status not in LIVE:
        return None
    return ticket


async def following(session: AsyncSession, user_id: int, ticket_id: int, now: datetime
                    ) -> Ticket | None:
    """The ticket a message joins: still live and written to within FOLLOW_UP."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.user_id != user_id or ticket.status not in LIVE:
        return None
    return ticket if now - ticket.last_activity_at <= FOLLOW_UP else None


async def add_question(session: AsyncSession, ticket: Ticket, text: str, now: datetime
                       ) -> int:
    """A follow-up message joins the ticket; its id back (the notification's source)."""
    message = TicketMessage(ticket_id=ticket.id, staff=None, text=text[:MAX_TEXT],
                            created_at=now)
    session.add(message)
    ticket.last_activity_at = now
    if ticket.status == Status.ANSWERED:
        ticket.status = Status.OPEN  # a new question after the answer: open again
    await session.flush()
    return message.id


def may_answer(role: StaffRole, ticket: Ticket) -> bool:
    """Province staff answer any ticket; commune staff their commune's."""
    return is_province(role) or (ticket.commune_code is not None
                                 and ticket.commune_code == role.commune_code)


@dataclass(frozen=True)
class Answered:
    ticket: Ticket
    citizen: User
    message_id: int
    repeated: bool  # the same answer was already sent: not sent again
    first: bool = False  # this answer took the ticket: the rest of the team is told


async def answer(session: AsyncSession, role: StaffRole | None, actor: str, number: int,
                 text: str, now: datetime) -> Answered:
    """Staff ACTOR answers ticket NUMBER. Another commune's ticket reads as no ticket, so
    a forged number learns nothing; the first to answer takes the ticket."""
    ticket = await session.get(Ticket, number)
    if role is None:
        raise Refused("handoff_not_staff")
    if ticket is None or not may_answer(role, ticket):
        raise Refused("handoff_no_ticket")
    if ticket.status == Status.CLOSED:
        raise Refused("handoff_closed")
    taken = await session.execute(
        update(Ticket).where(Ticket.id == ticket.id, or_(Ticket.assigned_to.is_(None),
                                                         Ticket.assigned_to == actor))
        .values(assigned_to=actor).execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # another officer took it, perhaps this very moment
        raise Refused("handoff_taken")
    citizen = await session.get(User, ticket.user_id)
    if citizen is None:
        raise Refused("handoff_no_ticket")
    last = await session.scalar(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                .order_by(TicketMessage.id.desc()).limit(1))
    if last is not None and last.staff == actor and last.text == text[:MAX_TEXT]:
        return Answered(ticket, citizen, last.id, repeated=True)
    message = TicketMessage(ticket_id=ticket.id, staff=actor, text=text[:MAX_TEXT],
                            created_at=now)
    session.add(message)
    first = ticket.assigned_to is None
    ticket.assigned_to, ticket.status, ticket.last_activity_at = actor, Status.ANSWERED, now
    ticket.first_answer_at = ticket.first_answer_at or now
    session.add(AuditEntry(at=now, actor=actor, action="ticket_answer",
                           detail={"ticket": ticket.id}))
    await session.flush()
    return Answered(ticket, citizen, message.id, repeated=False, first=first)


async def release(session: AsyncSession, actor: str, now: datetime) -> list[Ticket]:
    """A staff member's role is gone: the live tickets they took are nobody's again, and
    those of a commune left without staff go to the province (audited); returns them."""
    moved = list(await session.scalars(select(Ticket).where(
        Ticket.assigned_to == actor, Ticket.status.in_(LIVE))))
    for ticket in moved:
        ticket.assigned_to = None
        if ticket.commune_code is not None:
            team = await team_for(session, ticket.commune_code)
            ticket.commune_code = None if team.province else ticket.commune_code
        session.add(AuditEntry(at=now, actor=actor, action="ticket_reassign",
                               detail={"ticket": ticket.id, "to": ticket.commune_code}))
    return moved


PROVINCE = "province"  # the reassignment target that hands a ticket to the province


@dataclass(frozen=True)
class Officer:
    actor: str  # "channel:user id", as tickets name who took them
    name: str  # the name their chat app gave, else the actor


async def officers(session: AsyncSession, ticket: Ticket) -> list[Officer]:
    """Who a ticket can be given to: the staff of its team (the province's, for
    a province ticket)."""
    code = ticket.commune_code
    where = (StaffRole.role == Level.PROVINCE if code is None
             else (StaffRole.role == Level.COMMUNE) & (StaffRole.commune_code == code))
    rows = await session.execute(
        select(StaffRole, User.display_name).outerjoin(
            User, (User.channel == StaffRole.channel)
            & (User.channel_user_id == StaffRole.channel_user_id))
        .where(where).order_by(StaffRole.id))
    return [Officer(actor_of(role), name or actor_of(role)) for role, name in rows]


async def reassign(session: AsyncSession, ticket: Ticket, actor: str, to: str, now: datetime
                   ) -> Team:
    """Give a live ticket to one officer of its team (TO: their "channel:user"), or to
    the province (TO: PROVINCE); audited. Returns whom to tell."""
    if ticket.status == Status.CLOSED:
        raise Refused("handoff_closed")
    if to == PROVINCE and ticket.commune_code is not None:
        ticket.commune_code, ticket.assigned_to = None, None
        team = await team_for(session, None)
    else:
        if to not in {o.actor for o in await officers(session, ticket)}:
            raise Refused("console_ticket_no_officer")
        ticket.assigned_to = to
        team = Team(await staff_named(session, to), province=ticket.commune_code is None)
    session.add(AuditEntry(at=now, actor=actor, action="ticket_reassign",
                           detail={"ticket": ticket.id, "to": to}))
    return team


@dataclass(frozen=True)
class Listed:
    ticket: Ticket
    question: str  # the first message
    messages: int


async def staff_tickets(session: AsyncSession, role: StaffRole, status: Status,
                        limit: int = 200) -> list[Listed]:
    """ROLE's tickets of a status, newest activity first: commune staff their commune's."""
    first = (select(TicketMessage.ticket_id, func.min(TicketMessage.id).label("first"),
                    func.count().label("n")).group_by(TicketMessage.ticket_id).subquery())
    query = (select(Ticket, TicketMessage.text, first.c.n)
             .join(first, first.c.ticket_id == Ticket.id)
             .join(TicketMessage, TicketMessage.id == first.c.first)
             .where(Ticket.status == status)
             .order_by(Ticket.last_activity_at.desc()).limit(limit))
    where = narrowed(role, Ticket.commune_code)
    if where is not None:
        query = query.where(where)
    return [Listed(t, text, int(n)) for t, text, n in await session.execute(query)]


async def staff_ticket(session: AsyncSession, role: StaffRole, number: int
                       ) -> tuple[Ticket, list[TicketMessage]] | None:
    """A ticket ROLE may see, with its conversation; None for another commune's."""
    ticket = await session.get(Ticket, number)
    if ticket is None or not may_answer(role, ticket):
        return None
    messages = await session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == number).order_by(TicketMessage.id))
    return ticket, list(messages)


async def last_question(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(QuestionLog.text).where(QuestionLog.user_id == user_id)
                                .order_by(QuestionLog.id.desc()).limit(1))


async def close(session: AsyncSession, ticket: Ticket, now: datetime, reason: str,
                actor: str | None = None) -> None:
    """Closed by ACTOR (staff), else by the bot on its own (a blocked person)."""
    ticket.status, ticket.closed_at = Status.CLOSED, now
    session.add(closed_entry(ticket, now, reason, actor))


def closed_entry(ticket: Ticket, now: datetime, reason: str, actor: str | None = None
                 ) -> AuditEntry:
    return AuditEntry(at=now, actor=actor or "bot", action="ticket_close",
                      detail={"ticket": ticket.id, "reason": reason})


async def of_person(session: AsyncSession, user_id: int) -> list[Ticket]:
    """A person's tickets, for /mydata."""
    return list(await session.scalars(select(Ticket).where(Ticket.user_id == user_id)
                                      .order_by(Ticket.id)))

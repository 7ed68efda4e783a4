"""What the handoff sends through the outbox: staff told of a question where they are,
the person given their team's answer. Each message has its own source id, so a crash
and a retry never send it twice. Texts are in each recipient's own language."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import CATALOGUES
from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.delivery.outbox import enqueue
from bot.handoff.store import Answered, Team, close, name_of, team_for
from bot.staff.scope import actor_of
from bot.storage.models import Ticket, User
from knowledge.audience import LABEL_KEYS, Audience
from knowledge.communes import CommunePicker

SOURCE = "ticket"
HOW = "handoff_staff_how"  # the notification's line "To answer: /reply 12 <answer>"
ANSWER = "handoff_answer"  # the answer's header "Answer to your question 12 — …"
PREVIEW = 1000  # characters of the question in a staff notification
# Channels that tell the bot which of its messages a reply answers (Incoming.reply_to).
SWIPE_REPLY = frozenset({"telegram"})


async def tell_team(session: AsyncSession, communes: CommunePicker, team: Team, ticket: Ticket,
                    citizen: User, text: str, message_id: int, now: datetime,
                    follow_up: bool = False) -> int:
    """Every staff member of TEAM hears of a question (or a follow-up); how many."""
    key = "handoff_staff_more" if follow_up else "handoff_staff_new"
    for staff in team.staff:
        await tell_officer(session, communes, staff, key, ticket, citizen, text,
                           f"{ticket.id}.q{message_id}", now)
    return len(team.staff)


async def tell_officer(session: AsyncSession, communes: CommunePicker, staff: User, key: str,
                       ticket: Ticket, citizen: User, text: str, source_id: str, now: datetime
                       ) -> None:
    """One staff notification (catalogue KEY) about TICKET, ending with how to answer it:
    the last line names the ticket, so a swipe-reply to it answers that one
    (`replied_ticket`), whatever the question quoted above it says."""
    lang = staff.language or "vi"
    lines = [catalogue_text(lang, key, number=ticket.id, question=text[:PREVIEW],
                            commune=commune_name(communes, lang, citizen.commune_code),
                            group=_group(lang, citizen.audience)),
             catalogue_text(lang, HOW, number=ticket.id)]
    if staff.channel in SWIPE_REPLY:
        lines.append(catalogue_text(lang, "handoff_staff_swipe"))
    await enqueue(session, staff, SOURCE, source_id, Reply("\n".join(lines)), now)


async def tell_assigned(session: AsyncSession, communes: CommunePicker, team: Team,
                        ticket: Ticket, citizen: User, question: str, now: datetime) -> None:
    """After a reassignment: the chosen officer (or the province's team) hears of it."""
    for staff in team.staff:
        await tell_officer(session, communes, staff, "handoff_staff_assigned", ticket, citizen,
                           question, f"{ticket.id}.to{now:%Y%m%d%H%M%S}", now)


async def tell_closed(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Staff closed a question nobody answered: the person is told, once."""
    citizen = await session.get(User, ticket.user_id)
    if citizen is not None:
        text = catalogue_text(citizen.language or "vi", "handoff_closed_by_staff",
                              number=ticket.id)
        await enqueue(session, citizen, SOURCE, f"{ticket.id}.closed", Reply(text), now)


def commune_name(communes: CommunePicker, lang: str, code: str | None) -> str:
    commune = communes.get(code) if code else None
    return commune.name if commune else catalogue_text(lang, "no_commune")


def _group(lang: str, audience: str | None) -> str:
    key = LABEL_KEYS.get(Audience(audience)) if audience in set(Audience) else None
    return catalogue_text(lang, key) if key else "—"


def team_name(communes: CommunePicker, lang: str, ticket: Ticket) -> str:
    """How an answer is signed: the commune's officers by name, or the province's."""
    if ticket.commune_code is None:
        return catalogue_text(lang, "handoff_team_province")
    return catalogue_text(lang, "handoff_team_commune",
                          commune=commune_name(communes, lang, ticket.commune_code))


async def give_answer(session: AsyncSession, communes: CommunePicker, answered: Answered,
                      text: str, now: datetime) -> bool:
    """The answer to the person, signed by their team; when they blocked the bot nothing
    can reach them, so the ticket records it and closes (False)."""
    citizen, ticket = answered.citizen, answered.ticket
    if citizen.blocked:
        await close(session, ticket, now, reason="blocked")
        return False
    lang = citizen.language or "vi"
    reply = Reply(catalogue_text(lang, ANSWER, team=team_name(communes, lang, ticket),
                                 number=ticket.id, answer=text))
    await enqueue(session, citizen, SOURCE, f"{ticket.id}.a{answered.message_id}", reply, now)
    if answered.first:
        await _tell_taken(session, ticket, now)
    return True


async def _tell_taken(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """The rest of the team hears that a colleague took the question, so nobody else
    works on it."""
    taker = ticket.assigned_to or ""
    name = await name_of(session, taker)
    for staff in (await team_for(session, ticket.commune_code)).staff:
        if actor_of(staff) == taker:
            continue
        lang = staff.language or "vi"
        text = catalogue_text(lang, "handoff_staff_taken", number=ticket.id,
                              who=name or catalogue_text(lang, "handoff_a_colleague"))
        await enqueue(session, staff, SOURCE, f"{ticket.id}.taken", Reply(text), now)


def _shape(template: str) -> re.Pattern[str]:
    """A catalogue template as a pattern: {number} captured, other values anything."""
    parts = re.split(r"(\{\w+\})", template)
    return re.compile("".join(
        r"(\d{1,9})" if part == "{number}" else ".*?" if part.startswith("{") else re.escape(part)
        for part in parts), re.DOTALL)


_SHAPES = {key: [_shape(c[key]) for c in CATALOGUES.values()] for key in (HOW, ANSWER)}


def replied_ticket(replied: str) -> int | None:
    """The ticket of a staff notification replied to: from its last line of the form
    HOW (so a question quoting "/traloi 1" cannot redirect the answer)."""
    for line in reversed(replied.splitlines()):
        for shape in _SHAPES[HOW]:
            found = shape.fullmatch(line.strip())
            if found:
                return int(found.group(1))
    return None


def answered_ticket(replied: str) -> int | None:
    """The ticket of an officers' answer a person replied to."""
    for shape in _SHAPES[ANSWER]:
        found = shape.fullmatch(replied.strip())
        if found:
            return int(found.group(1))
    return None

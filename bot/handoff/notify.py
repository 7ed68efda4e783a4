"""What the handoff sends through the outbox: staff told of a question where they are,
the person given their team's answer. Each message has its own source id, so a crash
and a retry never send it twice. Texts are in each recipient's own language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.delivery.outbox import enqueue
from bot.handoff.store import Answered, Team, close
from bot.staff.scope import actor_of
from bot.storage.models import Ticket, User
from knowledge.audience import LABEL_KEYS, Audience
from knowledge.communes import CommunePicker

SOURCE = "ticket"
PREVIEW = 1000  # characters of the question in a staff notification
# Channels that tell the bot which of its messages a reply answers (Incoming.reply_to).
SWIPE_REPLY = frozenset({"telegram"})


async def tell_team(session: AsyncSession, communes: CommunePicker, team: Team, ticket: Ticket,
                    citizen: User, text: str, message_id: int, now: datetime,
                    follow_up: bool = False) -> int:
    """Every staff member of the team hears of a new question; of a follow-up, the one
    who took the ticket (everyone while nobody has)."""
    told = 0
    key = "handoff_staff_more" if follow_up else "handoff_staff_new"
    for staff in team.staff:
        if follow_up and ticket.assigned_to not in (None, actor_of(staff)):
            continue
        await tell_officer(session, communes, staff, key, ticket, citizen, text,
                           f"{ticket.id}.q{message_id}", now)
        told += 1
    return told


async def tell_officer(session: AsyncSession, communes: CommunePicker, staff: User, key: str,
                       ticket: Ticket, citizen: User, text: str, source_id: str, now: datetime
                       ) -> None:
    """One staff notification (catalogue KEY) about TICKET, with how to answer it."""
    lang = staff.language or "vi"
    told = catalogue_text(lang, key, number=ticket.id, question=text[:PREVIEW],
                          commune=commune_name(communes, lang, citizen.commune_code),
                          group=_group(lang, citizen.audience))
    if staff.channel in SWIPE_REPLY:
        told += "\n" + catalogue_text(lang, "handoff_staff_swipe")
    await enqueue(session, staff, SOURCE, source_id, Reply(told), now)


async def tell_assigned(session: AsyncSession, communes: CommunePicker, team: Team,
                        ticket: Ticket, citizen: User, question: str, now: datetime) -> None:
    """After a reassignment: the chosen officer (or the province's team) hears of it."""
    for staff in team.staff:
        await tell_officer(session, communes, staff, "handoff_staff_assigned", ticket, citizen,
                           question, f"{ticket.id}.to{now:%Y%m%d%H%M%S}", now)


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
    reply = Reply(catalogue_text(lang, "handoff_answer", team=team_name(communes, lang, ticket),
                                 number=ticket.id, answer=text))
    await enqueue(session, citizen, SOURCE, f"{ticket.id}.a{answered.message_id}", reply, now)
    return True

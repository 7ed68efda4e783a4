"""What the handoff sends through the outbox: staff told of a question where they are,
the person given their team's answer. Each message has its own source id, so a crash
and a retry never send it twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.delivery.outbox import enqueue
from bot.handoff.store import Answered, Team, actor_of
from bot.storage.models import Ticket

SOURCE = "ticket"
PREVIEW = 1000  # characters of the question in a staff notification
# Channels that tell the bot which of its messages a reply answers (Incoming.reply_to).
SWIPE_REPLY = frozenset({"telegram"})


async def tell_team(session: AsyncSession, team: Team, ticket: Ticket, text: str,
                    commune: str, group: str, message_id: int, now: datetime,
                    follow_up: bool = False) -> int:
    """Every staff member of the team hears of a new question; of a follow-up, the one
    who took the ticket (everyone while nobody has)."""
    told = 0
    key = "handoff_staff_more" if follow_up else "handoff_staff_new"
    for staff in team.staff:
        if follow_up and ticket.assigned_to not in (None, actor_of(staff)):
            continue
        lang = staff.language or "vi"
        told_text = catalogue_text(lang, key, number=ticket.id, commune=commune, group=group,
                                   question=text[:PREVIEW])
        if staff.channel in SWIPE_REPLY:
            told_text += "\n" + catalogue_text(lang, "handoff_staff_swipe")
        reply = Reply(told_text)
        await enqueue(session, staff, SOURCE, f"{ticket.id}.q{message_id}", reply, now)
        told += 1
    return told


def team_name(lang: str, commune: str | None) -> str:
    """How an answer is signed: the commune's officers by name, or the province's."""
    if commune is None:
        return catalogue_text(lang, "handoff_team_province")
    return catalogue_text(lang, "handoff_team_commune", commune=commune)


async def give_answer(session: AsyncSession, answered: Answered, team_name: str, text: str,
                      now: datetime) -> None:
    citizen, number = answered.citizen, answered.ticket.id
    reply = Reply(catalogue_text(citizen.language or "vi", "handoff_answer", team=team_name,
                                 number=number, answer=text))
    await enqueue(session, citizen, SOURCE, f"{number}.a{answered.message_id}", reply, now)

"""Ready answers a team reuses in the console: a commune's own, and the province's,
which every team sees. Commune staff keep their commune's; province staff the
province's. Every addition and removal is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.refused import Refused
from bot.staff.scope import is_province
from bot.storage.models import AuditEntry, CannedReply, StaffRole

MAX_TITLE = 80
MAX_TEXT = 10_000  # as an answer
MAX_PER_TEAM = 100


def _owner(role: StaffRole) -> str | None:
    """Whose ready answers ROLE keeps: None for the province's."""
    return None if is_province(role) else role.commune_code


async def for_ticket(session: AsyncSession, commune_code: str | None) -> list[CannedReply]:
    """The ready answers offered on a ticket: its commune's, then the province's."""
    where = CannedReply.commune_code.is_(None)
    if commune_code is not None:
        where = or_(CannedReply.commune_code == commune_code, where)
    rows = await session.scalars(select(CannedReply).where(where).order_by(
        CannedReply.commune_code.is_(None), CannedReply.title))
    return list(rows)


async def kept_by(session: AsyncSession, role: StaffRole) -> list[CannedReply]:
    owner = _owner(role)
    where = (CannedReply.commune_code.is_(None) if owner is None
             else CannedReply.commune_code == owner)
    return list(await session.scalars(select(CannedReply).where(where)
                                      .order_by(CannedReply.title)))


async def add(session: AsyncSession, role: StaffRole, actor: str, title: str, text: str,
              now: datetime) -> CannedReply:
    if not title or not text:
        raise Refused("console_canned_empty")
    if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise Refused("console_canned_too_long")
    if len(await kept_by(session, role)) >= MAX_PER_TEAM:
        raise Refused("console_canned_too_many")
    reply = CannedReply(commune_code=_owner(role), title=title, text=text, created_by=actor,
                        created_at=now)
    session.add(reply)
    await session.flush()
    session.add(AuditEntry(at=now, actor=actor, action="canned_add", detail={"id": reply.id}))
    return reply


async def remove(session: AsyncSession, role: StaffRole, actor: str, reply_id: int,
                 now: datetime) -> bool:
    """Only a ready answer ROLE keeps; another team's reads as none."""
    reply = await session.get(CannedReply, reply_id)
    if reply is None or reply.commune_code != _owner(role):
        return False
    await session.delete(reply)
    session.add(AuditEntry(at=now, actor=actor, action="canned_remove", detail={"id": reply_id}))
    return True

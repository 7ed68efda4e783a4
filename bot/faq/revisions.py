"""The console's knowledge edits, stored as revisions: save, history, restore, and what is
live (the latest per topic, and per the lexicon). Each save and restore is audited."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.refused import Refused
from bot.storage.models import AuditEntry, KnowledgeRevision
from knowledge.overlay import Edit

AUDIT_EDIT = "knowledge_edit"
AUDIT_RESTORE = "knowledge_restore"
HISTORY_LIMIT = 50


async def current(session: AsyncSession, subject: str) -> KnowledgeRevision | None:
    return await session.scalar(
        select(KnowledgeRevision).where(KnowledgeRevision.subject == subject)
        .order_by(KnowledgeRevision.id.desc()).limit(1))


async def save(session: AsyncSession, subject: str, body: dict[str, Any],
               before: dict[str, Any] | None, over: str, parent: int, actor: str,
               now: datetime, restores: int | None = None) -> KnowledgeRevision:
    """A new live version of SUBJECT made over revision PARENT (0: the file's version).

    Refused with `knowledge_changed_meanwhile` when someone saved SUBJECT since PARENT:
    the caller keeps the draft, so nothing typed is lost."""
    latest = await current(session, subject)
    if (latest.id if latest else 0) != parent:
        raise Refused("knowledge_changed_meanwhile")
    row = KnowledgeRevision(subject=subject, parent=parent, body=_jsonable(body),
                            before=_jsonable(before),
                            over=over, actor=actor, at=now, restores=restores)
    session.add(row)
    try:
        await session.flush()  # (subject, parent) is unique: a concurrent save loses here
    except IntegrityError:
        raise Refused("knowledge_changed_meanwhile") from None
    session.add(AuditEntry(at=now, actor=actor,
                           action=AUDIT_RESTORE if restores else AUDIT_EDIT,
                           detail={"subject": subject, "revision": row.id,
                                   "restores": restores}))
    return row


def _jsonable(raw: Any) -> Any:
    """As JSON keeps it: a file's dates become 2026-06-30, as the files' parser reads them."""
    return json.loads(json.dumps(raw, ensure_ascii=False, default=str))


async def history(session: AsyncSession, subject: str) -> list[KnowledgeRevision]:
    return list(await session.scalars(
        select(KnowledgeRevision).where(KnowledgeRevision.subject == subject)
        .order_by(KnowledgeRevision.id.desc()).limit(HISTORY_LIMIT)))


async def one(session: AsyncSession, subject: str, revision_id: int) -> KnowledgeRevision:
    row = await session.get(KnowledgeRevision, revision_id)
    if row is None or row.subject != subject:
        raise Refused("knowledge_no_such_revision")
    return row


async def live(session: AsyncSession) -> dict[str, Edit]:
    """The latest revision of every subject, as the overlay takes it."""
    latest = (select(func.max(KnowledgeRevision.id))
              .group_by(KnowledgeRevision.subject).scalar_subquery())
    rows = await session.scalars(select(KnowledgeRevision).where(KnowledgeRevision.id.in_(latest)))
    return {row.subject: Edit(row.body, row.over) for row in rows}


async def version(session: AsyncSession) -> int:
    """The newest revision id: changes on every save, what other processes watch."""
    return int(await session.scalar(select(func.max(KnowledgeRevision.id))) or 0)

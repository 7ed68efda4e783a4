"""The questions the bot did not answer well, grouped for staff, and what staff decide.

A group is every logged question with the same normalised text that got a
fallback or a suggestion, or whose answer was rated 👎, or after which the person
picked a suggested topic ("asked X, chose Y" — the one-click variant). Commune
staff see their commune's questions and propose; province staff decide. Approved
decisions become variants or refusals on every process (bot/faq/live.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.refused import Refused
from bot.faq.check import names_differ
from bot.faq.followups import FollowupKind
from bot.staff.scope import is_province, narrowed
from bot.storage.models import (
    AuditEntry,
    QuestionDecision,
    QuestionFollowup,
    QuestionLog,
    StaffRole,
)
from knowledge.matcher import FALLBACK, SUGGEST

MAX_GROUPS = 50
MERGE_WINDOW = 500  # the most asked groups compared for similar wording
SIMILAR = 90  # rapidfuzz token_sort_ratio of two normalised questions


class Decision(StrEnum):
    VARIANT = "variant"
    OUT_OF_SCOPE = "out_of_scope"


class Status(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class Group:
    normalised: str
    example: str
    count: int = 0
    communes: Counter[str | None] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    unhelpful: int = 0
    chosen: Counter[str] = field(default_factory=Counter)  # topics people picked after it
    proposal: QuestionDecision | None = None
    similar: int = 0  # other wordings merged into this group

    @property
    def suggested_topic(self) -> str | None:
        return self.chosen.most_common(1)[0][0] if self.chosen else None


async def groups(session: AsyncSession, role: StaffRole, start: datetime, end: datetime
                 ) -> list[Group]:
    """The unsure and unanswered questions of ROLE's people, most asked first; groups
    with an approved decision are done and left out."""
    followed = select(QuestionFollowup.question_ref).where(
        QuestionFollowup.kind.in_((FollowupKind.UNHELPFUL, FollowupKind.CHOSEN)))
    query = (select(QuestionLog.normalised, QuestionLog.text, QuestionLog.commune_code,
                    QuestionLog.created_at, QuestionLog.ref)
             .where(QuestionLog.created_at >= start, QuestionLog.created_at < end,
                    or_(QuestionLog.outcome.in_((FALLBACK, SUGGEST)),
                        QuestionLog.ref.in_(followed))))
    where = narrowed(role, QuestionLog.commune_code)
    if where is not None:
        query = query.where(where)
    found: dict[str, Group] = {}
    refs: dict[str, str] = {}
    for normalised, text, commune, at, ref in await session.execute(query):
        group = found.setdefault(normalised, Group(normalised[:300], text[:300]))
        group.count += 1
        group.communes[commune] += 1
        group.first = at if group.first is None or at < group.first else group.first
        group.last = at if group.last is None or at > group.last else group.last
        if ref:
            refs[ref] = normalised
    await _followups(session, found, refs)
    decided = {d.normalised: d for d in await session.scalars(
        select(QuestionDecision).where(QuestionDecision.normalised.in_(list(found))))}
    out = []
    for group in found.values():
        decision = decided.get(group.normalised)
        if decision is not None and decision.status == Status.APPROVED:
            continue
        group.proposal = decision
        out.append(group)
    out.sort(key=lambda g: (-g.count, g.normalised))
    return _similar_merged(out)[:MAX_GROUPS]


def _similar_merged(groups: list[Group]) -> list[Group]:
    """Groups whose texts differ by a typo or word order ("id vn free ko" / "id.vn free
    khong") merged into the most asked one, among the MERGE_WINDOW most asked groups."""
    kept: list[Group] = []
    texts: list[str] = []
    for group in groups[:MERGE_WINDOW]:
        found = process.extractOne(group.normalised, texts, scorer=fuzz.token_sort_ratio,
                                   score_cutoff=SIMILAR) if texts else None
        if found is None or names_differ(group.normalised, found[0]):
            kept.append(group)
            texts.append(group.normalised)
        else:
            _absorb(kept[found[2]], group)
    return kept + groups[MERGE_WINDOW:]


def _absorb(into: Group, other: Group) -> None:
    into.count += other.count
    into.communes.update(other.communes)
    into.unhelpful += other.unhelpful
    into.chosen.update(other.chosen)
    into.similar += 1
    into.first = min(d for d in (into.first, other.first) if d is not None)
    into.last = max(d for d in (into.last, other.last) if d is not None)


async def _followups(session: AsyncSession, found: dict[str, Group],
                     refs: dict[str, str]) -> None:
    if not refs:
        return
    rows = await session.execute(
        select(QuestionFollowup.question_ref, QuestionFollowup.kind, QuestionFollowup.topic)
        .where(QuestionFollowup.question_ref.in_(list(refs))))
    for ref, kind, topic in rows:
        group = found[refs[ref]]
        if kind == FollowupKind.UNHELPFUL:
            group.unhelpful += 1
        elif kind == FollowupKind.CHOSEN:
            group.chosen[topic] += 1


async def decide(session: AsyncSession, role: StaffRole, actor: str, normalised: str,
                 text: str, decision: Decision, topic: str | None, topics: set[str],
                 taken: dict[str, str], now: datetime) -> QuestionDecision:
    """Record a decision: approved at once for province staff, a proposal for commune
    staff. TAKEN maps normalised variants already in the knowledge base to their topic:
    a text that already asks another topic is refused, not moved silently."""
    owner = taken.get(normalised)
    if decision == Decision.VARIANT:
        if topic not in topics:
            raise Refused("inbox_unknown_topic")
        if owner is not None and owner != topic:
            raise Refused("inbox_variant_elsewhere")
    elif owner is not None:  # the bot answers it with a topic: refusing it would not
        raise Refused("inbox_answered_already")
    else:
        topic = None
    row = await session.scalar(select(QuestionDecision).where(
        QuestionDecision.normalised == normalised[:300]))
    if row is not None and row.status == Status.APPROVED:
        raise Refused("inbox_already_decided")
    if row is None:
        row = QuestionDecision(normalised=normalised[:300])
        session.add(row)
    row.text, row.decision, row.topic = text[:2000], decision, topic
    row.proposed_by, row.commune_code, row.proposed_at = actor, role.commune_code, now
    row.status, row.decided_by, row.decided_at = Status.PROPOSED, None, None
    if is_province(role):
        row.status, row.decided_by, row.decided_at = Status.APPROVED, actor, now
    session.add(AuditEntry(at=now, actor=actor, action=f"inbox_{row.status}",
                           detail={"decision": decision, "topic": topic}))
    return row


async def review(session: AsyncSession, role: StaffRole, actor: str, decision_id: int,
                 approve: bool, now: datetime) -> QuestionDecision:
    """The province approves or rejects a commune's proposal."""
    if not is_province(role):
        raise Refused("inbox_province_only")
    row = await session.get(QuestionDecision, decision_id)
    if row is None or row.status != Status.PROPOSED:
        raise Refused("inbox_nothing_to_review")
    row.status = Status.APPROVED if approve else Status.REJECTED
    row.decided_by, row.decided_at = actor, now
    session.add(AuditEntry(at=now, actor=actor, action=f"inbox_{row.status}",
                           detail={"decision": row.decision, "topic": row.topic}))
    return row


async def proposals(session: AsyncSession) -> list[QuestionDecision]:
    return list(await session.scalars(select(QuestionDecision).where(
        QuestionDecision.status == Status.PROPOSED).order_by(QuestionDecision.proposed_at)))


@dataclass(frozen=True)
class Additions:
    """The approved decisions, as the knowledge base takes them."""

    variants: dict[str, list[str]]  # topic → questions
    refusals: list[str]


async def approved(session: AsyncSession) -> Additions:
    rows = await session.scalars(select(QuestionDecision).where(
        QuestionDecision.status == Status.APPROVED).order_by(QuestionDecision.id))
    variants: dict[str, list[str]] = {}
    refusals: list[str] = []
    for row in rows:
        if row.decision == Decision.VARIANT and row.topic:
            variants.setdefault(row.topic, []).append(row.text)
        else:
            refusals.append(row.text)
    return Additions(variants, refusals)


async def version(session: AsyncSession) -> tuple[int, datetime | None]:
    """Changes when an approval happens: what the other processes watch."""
    count, last = (await session.execute(
        select(func.count(), func.max(QuestionDecision.decided_at)).where(
            QuestionDecision.status == Status.APPROVED))).one()
    return int(count or 0), last

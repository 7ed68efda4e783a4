"""What people do after a FAQ reply, kept for staff: suggestions picked, answers rated.

"Asked X, chose Y" is a ready-made new question variant for staff to confirm;
a 👎 with its question shows where an answer misses. Both tie to the logged
question through its `ref`, a short random mark carried in the option payloads
(`s:<ref>:<topic>`, `v:<ref>:<y|n>:<topic>`, always under Telegram's 64 bytes).
A question asked twice shares its ref; the reports count each ref once. A
follow-up is taken only from the person the option was offered to (the router's
remembered options), and the reports join it to that person's own question, so
nobody can rate or pick on someone else's behalf or inflate a topic's count.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.payloads import checked
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.models import QuestionFollowup, QuestionLog

SUGGESTION_KIND = "s"
RATING_KIND = "v"
_REF = re.compile(r"^[0-9a-f]{8}$")
MAX_TOPIC_ID = 40  # keeps every follow-up payload within 64 bytes (kb checks ids)


class FollowupKind(StrEnum):
    CHOSEN = "chosen"
    HELPFUL = "helpful"
    UNHELPFUL = "unhelpful"


def question_ref(user_id: int, normalised: str) -> str:
    """The same for the same person asking the same thing, so a repeated answer carries
    the same options and its turn rewrites no dialog row; different otherwise."""
    return hashlib.sha256(f"{user_id}\x1f{normalised}".encode()).hexdigest()[:8]


def suggestion_payload(ref: str, topic: str) -> str:
    return checked(f"{SUGGESTION_KIND}:{ref}:{topic}")


def rating_payload(ref: str, helpful: bool, topic: str) -> str:
    return checked(f"{RATING_KIND}:{ref}:{'y' if helpful else 'n'}:{topic}")


@dataclass(frozen=True)
class Followup:
    ref: str
    kind: FollowupKind
    topic: str


def parse(kind: str, rest: str) -> Followup | None:
    """The follow-up a payload stands for, or None when it is malformed or forged."""
    if kind == SUGGESTION_KIND:
        ref, _, topic = rest.partition(":")
        followup_kind = FollowupKind.CHOSEN
    elif kind == RATING_KIND:
        ref, _, tail = rest.partition(":")
        verdict, _, topic = tail.partition(":")
        if verdict not in ("y", "n"):
            return None
        followup_kind = FollowupKind.HELPFUL if verdict == "y" else FollowupKind.UNHELPFUL
    else:
        return None
    if not _REF.match(ref) or not topic or len(topic) > MAX_TOPIC_ID:
        return None
    return Followup(ref, followup_kind, topic)


async def record(session: AsyncSession, user_id: int, followup: Followup, at: datetime) -> None:
    """Store it once per question and kind (a button pressed twice counts once)."""
    await session.execute(insert_ignoring_duplicates(session, QuestionFollowup), {
        "user_id": user_id, "question_ref": followup.ref, "kind": str(followup.kind),
        "topic": followup.topic, "created_at": at,
    })


@dataclass(frozen=True)
class TopicFeedback:
    topic: str
    helpful: int
    unhelpful: int
    unhelpful_questions: list[str]


async def feedback_since(session: AsyncSession, since: datetime) -> list[TopicFeedback]:
    """Helpful / not helpful per topic, with the questions behind each 👎, worst first."""
    asked = (select(QuestionLog.user_id, QuestionLog.ref,
                    func.max(QuestionLog.text).label("text"))
             .group_by(QuestionLog.user_id, QuestionLog.ref).subquery())
    rows = (await session.execute(
        select(QuestionFollowup.topic, QuestionFollowup.kind, asked.c.text)
        .join(asked, (asked.c.ref == QuestionFollowup.question_ref)
              & (asked.c.user_id == QuestionFollowup.user_id))
        .where(QuestionFollowup.created_at >= since,
               QuestionFollowup.kind.in_([FollowupKind.HELPFUL, FollowupKind.UNHELPFUL]))
    )).all()
    by_topic: dict[str, TopicFeedback] = {}
    for topic, kind, text in rows:
        entry = by_topic.setdefault(topic, TopicFeedback(topic, 0, 0, []))
        if kind == FollowupKind.HELPFUL:
            by_topic[topic] = TopicFeedback(topic, entry.helpful + 1, entry.unhelpful,
                                            entry.unhelpful_questions)
        else:
            entry.unhelpful_questions.append(text)
            by_topic[topic] = TopicFeedback(topic, entry.helpful, entry.unhelpful + 1,
                                            entry.unhelpful_questions)
    return sorted(by_topic.values(), key=lambda f: (-f.unhelpful, -f.helpful, f.topic))


async def choices_since(session: AsyncSession, since: datetime,
                        limit: int = 30) -> list[tuple[str, str, int]]:
    """(normalised question, topic picked, times) for suggestions people chose."""
    asked = (select(QuestionLog.user_id, QuestionLog.ref,
                    func.max(QuestionLog.normalised).label("normalised"))
             .group_by(QuestionLog.user_id, QuestionLog.ref).subquery())
    rows = await session.execute(
        select(asked.c.normalised, QuestionFollowup.topic, func.count())
        .join(asked, (asked.c.ref == QuestionFollowup.question_ref)
              & (asked.c.user_id == QuestionFollowup.user_id))
        .where(QuestionFollowup.created_at >= since,
               QuestionFollowup.kind == FollowupKind.CHOSEN)
        .group_by(asked.c.normalised, QuestionFollowup.topic)
        .order_by(func.count().desc()).limit(limit)
    )
    return [(q, t, n) for q, t, n in rows.all()]

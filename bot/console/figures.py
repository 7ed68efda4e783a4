"""The dashboard's numbers, scoped by bot/staff/scope.py: one query per figure, so the
screen and its CSV are the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.staff.scope import narrowed
from bot.storage.models import AuditEntry, QuestionLog, StaffRole, User
from knowledge.matcher import ANSWER, FALLBACK, SUGGEST

VIETNAM_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh has no daylight saving
TOP = 10


@dataclass(frozen=True)
class Period:
    """[start, end) in stored UTC; the days are Vietnamese days."""

    start: datetime
    end: datetime


@dataclass
class Dashboard:
    new_people: int = 0
    active_people: int = 0
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_commune: list[tuple[str | None, int]] = field(default_factory=list)
    by_group: list[tuple[str | None, int]] = field(default_factory=list)
    per_day: list[tuple[date, int, int, int]] = field(default_factory=list)  # ans/sugg/none
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    top_unanswered: list[tuple[str, int]] = field(default_factory=list)

    @property
    def questions(self) -> int:
        return sum(a + s + f for _, a, s, f in self.per_day)

    @property
    def answer_rate(self) -> float:
        total = self.questions
        return sum(a for _, a, _, _ in self.per_day) / total if total else 0.0


def _local_day(session: AsyncSession, column: Any) -> Any:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        shifted = column + literal_column(f"interval '{VIETNAM_OFFSET_HOURS} hours'")
        return cast(shifted, Date)
    return func.date(column, f"+{VIETNAM_OFFSET_HOURS} hours")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def dashboard(session: AsyncSession, role: StaffRole, period: Period,
                    commune: str | None = None) -> Dashboard:
    """Everything on /staff/ for ROLE (a province officer may pick one COMMUNE)."""
    where_people = narrowed(role, User.commune_code, commune)
    people = [] if where_people is None else [where_people]
    out = Dashboard()
    active = [*people, User.last_seen_at >= period.start, User.created_at < period.end]
    out.new_people = int(await session.scalar(
        select(func.count()).select_from(User).where(
            *people, User.created_at >= period.start, User.created_at < period.end)) or 0)
    out.active_people = int(await session.scalar(
        select(func.count()).select_from(User).where(*active)) or 0)
    for column, target in ((User.channel, "by_channel"), (User.commune_code, "by_commune"),
                           (User.audience, "by_group")):
        rows = await session.execute(select(column, func.count()).where(*active)
                                     .group_by(column).order_by(func.count().desc()))
        setattr(out, target, [(key, int(n)) for key, n in rows])
    await _questions(session, out, people, period)
    return out


async def _questions(session: AsyncSession, out: Dashboard, people: list[Any],
                     period: Period) -> None:
    asked = [QuestionLog.created_at >= period.start, QuestionLog.created_at < period.end]

    def scoped(query: Any) -> Any:
        query = query.where(*asked)
        return query.join(User, User.id == QuestionLog.user_id).where(*people) if people \
            else query

    day = _local_day(session, QuestionLog.created_at)
    counts = [func.sum(case((QuestionLog.outcome == outcome, 1), else_=0))
              for outcome in (ANSWER, SUGGEST, FALLBACK)]
    rows = await session.execute(scoped(select(day, *counts)).group_by(day).order_by(day))
    out.per_day = [(_as_date(d), int(a or 0), int(s or 0), int(f or 0)) for d, a, s, f in rows]
    topics = await session.execute(
        scoped(select(QuestionLog.topic, func.count()))
        .where(QuestionLog.outcome == ANSWER, QuestionLog.topic.is_not(None))
        .group_by(QuestionLog.topic).order_by(func.count().desc()).limit(TOP))
    out.top_topics = [(t, int(n)) for t, n in topics]
    missed = await session.execute(
        scoped(select(QuestionLog.normalised, func.count()))
        .where(QuestionLog.outcome == FALLBACK)
        .group_by(QuestionLog.normalised).order_by(func.count().desc()).limit(TOP))
    out.top_unanswered = [(q, int(n)) for q, n in missed]


# -- people ------------------------------------------------------------------------

@dataclass
class People:
    """Counts only: no browsable list of people, for anyone."""

    total: int = 0
    news: int = 0
    by_commune: list[tuple[str | None, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_group: list[tuple[str | None, int]] = field(default_factory=list)


async def people(session: AsyncSession, role: StaffRole, commune: str | None = None) -> People:
    where = narrowed(role, User.commune_code, commune)
    scope = [] if where is None else [where]
    out = People()
    out.total = int(await session.scalar(
        select(func.count()).select_from(User).where(*scope)) or 0)
    out.news = int(await session.scalar(
        select(func.count()).select_from(User).where(*scope, User.news_opt_in.is_(True)))
        or 0)
    for column, target in ((User.commune_code, "by_commune"), (User.channel, "by_channel"),
                           (User.audience, "by_group")):
        rows = await session.execute(select(column, func.count()).where(*scope)
                                     .group_by(column).order_by(func.count().desc()))
        setattr(out, target, [(key, int(n)) for key, n in rows])
    return out


# -- the question log ---------------------------------------------------------------

PAGE_ROWS = 100


@dataclass(frozen=True)
class Asked:
    at: datetime
    commune: str | None
    outcome: str
    topic: str | None
    score: float
    text: str


async def questions(session: AsyncSession, role: StaffRole, period: Period,
                    commune: str | None = None, outcome: str | None = None,
                    topic: str | None = None, page: int = 0) -> list[Asked]:
    """One page of the question log, newest first, scoped like everything else."""
    query = (select(QuestionLog.created_at, User.commune_code, QuestionLog.outcome,
                    QuestionLog.topic, QuestionLog.score, QuestionLog.text)
             .outerjoin(User, User.id == QuestionLog.user_id)
             .where(QuestionLog.created_at >= period.start, QuestionLog.created_at < period.end))
    where = narrowed(role, User.commune_code, commune)
    if where is not None:
        query = query.where(where)
    if outcome:
        query = query.where(QuestionLog.outcome == outcome)
    if topic:
        query = query.where(QuestionLog.topic == topic)
    rows = await session.execute(query.order_by(QuestionLog.created_at.desc(),
                                                QuestionLog.id.desc())
                                 .limit(PAGE_ROWS).offset(page * PAGE_ROWS))
    return [Asked(*row) for row in rows]


# -- the audit log (province) ----------------------------------------------------------

async def audit(session: AsyncSession, period: Period, page: int = 0) -> list[AuditEntry]:
    return list(await session.scalars(
        select(AuditEntry).where(AuditEntry.at >= period.start, AuditEntry.at < period.end)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_ROWS).offset(page * PAGE_ROWS)))

"""The dashboard's numbers, scoped by bot/staff/scope.py: one query per figure, so the
screen and its CSV are the same numbers."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import REPLY_SOURCE
from bot.faq.followups import FollowupKind
from bot.handoff import office as office_hours
from bot.staff.scope import narrowed
from bot.storage.models import (
    AuditEntry,
    OutboxMessage,
    QuestionFollowup,
    QuestionLog,
    StaffRole,
    Ticket,
    User,
)
from bot.time import local_day
from knowledge.matcher import ANSWER, FALLBACK, SUGGEST

VIETNAM_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh has no daylight saving
TOP = 10


@dataclass(frozen=True)
class Period:
    """Vietnamese days FIRST..LAST (both included), and the same as [start, end) in
    stored UTC."""

    first: date
    last: date
    start: datetime
    end: datetime


@dataclass
class HandoffFigures:
    """Questions handed to officers in the period, and how fast the first answer came,
    counted in office hours (public holidays are not known, so they count as working)."""

    by_team: list[tuple[str | None, int, int]] = field(default_factory=list)  # opened, answered
    median: timedelta | None = None  # first response, office time
    p90: timedelta | None = None
    # First answered within one working day, of those answered or already older than that.
    within_day: float | None = None

    @property
    def opened(self) -> int:
        return sum(n for _, n, _ in self.by_team)


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
    # What the bot sent on its own (reminders, broadcasts, notices): (kind, status, count)
    sent: list[tuple[str, str, int]] = field(default_factory=list)
    # Ratings of answers: per week (Monday) and per topic, (👍, 👎)
    rated_weeks: dict[date, tuple[int, int]] = field(default_factory=dict)
    rated_topics: dict[str, tuple[int, int]] = field(default_factory=dict)
    handoff: HandoffFigures = field(default_factory=lambda: HandoffFigures())

    def weeks(self) -> list[tuple[date, int, float, float | None]]:
        """(Monday, questions, answer rate, 👍 share or None) for each week: whether edits
        to the knowledge base helped."""
        asked: dict[date, list[int]] = {}
        for day, a, s, f in self.per_day:
            week = asked.setdefault(day - timedelta(days=day.weekday()), [0, 0])
            week[0] += a + s + f
            week[1] += a
        out = []
        for monday, (total, answered) in sorted(asked.items()):
            up, down = self.rated_weeks.get(monday, (0, 0))
            out.append((monday, total, answered / total if total else 0.0,
                        up / (up + down) if up + down else None))
        return out

    @property
    def questions(self) -> int:
        return sum(a + s + f for _, a, s, f in self.per_day)

    @property
    def answer_rate(self) -> float:
        total = self.questions
        return sum(a for _, a, _, _ in self.per_day) / total if total else 0.0


async def dashboard(session: AsyncSession, role: StaffRole, period: Period,
                    commune: str | None = None, office: Office | None = None) -> Dashboard:
    """Everything on /staff/ for ROLE (a province officer may pick one COMMUNE)."""
    out = Dashboard()
    if office is not None:
        out.handoff = await handoff_figures(session, narrowed(role, Ticket.commune_code, commune),
                                            period, office)
    await _people_reached(session, out, narrowed(role, User.commune_code, commune), period)
    await _questions(session, out, narrowed(role, QuestionLog.commune_code, commune), period)
    await _sent(session, out, narrowed(role, User.commune_code, commune), period)
    await _ratings(session, out, narrowed(role, User.commune_code, commune), period)
    return out


@dataclass(frozen=True)
class Office:
    """Office hours and zone, and the moment figures are read at."""

    hours: office_hours.Hours
    tz: ZoneInfo
    now: datetime


async def handoff_figures(session: AsyncSession, where: Any, period: Period, office: Office
                          ) -> HandoffFigures:
    query = (select(Ticket.commune_code, Ticket.created_at, Ticket.first_answer_at)
             .where(Ticket.created_at >= period.start, Ticket.created_at < period.end))
    if where is not None:
        query = query.where(where)
    teams: dict[str | None, list[int]] = {}
    waits: list[timedelta] = []
    judged = quick = 0
    day = office_hours.working_day(office.hours)
    for code, created, answered in await session.execute(query):
        counts = teams.setdefault(code, [0, 0])
        counts[0] += 1
        wait = office_hours.working_time(created, answered or office.now, office.hours,
                                         office.tz)
        if answered is not None:
            counts[1] += 1
            waits.append(wait)
        if answered is not None or wait > day:
            judged += 1
            quick += answered is not None and wait <= day
    waits.sort()
    return HandoffFigures(
        by_team=sorted(((k, a, b) for k, (a, b) in teams.items()), key=lambda r: -r[1]),
        median=_quantile(waits, 0.5), p90=_quantile(waits, 0.9),
        within_day=quick / judged if judged else None)


def _quantile(ordered: list[timedelta], share: float) -> timedelta | None:
    """The nearest-rank quantile of an ordered list."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def _ratings(session: AsyncSession, out: Dashboard, where: Any, period: Period) -> None:
    """👍 and 👎 given in the period, by local week and by topic."""
    query = (select(QuestionFollowup.created_at, QuestionFollowup.kind, QuestionFollowup.topic)
             .join(User, User.id == QuestionFollowup.user_id)
             .where(QuestionFollowup.created_at >= period.start,
                    QuestionFollowup.created_at < period.end,
                    QuestionFollowup.kind.in_((FollowupKind.HELPFUL, FollowupKind.UNHELPFUL))))
    if where is not None:
        query = query.where(where)
    weeks: dict[date, list[int]] = {}
    topics: dict[str, list[int]] = {}
    for at, kind, topic in await session.execute(query):
        day = local_day(at)
        slot = 0 if kind == FollowupKind.HELPFUL else 1
        weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])[slot] += 1
        topics.setdefault(topic, [0, 0])[slot] += 1
    out.rated_weeks = {k: (v[0], v[1]) for k, v in weeks.items()}
    out.rated_topics = {k: (v[0], v[1]) for k, v in topics.items()}


async def _sent(session: AsyncSession, out: Dashboard, where: Any, period: Period) -> None:
    """Messages the bot started, by kind and outcome, to the people in scope (answers to
    questions left out). Finished rows are kept delivery.keep_days days."""
    query = (select(OutboxMessage.source_kind, OutboxMessage.status, func.count())
             .join(User, User.id == OutboxMessage.user_id)
             .where(OutboxMessage.created_at >= period.start,
                    OutboxMessage.created_at < period.end,
                    OutboxMessage.source_kind != REPLY_SOURCE)
             .group_by(OutboxMessage.source_kind, OutboxMessage.status)
             .order_by(OutboxMessage.source_kind, OutboxMessage.status))
    if where is not None:
        query = query.where(where)
    out.sent = [(kind, status, int(n)) for kind, status, n in await session.execute(query)]


async def _people_reached(session: AsyncSession, out: Dashboard, where: Any,
                          period: Period) -> None:
    """People active in the period (new ones among them), by channel, commune and group:
    one grouped scan, summed here."""
    new = func.sum(case((User.created_at >= period.start, 1), else_=0))
    query = (select(User.channel, User.commune_code, User.audience, func.count(), new)
             .where(User.last_seen_at >= period.start, User.created_at < period.end)
             .group_by(User.channel, User.commune_code, User.audience))
    if where is not None:
        query = query.where(where)
    channels: Counter[str] = Counter()
    communes: Counter[str | None] = Counter()
    groups: Counter[str | None] = Counter()
    for channel, commune, group, active, fresh in await session.execute(query):
        channels[channel] += int(active)
        communes[commune] += int(active)
        groups[group] += int(active)
        out.active_people += int(active)
        out.new_people += int(fresh or 0)
    out.by_channel = channels.most_common()
    out.by_commune = communes.most_common()
    out.by_group = groups.most_common()


async def _questions(session: AsyncSession, out: Dashboard, where: Any,
                     period: Period) -> None:
    """By the stored local day and commune (indexed): no date computed per row."""
    scope = [QuestionLog.local_day >= period.first, QuestionLog.local_day <= period.last]
    if where is not None:
        scope.append(where)
    per_day: dict[date, dict[str, int]] = {}
    rows = await session.execute(
        select(QuestionLog.local_day, QuestionLog.outcome, func.count()).where(*scope)
        .group_by(QuestionLog.local_day, QuestionLog.outcome))
    for day, outcome, n in rows:
        per_day.setdefault(_as_date(day), {})[outcome] = int(n)
    days = [period.first + timedelta(days=n) for n in range((period.last - period.first).days + 1)]
    out.per_day = [(day, per_day.get(day, {}).get(ANSWER, 0), per_day.get(day, {}).get(SUGGEST, 0),
                    per_day.get(day, {}).get(FALLBACK, 0)) for day in days]  # quiet days too
    topics = await session.execute(
        select(QuestionLog.topic, func.count())
        .where(*scope, QuestionLog.outcome == ANSWER, QuestionLog.topic.is_not(None))
        .group_by(QuestionLog.topic).order_by(func.count().desc()).limit(TOP))
    out.top_topics = [(t, int(n)) for t, n in topics]
    missed = await session.execute(
        select(QuestionLog.normalised, func.count())
        .where(*scope, QuestionLog.outcome == FALLBACK)
        .group_by(QuestionLog.normalised).order_by(func.count().desc()).limit(TOP))
    out.top_unanswered = [(q, int(n)) for q, n in missed]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
    query = (select(QuestionLog.created_at, QuestionLog.commune_code, QuestionLog.outcome,
                    QuestionLog.topic, QuestionLog.score, QuestionLog.text)
             .where(QuestionLog.created_at >= period.start, QuestionLog.created_at < period.end))
    where = narrowed(role, QuestionLog.commune_code, commune)
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

async def audit(session: AsyncSession, period: Period, page: int = 0
                ) -> list[tuple[AuditEntry, str]]:
    """One page of the audit log, newest first, each entry with the actor's name as the
    bot knows it ("" for the CLI or a person who never gave one)."""
    entries = list(await session.scalars(
        select(AuditEntry).where(AuditEntry.at >= period.start, AuditEntry.at < period.end)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_ROWS).offset(page * PAGE_ROWS)))
    actors = {tuple(e.actor.split(":", 1)) for e in entries if ":" in e.actor}
    names: dict[str, str] = {}
    for channel, user_id in actors:
        name = await session.scalar(select(User.display_name).where(
            User.channel == channel, User.channel_user_id == user_id))
        names[f"{channel}:{user_id}"] = name or ""
    return [(e, names.get(e.actor, "")) for e in entries]


@dataclass
class TopicFigures:
    """One topic on the knowledge page: how often the bot was sure of it, and ratings."""

    asked: int = 0  # answered with it, or offered it as a suggestion
    answered: int = 0
    helpful: int = 0
    unhelpful: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


async def topic_figures(session: AsyncSession, period: Period) -> dict[str, TopicFigures]:
    """Province-wide (the knowledge page is the province's), by topic, over PERIOD."""
    out: dict[str, TopicFigures] = {}
    rows = await session.execute(
        select(QuestionLog.topic, QuestionLog.outcome, func.count())
        .where(QuestionLog.local_day >= period.first, QuestionLog.local_day <= period.last,
               QuestionLog.topic.is_not(None))
        .group_by(QuestionLog.topic, QuestionLog.outcome))
    for topic, outcome, n in rows:
        figures = out.setdefault(topic, TopicFigures())
        figures.asked += int(n)
        figures.answered += int(n) if outcome == ANSWER else 0
    ratings = Dashboard()
    await _ratings(session, ratings, None, period)
    for topic, (up, down) in ratings.rated_topics.items():
        figures = out.setdefault(topic, TopicFigures())
        figures.helpful, figures.unhelpful = up, down
    return out

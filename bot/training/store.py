"""Training sessions and registrations in the database: the rules live here.

Seats are taken with one conditional UPDATE (`seats_taken < capacity`), so two
people pressing Confirm for the last seat at the same moment get one seat and
one waitlist place, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.staff.scope import commune_filter, narrowed
from bot.storage.models import (
    Registration,
    RegistrationStatus,
    SessionStatus,
    SessionWatch,
    StaffRole,
    TrainingSession,
    User,
)
from bot.time import to_stored
from knowledge.audience import SESSION_AUDIENCES, Audience
from knowledge.trainings import SessionSpec

ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def closes_at(training: TrainingSession) -> datetime:
    return training.deadline or training.starts_at


def is_open(training: TrainingSession, now: datetime) -> bool:
    return (training.status == SessionStatus.OPEN and training.capacity > 0
            and now < closes_at(training))


async def sync_from_yaml(session: AsyncSession, specs: list[SessionSpec]) -> None:
    """Insert or update the YAML sessions; seats already taken are kept."""
    for spec in specs:
        row = await session.get(TrainingSession, spec.id)
        if row is None:
            row = TrainingSession(id=spec.id, seats_taken=0, status=SessionStatus.OPEN,
                                  source="yaml")
            session.add(row)
        row.title_vi, row.title_en = spec.title["vi"], spec.title["en"]
        row.audience = spec.audience
        row.description_vi, row.description_en = spec.description["vi"], spec.description["en"]
        row.starts_at, row.ends_at = to_stored(spec.start), to_stored(spec.end)
        row.deadline = to_stored(spec.deadline) if spec.deadline else None
        row.place, row.link, row.commune_code = spec.place, spec.link, spec.commune
        row.capacity = max(spec.capacity, row.seats_taken or 0)
        row.extra_fields = spec.extra_fields
        row.updated_at = datetime.now(UTC).replace(tzinfo=None)


def _audience_filter(audience: str | None) -> Any:
    if audience in (Audience.YOUTH, Audience.BUSINESS):
        return TrainingSession.audience.in_((audience, Audience.ALL))
    return True


async def open_sessions(session: AsyncSession, now: datetime,
                        audience: str | None = None) -> list[TrainingSession]:
    rows = await session.scalars(
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.OPEN, TrainingSession.capacity > 0,
               or_(and_(TrainingSession.deadline.is_(None), TrainingSession.starts_at > now),
                   TrainingSession.deadline > now))
        .where(_audience_filter(audience))
        .order_by(TrainingSession.starts_at)
    )
    return list(rows)


async def past_sessions(session: AsyncSession, now: datetime, limit: int = 3
                        ) -> list[TrainingSession]:
    rows = await session.scalars(select(TrainingSession).where(TrainingSession.ends_at <= now)
                                 .order_by(TrainingSession.starts_at.desc()).limit(limit))
    return list(rows)


async def active_registration(session: AsyncSession, user_id: int, session_id: str
                              ) -> Registration | None:
    return await session.scalar(select(Registration).where(
        Registration.user_id == user_id, Registration.session_id == session_id,
        Registration.status.in_(ACTIVE)))


async def registrations_of(session: AsyncSession, user_id: int) -> list[Registration]:
    rows = await session.scalars(
        select(Registration).where(Registration.user_id == user_id,
                                   Registration.status.in_(ACTIVE))
        .order_by(Registration.created_at))
    return list(rows)


async def last_details(session: AsyncSession, user_id: int) -> Registration | None:
    """The user's most recent registration: its name and phone prefill the next one."""
    return await session.scalar(
        select(Registration).where(Registration.user_id == user_id,
                                   Registration.full_name.is_not(None))
        .order_by(Registration.created_at.desc(), Registration.id.desc()).limit(1))


async def _take_seat(session: AsyncSession, session_id: str) -> bool:
    result = await session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == session_id,
               TrainingSession.seats_taken < TrainingSession.capacity)
        .values(seats_taken=TrainingSession.seats_taken + 1))
    return result.rowcount == 1


async def waitlist_position(session: AsyncSession, registration: Registration) -> int:
    ahead = await session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            or_(Registration.created_at < registration.created_at,
                and_(Registration.created_at == registration.created_at,
                     Registration.id < registration.id))))
    return int(ahead or 0) + 1


@dataclass
class Booking:
    registration: Registration
    position: int | None  # waitlist position, None when confirmed


async def register(session: AsyncSession, user_id: int, training: TrainingSession,
                   full_name: str, phone: str, extra: dict[str, Any], now: datetime) -> Booking:
    status = (RegistrationStatus.CONFIRMED if await _take_seat(session, training.id)
              else RegistrationStatus.WAITLISTED)
    registration = Registration(session_id=training.id, user_id=user_id, full_name=full_name,
                                phone=phone, extra=extra, status=status, created_at=now)
    session.add(registration)
    await session.flush()
    waitlisted = status == RegistrationStatus.WAITLISTED
    position = await waitlist_position(session, registration) if waitlisted else None
    return Booking(registration, position)


async def cancel(session: AsyncSession, registration: Registration, now: datetime
                 ) -> Registration | None:
    """Cancel; a freed seat goes to the first person waiting, who is returned."""
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    if not was_confirmed:
        return None
    await session.execute(update(TrainingSession)
                          .where(TrainingSession.id == registration.session_id)
                          .values(seats_taken=TrainingSession.seats_taken - 1))
    waiting = await session.scalar(
        select(Registration).where(Registration.session_id == registration.session_id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id).limit(1)
        .with_for_update(of=Registration, skip_locked=True))
    if waiting is None or not await _take_seat(session, registration.session_id):
        return None
    waiting.status = RegistrationStatus.CONFIRMED
    return waiting


async def promote_waiting(session: AsyncSession, session_id: str) -> list[Registration]:
    """Seats freed by a larger capacity go to the people waiting, first come first."""
    promoted = []
    while True:
        waiting = await session.scalar(
            select(Registration).where(Registration.session_id == session_id,
                                       Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.created_at, Registration.id).limit(1)
            .with_for_update(of=Registration, skip_locked=True))
        if waiting is None or not await _take_seat(session, session_id):
            return promoted
        waiting.status = RegistrationStatus.CONFIRMED
        promoted.append(waiting)


async def forget_user(session: AsyncSession, user_id: int, now: datetime) -> list[Registration]:
    """Cancel the user's registrations and blank their personal fields (for /forget)."""
    promoted = []
    for registration in await registrations_of(session, user_id):
        moved_up = await cancel(session, registration, now)
        if moved_up:
            promoted.append(moved_up)
    await session.execute(update(Registration).where(Registration.user_id == user_id)
                          .values(full_name=None, phone=None, extra={}))
    return promoted


async def registered_users(session: AsyncSession, session_id: str) -> list[User]:
    rows = await session.scalars(
        select(User).join(Registration, Registration.user_id == User.id)
        .where(Registration.session_id == session_id, Registration.status.in_(ACTIVE)))
    return list(rows.unique())


async def watch(session: AsyncSession, user_id: int, audience: str, now: datetime) -> None:
    exists = await session.scalar(select(SessionWatch).where(
        SessionWatch.user_id == user_id, SessionWatch.audience == audience))
    if exists is None:
        session.add(SessionWatch(user_id=user_id, audience=audience, created_at=now))


async def watchers(session: AsyncSession, audience: str) -> list[User]:
    audiences = SESSION_AUDIENCES if audience == Audience.ALL else (audience, Audience.ALL)
    rows = await session.scalars(
        select(User).join(SessionWatch, SessionWatch.user_id == User.id)
        .where(SessionWatch.audience.in_(audiences)))
    return list(rows.unique())


async def seat_counts(session: AsyncSession, session_id: str) -> tuple[int, int]:
    """(confirmed, waitlisted) registrations for a session."""
    rows = (await session.execute(
        select(Registration.status, func.count()).where(Registration.session_id == session_id)
        .group_by(Registration.status))).all()
    counts = dict(rows)
    return (int(counts.get(RegistrationStatus.CONFIRMED, 0)),
            int(counts.get(RegistrationStatus.WAITLISTED, 0)))


async def get_session(session: AsyncSession, session_id: str) -> TrainingSession | None:
    return await session.get(TrainingSession, session_id)


async def sessions_with_registrants(session: AsyncSession) -> list[TrainingSession]:
    """Sessions someone is booked or waiting for: the targets of a registrants' broadcast."""
    ids = (await session.scalars(
        select(Registration.session_id).distinct()
        .where(Registration.status.in_(ACTIVE)))).all()
    found = [await session.get(TrainingSession, i) for i in ids]
    return [s for s in found if s is not None]


async def own_active_registration(session: AsyncSession, user_id: int,
                                  registration_id: int) -> Registration | None:
    """The user's own active registration with this id; someone else's is None."""
    return await session.scalar(select(Registration).where(
        Registration.id == registration_id, Registration.user_id == user_id,
        Registration.status.in_(ACTIVE)))


async def registrant(session: AsyncSession, registration: Registration) -> User | None:
    return await session.get(User, registration.user_id) if registration.user_id else None


# -- what staff see (scoped by bot/staff/scope.py) ----------------------------------------

@dataclass(frozen=True)
class SessionLine:
    training: TrainingSession
    confirmed: int  # of the people this staff member may see
    waitlisted: int


def _visible_sessions(role: StaffRole) -> Any:
    """Province staff: every session; commune staff: province-wide ones and their own."""
    own = commune_filter(role)
    if own is None:
        return True
    return or_(TrainingSession.commune_code.is_(None), TrainingSession.commune_code == own)


async def staff_sessions(session: AsyncSession, role: StaffRole, commune: str | None = None
                         ) -> list[SessionLine]:
    """Every session ROLE may see, newest start first, with its registrations counted
    among ROLE's people only (or a COMMUNE a province officer picked)."""
    trainings = (await session.scalars(select(TrainingSession).where(_visible_sessions(role))
                                       .order_by(TrainingSession.starts_at.desc()))).all()
    counts = select(Registration.session_id, Registration.status, func.count()).join(
        User, User.id == Registration.user_id).where(Registration.status.in_(ACTIVE))
    where = narrowed(role, User.commune_code, commune)
    if where is not None:
        counts = counts.where(where)
    tally: dict[tuple[str, str], int] = {
        (sid, status): int(n) for sid, status, n in await session.execute(
            counts.group_by(Registration.session_id, Registration.status))}
    return [SessionLine(t, tally.get((t.id, RegistrationStatus.CONFIRMED), 0),
                        tally.get((t.id, RegistrationStatus.WAITLISTED), 0))
            for t in trainings]


async def staff_session(session: AsyncSession, role: StaffRole, session_id: str
                        ) -> TrainingSession | None:
    """The session if ROLE may see it (another commune's session is None, like a
    missing one)."""
    return await session.scalar(select(TrainingSession).where(
        TrainingSession.id == session_id, _visible_sessions(role)))


@dataclass(frozen=True)
class RegistrantLine:
    registration_id: int
    name: str
    phone: str
    status: str
    waitlist_position: int | None
    commune: str | None
    audience: str | None
    consent_at: datetime | None
    registered_at: datetime
    attended_at: datetime | None


async def staff_registrants(session: AsyncSession, role: StaffRole, session_id: str
                            ) -> list[RegistrantLine]:
    """The active registrations of a session among ROLE's people, in sign-up order; the
    waiting-list position counts everyone waiting, so it is the person's real place."""
    rows = (await session.execute(
        select(Registration, User.commune_code, User.audience, User.consent_at)
        .outerjoin(User, User.id == Registration.user_id)
        .where(Registration.session_id == session_id, Registration.status.in_(ACTIVE))
        .order_by(Registration.created_at, Registration.id))).all()
    own = commune_filter(role)
    out, waiting = [], 0
    for registration, commune, audience, consent in rows:
        position = None
        if registration.status == RegistrationStatus.WAITLISTED:
            waiting += 1
            position = waiting
        if own is not None and commune != own:
            continue
        out.append(RegistrantLine(registration.id, registration.full_name or "",
                                  registration.phone or "", registration.status, position,
                                  commune, audience, consent, registration.created_at,
                                  registration.attended_at))
    return out

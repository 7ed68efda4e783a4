"""`laocai-bot training add|list|close|move|export`: what province staff run."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.core.messages import Reply
from bot.delivery.outbox import enqueue
from bot.storage.models import (
    Registration,
    RegistrationStatus,
    SessionStatus,
    TrainingSession,
    User,
)
from bot.time import show, stored_now, to_stored
from bot.training.export import write_csv, write_xlsx
from bot.training.store import ACTIVE, registered_users, seat_counts, watchers
from knowledge.audience import Audience
from knowledge.trainings import AUDIENCES, parse_local

EXPORT_COLUMNS = ("name", "phone", "commune", "audience", "status", "waitlist_position",
                  "registered_at")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    training = sub.add_parser("training", help="training sessions (staff)")
    tsub = training.add_subparsers(dest="training_command", required=True)
    add = tsub.add_parser("add", help="add a session")
    add.add_argument("--id", required=True)
    add.add_argument("--title", required=True, help="Vietnamese title")
    add.add_argument("--title-en", help="English title (default: the Vietnamese one)")
    add.add_argument("--start", required=True, help='local time, "2026-12-05 08:00"')
    add.add_argument("--end", required=True)
    add.add_argument("--place", required=True, help='address, or "trực tuyến"')
    add.add_argument("--link", help="link for online sessions")
    add.add_argument("--capacity", required=True, type=int)
    add.add_argument("--audience", default=Audience.ALL.value, choices=AUDIENCES)
    add.add_argument("--deadline", help="registration deadline (default: the start)")
    add.add_argument("--description", default="")
    add.add_argument("--commune", help="commune/ward code")
    tsub.add_parser("list", help="sessions with seats taken/free and waiting list")
    close = tsub.add_parser("close", help="stop sign-ups; registrants are told")
    close.add_argument("--id", required=True)
    move = tsub.add_parser("move", help="change the time; registrants are told")
    move.add_argument("--id", required=True)
    move.add_argument("--start", required=True)
    move.add_argument("--end", required=True)
    export = tsub.add_parser("export", help="registrations as CSV or Excel")
    export.add_argument("--session", required=True)
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("-o", "--output", required=True)


def _fail(message: str) -> int:
    print(f"training: {message}", file=sys.stderr)
    return 2


async def run(app: App, args: argparse.Namespace) -> int:
    command = args.training_command
    async with app.services.sessions() as session, session.begin():
        if command == "add":
            return await _add(app, session, args)
        if command == "list":
            return await _list(app, session)
        training = await session.get(TrainingSession,
                                     args.session if command == "export" else args.id)
        if training is None:
            return _fail(f"no session with id {args.session if command == 'export' else args.id}")
        if command == "close":
            return await _close(app, session, training)
        if command == "move":
            return await _move(app, session, training, args)
        return await _export(app, session, training, args)


async def _add(app: App, session: AsyncSession, args: argparse.Namespace) -> int:
    tz = app.config.tz
    try:
        start, end = parse_local(args.start, tz), parse_local(args.end, tz)
        deadline = parse_local(args.deadline, tz) if args.deadline else None
    except ValueError as exc:
        return _fail(f"--start/--end/--deadline: {exc}; use YYYY-MM-DD HH:MM")
    if end <= start:
        return _fail("--end must be after --start")
    if args.capacity < 1:
        return _fail("--capacity must be at least 1")
    if len(args.id) > 40 or await session.get(TrainingSession, args.id):
        return _fail(f"--id {args.id!r} is taken or longer than 40 characters")
    now = stored_now(app.services.clock)
    if to_stored(start) <= now:
        return _fail("--start is in the past")
    training = TrainingSession(
        id=args.id, title_vi=args.title, title_en=args.title_en or args.title,
        audience=args.audience, description_vi=args.description,
        description_en=args.description, starts_at=to_stored(start), ends_at=to_stored(end),
        deadline=to_stored(deadline) if deadline else None, place=args.place, link=args.link,
        commune_code=args.commune, capacity=args.capacity, seats_taken=0, extra_fields=[],
        status=SessionStatus.OPEN, source="cli", updated_at=now)
    session.add(training)
    await session.flush()
    told = 0
    for user in await watchers(session, args.audience):
        await enqueue(session, user, "new_session", training.id,
                      Reply(_notice(app, "new_session_notice", training, user.language)), now)
        told += 1
    print(f"added {training.id}: {show(training.starts_at, app.config.tz)}, "
          f"{training.capacity} seats; {told} people waiting for new sessions will be told")
    return 0


def _notice(app: App, key: str, training: TrainingSession, lang: str) -> str:
    return catalogue_text(lang, key, title=training.title(lang),
                          start=show(training.starts_at, app.config.tz, lang),
                          place=training.place)


async def _list(app: App, session: AsyncSession) -> int:
    rows = (await session.scalars(select(TrainingSession)
                                  .order_by(TrainingSession.starts_at))).all()
    now = stored_now(app.services.clock)
    print(f"{'id':<22} {'start':<20} {'status':<7} {'taken':>5} {'free':>5} {'waiting':>7}  title")
    for t in rows:
        confirmed, waiting = await seat_counts(session, t.id)
        status = "past" if t.ends_at <= now else t.status
        print(f"{t.id:<22} {show(t.starts_at, app.config.tz):<20} {status:<7} "
              f"{confirmed:>5} {max(t.capacity - confirmed, 0):>5} {waiting:>7}  {t.title_vi}")
    return 0


async def _tell_registrants(app: App, session: AsyncSession, training: TrainingSession,
                            key: str, source_kind: str) -> int:
    now = stored_now(app.services.clock)
    users = await registered_users(session, training.id)
    for user in users:
        await enqueue(session, user, source_kind,
                      f"{training.id}:{training.updated_at:%Y%m%d%H%M%S}",
                      Reply(_notice(app, key, training, user.language)), now)
    return len(users)


async def _close(app: App, session: AsyncSession, training: TrainingSession) -> int:
    training.status = SessionStatus.CLOSED
    training.updated_at = stored_now(app.services.clock)
    told = await _tell_registrants(app, session, training, "session_closed_notice", "closed")
    print(f"closed {training.id}; {told} registrants will be told")
    return 0


async def _move(app: App, session: AsyncSession, training: TrainingSession,
                args: argparse.Namespace) -> int:
    try:
        start, end = parse_local(args.start, app.config.tz), parse_local(args.end, app.config.tz)
    except ValueError as exc:
        return _fail(f"--start/--end: {exc}")
    if end <= start:
        return _fail("--end must be after --start")
    training.starts_at, training.ends_at = to_stored(start), to_stored(end)
    training.updated_at = stored_now(app.services.clock)
    from bot.reminders.scheduler import cancel_session_reminders

    await cancel_session_reminders(session, training.id)  # new ones follow the new time
    told = await _tell_registrants(app, session, training, "session_moved_notice", "moved")
    print(f"moved {training.id} to {show(training.starts_at, app.config.tz)}; "
          f"{told} registrants will be told")
    return 0


async def _export(app: App, session: AsyncSession, training: TrainingSession,
                  args: argparse.Namespace) -> int:
    rows = await export_rows(app, session, training)
    fields = [f["key"] for f in training.extra_fields or []]
    header = [*EXPORT_COLUMNS[:4], *fields, *EXPORT_COLUMNS[4:]]
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        write_csv(out, header, rows)
    else:
        write_xlsx(out, header, rows, training.id)
    print(f"{out}: {len(rows)} registrations")
    return 0


async def export_rows(app: App, session: AsyncSession, training: TrainingSession
                      ) -> list[dict[str, Any]]:
    registrations = (await session.scalars(
        select(Registration).where(Registration.session_id == training.id,
                                   Registration.status.in_(ACTIVE))
        .order_by(Registration.created_at, Registration.id))).all()
    rows, waiting = [], 0
    for registration in registrations:
        user = await session.get(User, registration.user_id) if registration.user_id else None
        code = user.commune_code if user else None
        commune = app.services.communes.get(code) if code else None
        waitlisted = registration.status == RegistrationStatus.WAITLISTED
        if waitlisted:
            waiting += 1
        row = {
            "name": registration.full_name or "",
            "phone": registration.phone or "",
            "commune": commune.name if commune else "",
            "audience": (user.audience or "") if user else "",
            "status": registration.status,
            "waitlist_position": waiting if waitlisted else "",
            "registered_at": show(registration.created_at.replace(tzinfo=UTC), app.config.tz),
        }
        row.update({k: v for k, v in (registration.extra or {}).items()})
        rows.append(row)
    return rows

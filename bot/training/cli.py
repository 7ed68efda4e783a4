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
from bot.storage.models import (
    Registration,
    RegistrationStatus,
    TrainingSession,
    User,
)
from bot.time import show, stored_now
from bot.training import manage
from bot.training.export import write_csv, write_xlsx
from bot.training.store import ACTIVE, seat_counts
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
    new = manage.NewSession(
        id=args.id, title=args.title, title_en=args.title_en or args.title,
        audience=args.audience, description=args.description, start=start, end=end,
        deadline=deadline, place=args.place, link=args.link, commune=args.commune,
        capacity=args.capacity)
    try:
        training, told = await manage.add(session, new, tz, stored_now(app.services.clock))
    except manage.Refused as refused:
        return _fail(catalogue_text("en", refused.key))
    print(f"added {training.id}: {show(training.starts_at, app.config.tz)}, "
          f"{training.capacity} seats; {told} people waiting for new sessions will be told")
    return 0


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


async def _close(app: App, session: AsyncSession, training: TrainingSession) -> int:
    told = await manage.close(session, training, app.config.tz, stored_now(app.services.clock))
    print(f"closed {training.id}; {told} registrants will be told")
    return 0


async def _move(app: App, session: AsyncSession, training: TrainingSession,
                args: argparse.Namespace) -> int:
    try:
        start, end = parse_local(args.start, app.config.tz), parse_local(args.end, app.config.tz)
    except ValueError as exc:
        return _fail(f"--start/--end: {exc}")
    try:
        told = await manage.move(session, training, start, end, app.config.tz,
                                 stored_now(app.services.clock))
    except manage.Refused as refused:
        return _fail(catalogue_text("en", refused.key))
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

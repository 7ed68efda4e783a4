"""`laocai-bot staff grant|revoke|list|login-link` and `laocai-bot broadcast send|status`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.broadcast.store import AUDIENCES, Scope, count_recipients, counts, queue
from bot.catalogue import text as catalogue_text
from bot.handoff import store as handoff
from bot.staff import signin
from bot.staff.scope import Level, actor_for, role_of
from bot.storage.models import AuditEntry, Broadcast, OutboxStatus, StaffRole
from bot.time import show, stored_now, to_stored
from bot.webchat import identity
from knowledge.trainings import parse_local

CHANNELS = ("telegram", "zalo", "zalo_oa", "web", "terminal")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    staff = sub.add_parser("staff", help="who may send news (audited)")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    grant = ssub.add_parser("grant", help="give a role")
    grant.add_argument("--channel", required=True, choices=CHANNELS)
    grant.add_argument("--user", required=True, help="the user's id on that channel")
    grant.add_argument("--role", required=True, choices=tuple(Level))
    grant.add_argument("--commune", help="commune/ward code (commune role)")
    revoke = ssub.add_parser("revoke", help="take a role away")
    revoke.add_argument("--channel", required=True, choices=CHANNELS)
    revoke.add_argument("--user", required=True)
    ssub.add_parser("list", help="everyone with a role")
    link = ssub.add_parser("login-link", help="print a one-time console sign-in link")
    link.add_argument("--channel", required=True, choices=CHANNELS)
    link.add_argument("--user", required=True)

    broadcast = sub.add_parser("broadcast", help="send news (province staff)")
    bsub = broadcast.add_subparsers(dest="broadcast_command", required=True)
    send = bsub.add_parser("send", help="queue a broadcast for the delivery workers")
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument("--commune", action="append", help="commune/ward code (repeatable)")
    target.add_argument("--all", action="store_true", help="everyone who opted in to news")
    send.add_argument("--audience", choices=AUDIENCES)
    send.add_argument("--text", required=True)
    send.add_argument("--at", help='local time "YYYY-MM-DD HH:MM" (default: now)')
    send.add_argument("--yes", action="store_true", help="do not ask to confirm")
    send.add_argument("--no-wait", action="store_true", help="return once queued")
    status = bsub.add_parser("status", help="counts of a broadcast")
    status.add_argument("id", type=int)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


async def staff(app: App, args: argparse.Namespace) -> int:
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        if args.staff_command == "list":
            for role in (await session.scalars(select(StaffRole).order_by(StaffRole.id))).all():
                where = (app.services.communes.get(role.commune_code).name
                         if role.commune_code else "toàn tỉnh")
                print(f"{role.channel:<9} {role.channel_user_id:<20} {role.role:<9} {where}")
            return 0
        if args.staff_command == "login-link":
            return await _login_link(app, session, args, now)
        if args.staff_command == "revoke":
            result = await session.execute(delete(StaffRole).where(
                StaffRole.channel == args.channel, StaffRole.channel_user_id == args.user))
            session.add(AuditEntry(at=now, actor="cli", action="staff_revoke",
                                   detail={"channel": args.channel, "user": args.user}))
            await handoff.release(session, actor_for(args.channel, args.user), now)
            print("revoked" if result.rowcount else "no role to revoke")
            return 0
        if args.channel == identity.CHANNEL and not identity.issued_form(args.user):
            return _fail("staff grant: a web chat id looks like w1_ and 22 letters or digits; "
                         "the staff member sends /myid in the web chat to see theirs")
        if args.role == Level.COMMUNE:
            if not args.commune or app.services.communes.get(args.commune) is None:
                return _fail("staff grant: --commune must be one of the 99 commune/ward codes")
        elif args.commune:
            return _fail("staff grant: a province role covers every commune; drop --commune")
        role = await session.scalar(select(StaffRole).where(
            StaffRole.channel == args.channel, StaffRole.channel_user_id == args.user))
        if role is None:
            role = StaffRole(channel=args.channel, channel_user_id=args.user)
            session.add(role)
        role.role, role.granted_at = args.role, now
        role.commune_code = args.commune if args.role == Level.COMMUNE else None
        session.add(AuditEntry(at=now, actor="cli", action="staff_grant",
                               detail={"channel": args.channel, "user": args.user,
                                       "role": args.role, "commune": args.commune}))
        print(f"granted {args.role} to {args.channel}:{args.user}")
    return 0


async def _login_link(app: App, session: AsyncSession, args: argparse.Namespace,
                      now: datetime) -> int:
    """A sign-in link for a staff member (how the first province admin gets in)."""
    role = await role_of(session, args.channel, args.user)
    if role is None:
        return _fail(f"staff login-link: {args.channel}:{args.user} has no role "
                     "(give one first with 'staff grant')")
    token = await signin.issue_link(session, role, now)
    if token is None:
        return _fail("staff login-link: too many links just now; use the newest one")
    minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
    print(signin.link_url(app.config.public_url, token))
    print(f"(single use, valid for {minutes} minutes; open it in the staff member's browser)")
    return 0


async def broadcast(app: App, args: argparse.Namespace) -> int:
    if args.broadcast_command == "status":
        async with app.services.sessions() as session:
            item = await session.get(Broadcast, args.id)
            if item is None:
                return _fail(f"broadcast status: no broadcast #{args.id}")
            tally = await counts(session, item.id)
        print(f"#{item.id} {item.status}: {tally.get('sent', 0)}/{item.recipients} sent, "
              f"{tally.get('pending', 0)} pending, {tally.get('blocked', 0)} blocked, "
              f"{tally.get('failed', 0) + tally.get('invalid', 0)} failed, "
              f"{tally.get('unreachable', 0)} outside Zalo's 7-day window, "
              f"{tally.get('cancelled', 0)} cancelled")
        return 0
    for code in args.commune or []:
        if app.services.communes.get(code) is None:
            return _fail(f"broadcast send: --commune {code} is not one of the 99 codes")
    scope = Scope(communes=None if args.all else tuple(sorted(set(args.commune))),
                  audience=args.audience)
    now = stored_now(app.services.clock)
    try:
        when = to_stored(parse_local(args.at, app.config.tz)) if args.at else now
    except ValueError:
        return _fail("broadcast send: --at must look like 2026-12-01 08:00")
    if when < now:
        return _fail("broadcast send: --at is in the past")
    async with app.services.sessions() as session:
        total = await count_recipients(session, scope)
    print(f"{total} recipients; sending {'now' if when == now else show(when, app.config.tz)}")
    if total == 0:
        print("nobody to send to: nothing queued")
        return 0
    if not args.yes:
        answer = ""
        if sys.stdin.isatty():
            loop = asyncio.get_running_loop()
            answer = (await loop.run_in_executor(None, input, "Send? [y/N] ")).strip().lower()
        if answer not in ("y", "yes", "c", "co", "có"):
            print("not sent (add --yes to send without asking)")
            return 1
    role = StaffRole(channel="cli", channel_user_id="cli", role=Level.PROVINCE)
    async with app.services.sessions() as session, session.begin():
        item = await queue(session, "cli", role, scope, args.text,
                           catalogue_text("vi", "origin_province"), when, now)
        broadcast_id, recipients = item.id, item.recipients
    print(f"queued broadcast #{broadcast_id} for {recipients} recipients")
    if args.no_wait:
        return 0
    return await _progress(app, broadcast_id, recipients)


async def _progress(app: App, broadcast_id: int, total: int) -> int:
    started, last_done, idle_since = time.monotonic(), -1, time.monotonic()
    while True:
        async with app.services.sessions() as session:
            tally = await counts(session, broadcast_id)
        done = total - tally.get(OutboxStatus.PENDING, 0)
        width = 30
        filled = int(width * done / total) if total else width
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
              f"(sent {tally.get('sent', 0)}, blocked {tally.get('blocked', 0)}, "
              f"failed {tally.get('failed', 0) + tally.get('invalid', 0)}, "
              f"unreachable {tally.get('unreachable', 0)})", end="", flush=True)
        if done >= total:
            print(f"\ndone in {time.monotonic() - started:.1f} s")
            return 0
        if done != last_done:
            last_done, idle_since = done, time.monotonic()
        elif time.monotonic() - idle_since > 15:
            print("\nno progress for 15 s: is `laocai-bot run` (or `laocai-bot deliver`) "
                  "running? The broadcast stays queued; check it with "
                  f"`laocai-bot broadcast status {broadcast_id}`.")
            return 3
        await asyncio.sleep(1)

"""Sign-in without passwords: a one-time link sent in the chat app, then a browser session.

Only hashes are stored: a copy of the database signs nobody in. The link's GET
only asks "sign in as …?" (chat apps and scanners fetch links); its POST calls
`use_link`, which spends the token and opens a fresh session (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.staff.scope import actor_of
from bot.storage.models import AuditEntry, StaffLoginToken, StaffRole, StaffSession

LINK_LIFETIME = timedelta(minutes=10)
LINKS_PER_WINDOW = 5  # links one staff member may ask for in LINK_WINDOW
LINK_WINDOW = timedelta(minutes=10)
IDLE_LIMIT = timedelta(minutes=30)
ABSOLUTE_LIMIT = timedelta(hours=12)


def link_url(public_url: str, token: str) -> str:
    """The sign-in link as sent: the console's confirm page for TOKEN."""
    return f"{public_url}/staff/login/{token}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_link(session: AsyncSession, role: StaffRole, now: datetime) -> str | None:
    """A new token for ROLE (the old ones cancelled), or None when asked too often."""
    recent = await session.scalar(
        select(func.count()).select_from(StaffLoginToken)
        .where(StaffLoginToken.staff_id == role.id,
               StaffLoginToken.created_at > now - LINK_WINDOW))
    if (recent or 0) >= LINKS_PER_WINDOW:
        return None
    await session.execute(update(StaffLoginToken)
                          .where(StaffLoginToken.staff_id == role.id,
                                 StaffLoginToken.used_at.is_(None))
                          .values(expires_at=now))
    token = secrets.token_urlsafe(32)  # 256 bits
    session.add(StaffLoginToken(token_hash=_hash(token), staff_id=role.id, created_at=now,
                                expires_at=now + LINK_LIFETIME))
    session.add(AuditEntry(at=now, actor=actor_of(role), action="login_link", detail={}))
    return token


async def link_owner(session: AsyncSession, token: str, now: datetime) -> StaffRole | None:
    """Whom a still-valid link would sign in (the GET page asks them to confirm)."""
    row = await _valid_token(session, token, now)
    return await session.get(StaffRole, row.staff_id) if row else None


async def _valid_token(session: AsyncSession, token: str, now: datetime
                       ) -> StaffLoginToken | None:
    if not token or len(token) > 100:
        return None
    return await session.scalar(select(StaffLoginToken).where(
        StaffLoginToken.token_hash == _hash(token), StaffLoginToken.used_at.is_(None),
        StaffLoginToken.expires_at > now))


@dataclass(frozen=True)
class Opened:
    cookie: str  # the browser's session secret
    role: StaffRole


async def use_link(session: AsyncSession, token: str, now: datetime) -> Opened | None:
    """Spend TOKEN and open a session; None for a used, expired or unknown link."""
    row = await _valid_token(session, token, now)
    if row is None:
        return None
    spent = await session.execute(update(StaffLoginToken)
                                  .where(StaffLoginToken.id == row.id,
                                         StaffLoginToken.used_at.is_(None))
                                  .values(used_at=now))
    role = await session.get(StaffRole, row.staff_id)
    if not spent.rowcount or role is None:  # two tabs raced: the other one won
        return None
    cookie = secrets.token_urlsafe(32)
    session.add(StaffSession(session_hash=_hash(cookie), csrf=secrets.token_urlsafe(24),
                             staff_id=role.id, created_at=now, seen_at=now))
    session.add(AuditEntry(at=now, actor=actor_of(role), action="sign_in", detail={}))
    return Opened(cookie, role)


@dataclass(frozen=True)
class SignedIn:
    """A request's staff member, re-read from the database every time: a revoked or
    changed role takes effect at once."""

    role: StaffRole
    csrf: str
    session_id: int


async def signed_in(session: AsyncSession, cookie: str, now: datetime) -> SignedIn | None:
    """The staff member behind a session cookie, or None (unknown, idle too long, too
    old, or the role revoked); touches the session's last-seen time."""
    if not cookie or len(cookie) > 100:
        return None
    row = await session.scalar(select(StaffSession).where(
        StaffSession.session_hash == _hash(cookie)))
    if row is None:
        return None
    if now - row.seen_at > IDLE_LIMIT or now - row.created_at > ABSOLUTE_LIMIT:
        await session.delete(row)
        return None
    role = await session.get(StaffRole, row.staff_id)
    if role is None:
        return None
    if now - row.seen_at > timedelta(minutes=1):  # not a write per page view
        row.seen_at = now
    return SignedIn(role, row.csrf, row.id)


async def sign_out(session: AsyncSession, who: SignedIn, everywhere: bool, now: datetime
                   ) -> None:
    """End this browser's session, or every session of this staff member."""
    where = (StaffSession.staff_id == who.role.id if everywhere
             else StaffSession.id == who.session_id)
    await session.execute(delete(StaffSession).where(where))
    session.add(AuditEntry(at=now, actor=actor_of(who.role), action="sign_out",
                           detail={"everywhere": everywhere}))


async def language_of(session: AsyncSession, role: StaffRole) -> str:
    """The staff member's chat language, for the console's pages ("vi" by default)."""
    from bot.storage.models import User

    lang = await session.scalar(select(User.language).where(
        User.channel == role.channel, User.channel_user_id == role.channel_user_id))
    return "en" if lang == "en" else "vi"

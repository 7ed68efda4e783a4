"""Who a web chat browser is: an identity the server issues, never one it chose.

The server makes a random token (128 bits) when a browser first opens the chat,
stores the person under it, and the page keeps it. A token the server did not issue
(forged, or of a person who used /forget) is unknown: the browser gets a new
identity and reads nothing of anybody else's. Browsers of the old page, which chose
their own id, are moved to a token once: their id is renamed, so a second claim of
the same old id finds nobody.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import StaffRole, User

CHANNEL = "web"
PREFIX = "w1_"
TOKEN = re.compile(r"w1_[A-Za-z0-9_-]{22}")  # fullmatch: 16 random bytes, url-safe base64
LEGACY = re.compile(r"[A-Za-z0-9_-]{8,64}")  # what the old page chose for itself


def issued_form(value: object) -> bool:
    return isinstance(value, str) and TOKEN.fullmatch(value) is not None


async def known(session: AsyncSession, token: object) -> bool:
    """A token this server issued and whose person still exists."""
    if not issued_form(token):
        return False
    return await session.scalar(select(User.id).where(
        User.channel == CHANNEL, User.channel_user_id == token)) is not None


async def bind_legacy(session: AsyncSession, legacy: object) -> str | None:
    """The old page's self-chosen id, moved to a new token once; None if unknown."""
    if not isinstance(legacy, str) or not LEGACY.fullmatch(legacy) or issued_form(legacy):
        return None
    token = _new_token()
    moved = await session.execute(
        update(User).where(User.channel == CHANNEL, User.channel_user_id == legacy)
        .values(channel_user_id=token, chat_id=token).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return None
    await session.execute(
        update(StaffRole).where(StaffRole.channel == CHANNEL, StaffRole.channel_user_id == legacy)
        .values(channel_user_id=token).execution_options(synchronize_session=False))
    return token


async def create(session: AsyncSession, now: datetime, language: str) -> str:
    """A new person under a new token (the conversation fills in the rest)."""
    token = _new_token()
    session.add(User(channel=CHANNEL, channel_user_id=token, chat_id=token,
                     language="en" if language == "en" else "vi", news_opt_in=False,
                     blocked=False, created_at=now, last_seen_at=now))
    await session.flush()
    return token


def _new_token() -> str:
    return PREFIX + secrets.token_urlsafe(16)

"""The Zalo OA's OAuth tokens, rotated without ever losing the account.

Zalo's refresh token works once: each refresh answers with a new one, and a process
that comes back with a spent token has lost the OA until an admin authorises again.
So a refresh happens under a lock on the token's row (two processes never refresh
at once; the second finds the first one's fresh token and uses it), and the new
refresh token is committed before the new access token is used. The refresh token
in the configuration only seeds an empty table: after a restart the stored one is
used, never the spent one from the file. A refused refresh is kept with its reason,
so the channel stops and `status` tells the operator to authorise again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.services import Services
from bot.storage.models import OAuthToken
from bot.time import stored_now

NAME = "zalo_oa"
MARGIN = timedelta(minutes=5)  # refresh this long before the access token expires


@dataclass(frozen=True)
class Grant:
    """What the OAuth server answered: the pair to use from now on."""

    access_token: str
    refresh_token: str | None  # None: Zalo sent no new one, the stored one stays
    expires_in: timedelta


class RefreshRefused(Exception):
    """The OAuth server refused the refresh token (spent or expired): authorise again."""


class NoToken(Exception):
    """Neither the database nor the configuration holds a refresh token."""


Refresh = Callable[[str], Awaitable[Grant]]  # refresh token → grant; RefreshRefused


class TokenStore:
    def __init__(self, services: Services, refresh: Refresh, seed: str | None,
                 name: str = NAME) -> None:
        self.services, self.refresh_call, self.seed, self.name = services, refresh, seed, name
        self.lock = asyncio.Lock()  # this process's callers wait for one refresh

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        async with self.services.sessions() as session:
            row = await session.get(OAuthToken, self.name)
        now = stored_now(self.services.clock)
        if row is not None and row.refused:
            raise RefreshRefused(row.refused)
        if row is not None and row.access_token and row.access_expires_at \
                and row.access_expires_at - MARGIN > now:
            return row.access_token
        return await self.refresh(spent=row.access_token if row else None)

    async def refresh(self, spent: str | None) -> str:
        """A new access token in place of SPENT (expired, or refused with -216/-220).
        If another caller refreshed meanwhile, its token is returned instead. A network
        failure leaves the stored pair as it was."""
        async with self.lock:
            return await self._refresh_locked(spent)

    async def _refresh_locked(self, spent: str | None) -> str:
        refused: RefreshRefused | None = None
        async with self.services.sessions() as session, session.begin():
            row = await self._locked_row(session)
            now = stored_now(self.services.clock)
            if row.refused:
                raise RefreshRefused(row.refused)
            if row.access_token and row.access_token != spent and row.access_expires_at \
                    and row.access_expires_at - MARGIN > now:
                return row.access_token  # another process refreshed while we waited
            try:
                grant = await self.refresh_call(row.refresh_token)
            except RefreshRefused as exc:  # kept, so every process stops asking
                refused = exc
                row.refused, row.updated_at = (str(exc) or "refused")[:200], now
            else:
                row.access_token = grant.access_token
                row.refresh_token = grant.refresh_token or row.refresh_token
                row.access_expires_at, row.updated_at = now + grant.expires_in, now
        if refused is not None:
            raise refused
        return grant.access_token  # committed: the new refresh token is safe first

    async def replace(self, grant: Grant) -> None:
        """An admin's new authorisation: the stored pair replaced, a refusal forgotten.
        Running processes read it on their next send."""
        async with self.services.sessions() as session, session.begin():
            row = await session.get(OAuthToken, self.name, with_for_update=True)
            now = stored_now(self.services.clock)
            if row is None:
                row = OAuthToken(name=self.name, refresh_token=grant.refresh_token,
                                 updated_at=now)
                session.add(row)
            row.access_token, row.refresh_token = grant.access_token, grant.refresh_token
            row.access_expires_at, row.updated_at = now + grant.expires_in, now
            row.refused = None

    async def _locked_row(self, session: AsyncSession) -> OAuthToken:
        """The token row, write-locked until the transaction ends, so no other process
        refreshes meanwhile (PostgreSQL: FOR UPDATE; SQLite: a write takes the database's
        one write lock); seeded from the configuration only when there is none."""
        now = stored_now(self.services.clock)
        if self.seed:  # a second process seeding at the same moment changes nothing
            await session.execute(
                _insert(session)(OAuthToken).values(name=self.name, refresh_token=self.seed,
                                                    updated_at=now)
                .on_conflict_do_nothing(index_elements=[OAuthToken.name]))
        query = select(OAuthToken).where(OAuthToken.name == self.name)
        if _dialect(session) == "postgresql":
            query = query.with_for_update()
        else:
            await session.execute(update(OAuthToken).where(OAuthToken.name == self.name)
                                  .values(updated_at=OAuthToken.updated_at))
        row = await session.scalar(query)
        if row is None:
            raise NoToken(f"{self.name}: no refresh token; run `laocai-bot zalo-oa "
                          "authorize` or set ZALO_OA_REFRESH_TOKEN")
        return row


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else ""


def _insert(session: AsyncSession) -> Any:
    """INSERT with ON CONFLICT for the database in use."""
    if _dialect(session) == "postgresql":
        return postgresql.insert
    return sqlite.insert


async def refusals(session: AsyncSession) -> dict[str, tuple[str, datetime]]:
    """Each token Zalo refused: its reason and since when (for `status`)."""
    rows = await session.execute(select(OAuthToken.name, OAuthToken.refused,
                                        OAuthToken.updated_at)
                                 .where(OAuthToken.refused.is_not(None)))
    return {name: (reason, since) for name, reason, since in rows}

"""The Zalo OA's OAuth tokens, rotated without ever losing the account.

Zalo's refresh token works once: each refresh answers with a new one, and a process
that comes back with a spent token has lost the OA until an admin authorises again.
So a refresh happens under a lock (one per process, and on PostgreSQL the token's row,
so two processes never refresh at once; the second finds the first one's fresh token
and uses it), and the new refresh token is committed before the new access token is
used. The refresh token
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


class CredentialsRejected(Exception):
    """Zalo refused the app (its id or secret), not the token: fix the configuration; the
    stored token is kept, unspent."""


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
        """PostgreSQL: Zalo is asked while the row is locked (other processes wait for
        the row only). SQLite has one sending process (README) and one write lock for the
        whole database, which must not wait on Zalo: it is asked with no transaction
        open, and the answer stored only if the row still holds the token that was used."""
        async with self.services.sessions() as session:
            async with session.begin():
                row = await self._locked_row(session)
                fresh = self._usable(row, spent)
                if fresh:
                    return fresh  # another caller refreshed while we waited
                used = row.refresh_token
                if _dialect(session) == "postgresql":
                    answer = await self._ask(used)
                    _apply(row, answer, stored_now(self.services.clock))
            if _dialect(session) != "postgresql":
                answer = await self._ask(used)
                async with session.begin():
                    row = await self._locked_row(session)
                    if row.refresh_token != used:  # another process (or an admin) stored
                        if row.refused:            # a newer pair: that one is used
                            raise RefreshRefused(row.refused)
                        if row.access_token and row.access_token != spent:
                            return row.access_token
                        raise ConnectionError("the token changed meanwhile; try again")
                    _apply(row, answer, stored_now(self.services.clock))
        if isinstance(answer, RefreshRefused):
            raise answer
        return answer.access_token  # committed: the new refresh token is safe first

    def _usable(self, row: OAuthToken, spent: str | None) -> str | None:
        """The stored access token if it is not SPENT and lives a while yet; a refusal
        on record is raised."""
        if row.refused:
            raise RefreshRefused(row.refused)
        if row.access_token and row.access_token != spent and row.access_expires_at \
                and row.access_expires_at - MARGIN > stored_now(self.services.clock):
            return row.access_token
        return None

    async def _ask(self, refresh_token: str) -> Grant | RefreshRefused:
        """Zalo's answer; a network failure raises (nothing stored changes)."""
        try:
            return await self.refresh_call(refresh_token)
        except RefreshRefused as refused:
            return refused

    async def replace(self, grant: Grant) -> None:
        """An admin's new authorisation: the stored pair replaced, a refusal forgotten.
        Running processes read it on their next send."""
        assert grant.refresh_token
        async with self.services.sessions() as session, session.begin():
            now = stored_now(self.services.clock)
            await session.execute(  # a process seeding the table meanwhile changes nothing
                _insert(session)(OAuthToken).values(name=self.name,
                                                    refresh_token=grant.refresh_token,
                                                    updated_at=now)
                .on_conflict_do_nothing(index_elements=[OAuthToken.name]))
            row = await session.scalar(
                select(OAuthToken).where(OAuthToken.name == self.name).with_for_update()
                .execution_options(populate_existing=True))
            assert row is not None
            row.access_token, row.refresh_token = grant.access_token, grant.refresh_token
            row.access_expires_at, row.updated_at = now + grant.expires_in, now
            row.refused = None

    async def _locked_row(self, session: AsyncSession) -> OAuthToken:
        """The token row, locked until the transaction ends (PostgreSQL: FOR UPDATE;
        SQLite: the transaction's write), seeded from the configuration only when there
        is none."""
        now = stored_now(self.services.clock)
        if self.seed:  # a second process seeding at the same moment changes nothing
            await session.execute(
                _insert(session)(OAuthToken).values(name=self.name, refresh_token=self.seed,
                                                    updated_at=now)
                .on_conflict_do_nothing(index_elements=[OAuthToken.name]))
        query = (select(OAuthToken).where(OAuthToken.name == self.name)
                 .execution_options(populate_existing=True))  # never a stale copy
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


def _apply(row: OAuthToken, answer: Grant | RefreshRefused, now: datetime) -> None:
    """A grant becomes the stored pair; a refusal is kept, so every process stops asking."""
    if isinstance(answer, RefreshRefused):
        row.refused, row.updated_at = (str(answer) or "refused")[:200], now
        return
    row.access_token = answer.access_token
    row.refresh_token = answer.refresh_token or row.refresh_token
    row.access_expires_at, row.updated_at = now + answer.expires_in, now
    row.refused = None  # a racing process's refusal of the token this grant replaced


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else ""


def _insert(session: AsyncSession) -> Any:
    """INSERT with ON CONFLICT for the database in use."""
    if _dialect(session) == "postgresql":
        return postgresql.insert
    return sqlite.insert


@dataclass(frozen=True)
class TokenState:
    """What `status` and /healthz say about a channel's token."""

    working: bool
    detail: str  # why it is stopped, or until when the access token lives
    since: datetime | None = None


async def token_state(session: AsyncSession, seeded: bool, name: str = NAME) -> TokenState:
    row = await session.get(OAuthToken, name)
    if row is None:
        return (TokenState(True, "a refresh token from the configuration, not used yet")
                if seeded else TokenState(False, "never authorised"))
    if row.refused:
        return TokenState(False, row.refused, row.updated_at)
    if not row.access_token or not row.access_expires_at:
        return TokenState(True, "a refresh token stored, not used yet (if this stays, "
                                "see the log for what Zalo answers)", row.updated_at)
    until = row.access_expires_at.isoformat(" ", "minutes") if row.access_expires_at else "—"
    return TokenState(True, f"access token valid until {until} UTC", row.updated_at)

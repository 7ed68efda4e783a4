"""Shared fixtures: a bot on SQLite or PostgreSQL, a fixed clock, a chat helper."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App, build
from bot.channels.web import create_web_app
from bot.config import Config, from_mapping
from bot.core.messages import Incoming, Reply
from bot.time import FixedClock

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TODAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
        return None
    except Exception as exc:  # absent server, refused connection, no database
        return f"PostgreSQL at {PG_URL} is not reachable: {type(exc).__name__}"


_PG_PROBLEM: str | bool | None = False


def require_postgres() -> None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_reachable()
    if _PG_PROBLEM:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {_PG_PROBLEM}")
        pytest.skip(str(_PG_PROBLEM))


async def reset_postgres() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        require_postgres()
        asyncio.run(reset_postgres())
        return PG_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def postgres_url() -> str:
    """An empty PostgreSQL database (skipped when absent, failed under CI)."""
    require_postgres()
    asyncio.run(reset_postgres())
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


def make_config(database_url: str, **overrides: object) -> Config:
    # Tests open many chats from 127.0.0.1: the per-address limits are tested on their own.
    unlimited = {"new_identities_per_minute": 1e9, "messages_per_minute": 1e9}
    raw: dict[str, object] = {"database": {"url": database_url}, "web": {"limits": unlimited}}
    raw.update(overrides)
    return from_mapping(raw, env={})


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    bot = await build(make_config(database_url), clock=FixedClock(TODAY))
    yield bot
    await bot.close()


class Chat:
    """Talks to the core as one user would, on one channel."""

    def __init__(self, app: App, user: str = "u1", channel: str = "web") -> None:
        self.app, self.user, self.channel = app, user, channel
        self.last: list[Reply] = []

    async def send(self, text: str | None = None, *, payload: str | None = None,
                   unsupported: bool = False, reply_to: str | None = None) -> list[Reply]:
        self.last = await self.app.conversation.handle(
            Incoming(self.channel, self.user, self.user, text=text, payload=payload,
                     unsupported=unsupported, reply_to=reply_to)
        )
        return self.last

    async def press(self, label_part: str) -> list[Reply]:
        """Press the option whose label contains LABEL_PART in the last replies."""
        for reply in reversed(self.last):
            for option in reply.options:
                if label_part.lower() in option.label.lower() and option.payload:
                    return await self.send(payload=option.payload)
        raise AssertionError(f"no option {label_part!r} in {self.options()}")

    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    def options(self) -> list[str]:
        return [o.label for r in self.last for o in r.options]

    def payload(self, label_part: str) -> str:
        for reply in self.last:
            for option in reply.options:
                if label_part.lower() in option.label.lower() and option.payload:
                    return option.payload
        raise AssertionError(label_part)


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)


@pytest.fixture
async def browser(app: App) -> AsyncIterator[TestClient]:
    """An HTTP client of the web app (console and web chat), cookies kept like a browser's."""
    async with TestClient(TestServer(create_web_app(app))) as c:
        yield c

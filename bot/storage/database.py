"""Engine and session factory; SQLite gets WAL and foreign keys on every connection."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage.sqlite_driver import dbapi_module

SQLITE_POOL = 1
sqlite_dbapi = cache(dbapi_module)


class DatabaseError(Exception):
    """A storage problem worded for the operator."""


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    name = parsed.database
    if name.startswith("file:"):  # SQLite URI filename, e.g. file:/x.db?mode=ro
        name = name[5:].split("?", 1)[0]
    return Path(name)


def create_engine(url: str) -> AsyncEngine:
    file = sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time: a small pool keeps sessions queueing in the
        # event loop instead of in SQLite's busy handler, one aiosqlite thread each.
        # No rollback when a connection goes back to the pool: sessions and connections
        # already end their transactions, and on SQLite each call is a thread hop.
        extra = {"module": module} if (module := sqlite_dbapi()) is not None else {}
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=SQLITE_POOL, max_overflow=0,
            pool_timeout=60, pool_reset_on_return=None, hide_parameters=True, **extra,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # No pool_pre_ping: it costs a round trip per message (a third of a turn's time on
    # PostgreSQL in bench/telegram_bench.py). A dropped connection is instead
    # detected when used, and the message retried once (Conversation.handle).
    return create_async_engine(url, pool_size=10, max_overflow=20, hide_parameters=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_ignoring_duplicates(session: AsyncSession, model: type) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect; values go in as parameters.

    Built once per dialect and table: constructing the statement with its values
    on every message cost an eighth of a turn's CPU (bench/core_bench.py).
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return _insert_ignoring(dialect, model.__table__)  # type: ignore[attr-defined]


@cache
def _insert_ignoring(dialect: str, table: Table) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()

"""Alembic, driven from code so `laocai-bot run` and `db upgrade` need no alembic.ini."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.database import DatabaseError, sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _check_writable(url: str) -> None:
    file = sqlite_file(url)
    if file is None:
        return
    target = file if file.exists() else file.parent
    if target.exists() and not os.access(target, os.W_OK):
        raise DatabaseError(f"database.url: the database file {target} is read-only")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to REVISION on ENGINE (the cookbook's shared-connection recipe)."""
    _check_writable(str(engine.url))

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    try:
        async with engine.begin() as conn:
            await startup_lock(conn)
            await conn.run_sync(run)
    except OperationalError as exc:
        raise DatabaseError(f"database.url: cannot migrate the database: {exc.orig}") from None


STARTUP_LOCK = 574_010  # any constant; shared by every process of this bot


async def startup_lock(conn: AsyncConnection) -> None:
    """On PostgreSQL, processes starting together migrate and sync one at a time."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK})


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))

"""Storage: migrations apply, upgrades keep data, the same code runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from bot.storage import migrate
from bot.storage.database import create_engine


async def test_upgrade_from_the_previous_revision_keeps_users(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, "0001")
        assert "question_log" not in await migrate.current_tables(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO users (channel, channel_user_id, language, commune_code, "
                     "news_opt_in, blocked, created_at, last_seen_at) VALUES "
                     "('zalo', 'z-42', 'vi', '02671', true, false, :t, :t)"),
                {"t": datetime(2026, 1, 1)},
            )
            user_id = (await conn.execute(text("SELECT id FROM users"))).scalar_one()
            await conn.execute(
                text("INSERT INTO dialog_states (user_id, flow, step, data, nonce, updated_at) "
                     "VALUES (:u, 'onboarding', 'commune', '{}', '', :t)"),
                {"u": user_id, "t": datetime(2026, 1, 1)},
            )
        await migrate.upgrade(engine)
        assert {"users", "dialog_states", "question_log"} <= await migrate.current_tables(engine)
        async with engine.connect() as conn:
            row = (await conn.execute(
                text("SELECT u.channel_user_id, u.commune_code, d.step, d.options "
                     "FROM users u JOIN dialog_states d ON d.user_id = u.id"))).one()
        assert row[0] == "z-42" and row[1] == "02671" and row[2] == "commune"
        assert row[3] in ([], "[]")
    finally:
        await engine.dispose()


async def test_upgrading_twice_is_harmless(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == "0007"
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()

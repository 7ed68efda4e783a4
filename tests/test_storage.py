"""Storage: migrations apply, upgrades keep data, the same code runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from bot.app import build
from bot.storage import migrate
from bot.storage.database import create_engine
from bot.storage.models import DialogState, User
from bot.time import FixedClock
from tests.conftest import PG_URL, TODAY, Chat, make_config


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


async def test_questions_logged_before_the_console_get_their_commune_and_local_day(
        database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, "0012")
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO users (channel, channel_user_id, language, commune_code, "
                     "news_opt_in, blocked, created_at, last_seen_at) VALUES "
                     "('zalo', 'z-42', 'vi', '02671', true, false, :t, :t)"),
                {"t": datetime(2026, 1, 1)})
            await conn.execute(
                text("INSERT INTO question_log (user_id, text, normalised, outcome, score, "
                     "created_at) SELECT id, 'id.vn', 'id.vn', 'answer', 1.0, :t FROM users"),
                {"t": datetime(2026, 1, 1, 18, 30)})  # 01:30 on 02/01 in Lào Cai
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            row = (await conn.execute(
                text("SELECT commune_code, local_day FROM question_log"))).one()
        assert row[0] == "02671" and str(row[1]) == "2026-01-02"
    finally:
        await engine.dispose()


async def test_upgrading_twice_is_harmless(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == migrate.head_revision() == "0019"
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


async def test_sqlite_statements_take_one_trip_each_and_keep_their_results_and_errors(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aiosqlite

    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kwargs)

    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with engine.begin() as conn:
            added = await conn.execute(text("INSERT INTO t VALUES ('a', 1), ('b', 2)"))
            again = await conn.execute(text("INSERT INTO t VALUES ('a', 9) ON CONFLICT DO NOTHING"))
            rows = (await conn.execute(text("SELECT k, v FROM t ORDER BY k"))).all()
        assert (added.rowcount, again.rowcount, rows) == (2, 0, [("a", 1), ("b", 2)])
        assert trips == ["_run", "_run", "_run", "commit"]  # not cursor/execute/fetch/close
        with pytest.raises(IntegrityError):  # the router's retry for racing first messages
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES ('a', 3)"))
    finally:
        await engine.dispose()


def test_a_changed_sqlalchemy_adapter_falls_back_to_the_stock_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor

    from bot.storage.sqlite_driver import dbapi_module

    assert dbapi_module() is not None
    monkeypatch.delattr(AsyncAdapt_dbapi_cursor, "_execute_async")
    assert dbapi_module() is None


@pytest.mark.postgres
async def test_a_question_after_the_database_dropped_our_connections_is_still_answered(
    postgres_url: str,
) -> None:
    """PostgreSQL restarted (or failed over): the next message gets a real answer, not an error."""
    import asyncpg

    bot = await build(make_config(postgres_url), clock=FixedClock(TODAY))
    try:
        chat = Chat(bot, user="after-restart")
        await chat.send("id.vn là gì")
        assert "id.vn" in chat.text()
        admin = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        finally:
            await admin.close()
        assert killed >= 1
        await chat.send("biz.vn có miễn phí không")
        assert "biz.vn" in chat.text()
        assert "lỗi" not in chat.text().lower()
    finally:
        await bot.close()


async def test_a_returning_users_repeat_question_rewrites_neither_user_nor_dialog(app) -> None:
    """Only what changed is written: the same question again leaves both rows alone."""
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:
        statement = " ".join(statement.split()).lower()
        if statement.startswith(("update", "insert")) and "question_log" not in statement:
            statements.append(statement)  # the question log is written on its own timer

    chat = Chat(app)
    await chat.send("ten mien id.vn la gi")
    first = chat.text()
    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    try:
        await chat.send("ten mien id.vn la gi")
        assert chat.text() == first
        assert statements == []
        await chat.send("/lang en")  # a real change is written, and only its columns
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", record)
    updates = [s for s in statements if s.startswith("update users")]
    assert len(updates) == 1 and "language" in updates[0] and "commune_code" not in updates[0]


async def test_a_dialog_change_stamps_its_time_and_an_unchanged_turn_does_not(app) -> None:
    """`updated_at` follows the dialog state: it tells housekeeping how old a form is."""
    chat = Chat(app)
    clock = app.services.clock
    started = clock.moment
    await chat.send("/start")
    clock.moment = started + timedelta(minutes=5)
    await chat.send("ten mien id.vn la gi")  # a question instead of a choice ends the form
    clock.moment = started + timedelta(minutes=9)
    await chat.send("ten mien id.vn la gi")  # the same answer again: nothing changes
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.channel_user_id == "u1"))
        state = await session.get(DialogState, user.id)
    assert state.flow is None
    assert state.updated_at == (started + timedelta(minutes=5)).replace(tzinfo=None)


async def test_the_migrations_build_exactly_the_tables_the_models_describe(
        database_url: str) -> None:
    """A column, index or constraint added to a model without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.storage.models import Base

    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            drift = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": False}), Base.metadata))
    finally:
        await engine.dispose()
    assert drift == []

"""An attacker's afternoon against the web chat, on SQLite and PostgreSQL: every hostile
or broken input gets a clear 2xx/4xx JSON answer, and nobody else loses anything."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels.web import create_web_app
from bot.core.messages import Incoming
from bot.faq.question_log import LoggedQuestion
from bot.storage.models import QuestionLog
from bot.training.export import write_csv, write_xlsx

from . import hostile


@pytest.fixture
async def client(app) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(app))) as c:
        yield c


async def test_forty_kinds_of_hostile_input_get_clear_answers_and_lose_nothing(
        client, app) -> None:
    results = await hostile.run_all(client, app)
    assert len(results) >= 40
    failed = [f"{case.name}: {outcome.why}" for case, outcome in results if not outcome.ok]
    assert failed == []
    assert await hostile.bystander_lost(app) == []


def test_every_channel_gets_clean_text_from_the_neutral_message() -> None:
    incoming = Incoming("zalo", "u", "u", text="a\x00b\ud800c\u202ed\r\ne\tf",
                        display_name="\u202eNam", payload="m:menu\x00")
    assert incoming.text == "abcd\ne f"
    assert incoming.display_name == "Nam" and incoming.payload == "m:menu"


async def test_one_poisoned_row_does_not_cost_the_others_their_log_and_leaks_no_text(
        app, caplog) -> None:
    from .conftest import Chat

    chat = Chat(app, user="someone")
    await chat.send("xin chào")
    async with app.services.sessions() as session:
        user_id = await session.scalar(select(func.min(QuestionLog.user_id))) or 1
    await app.services.question_log.flush()
    writer = app.services.question_log
    now = datetime(2026, 11, 23, 3, 0)
    for n in range(5):
        writer.add(LoggedQuestion(user_id, f"secret question {n}", "secret", "answer", None,
                                  0.5, now))
    # Bypassing the edge on purpose: a NUL (PostgreSQL refuses it) and a NaN score
    # (SQLite stores it as NULL, which the column refuses).
    writer.add(LoggedQuestion(user_id, "poison\x00 secret", "poison", "answer", None,
                              float("nan"), now))
    from bot.cli import configure_logging

    configure_logging(logging.DEBUG)  # even with the bot's most verbose setting
    with caplog.at_level(logging.DEBUG):
        await writer.flush()
    async with app.services.sessions() as session:
        kept = await session.scalar(select(func.count()).select_from(QuestionLog)
                                    .where(QuestionLog.text.like("secret question%")))
    assert kept == 5
    assert "dropped the row of user" in caplog.text
    assert "secret" not in caplog.text and "poison" not in caplog.text


def test_exports_keep_formulas_as_text(tmp_path) -> None:
    from openpyxl import load_workbook

    rows = [{"name": '=HYPERLINK("http://evil","Bấm")', "phone": "+84912345678",
             "note": "@SUM(1)", "other": "-2+3", "tab": "\tcmd", "fine": "Nguyễn Văn An"}]
    header = list(rows[0])
    write_csv(tmp_path / "list.csv", header, rows)
    text = (tmp_path / "list.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'-2+3" in text and "'+84" in text
    assert ",Nguyễn Văn An" in text
    write_xlsx(tmp_path / "list.xlsx", header, rows, "Danh sách")
    sheet = load_workbook(tmp_path / "list.xlsx").active
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://evil","Bấm")' and cell.data_type == "s"


async def test_a_malformed_http_request_line_never_reaches_the_log(app, caplog) -> None:
    import asyncio

    from bot.cli import configure_logging

    configure_logging(logging.DEBUG)
    async with TestClient(TestServer(create_web_app(app))) as c:
        with caplog.at_level(logging.DEBUG):
            reader, writer = await asyncio.open_connection(c.host, c.port)
            writer.write(b"GARBAGE ZZSECRETLINE1 HTTP/1.1\r\nX-Bad\x00: ZZSECRETHDR\r\n\r\n")
            await writer.drain()
            await reader.read(2000)
            writer.close()
            await asyncio.sleep(0.1)
    assert "ZZSECRET" not in caplog.text

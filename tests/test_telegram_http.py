"""The aiohttp transport under python-telegram-bot maps wire failures to PTB's errors."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram_http import AiohttpRequest

from .local_server import LocalServer, free_port


async def test_a_slow_bot_api_is_a_timeout_not_a_hang() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", slow)
    server = LocalServer()
    await server.serve(app)
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{server.port}/botX/getMe")
    finally:
        await request.shutdown()
        await server.stop()


async def test_an_unreachable_bot_api_is_a_network_error() -> None:
    request = AiohttpRequest(connect_timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{free_port()}/botX/getMe")
    finally:
        await request.shutdown()



async def test_a_message_goes_as_one_json_body_with_its_keyboard_as_an_object() -> None:
    seen: list[tuple[str, object]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": {
            "message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}}})

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    server = LocalServer()
    await server.serve(app)
    bot = Bot("123:X", base_url=f"http://127.0.0.1:{server.port}/bot", request=AiohttpRequest())
    try:
        await bot.request.initialize()
        await bot.send_message(42, "Chào bạn", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Hỏi đáp", callback_data="m:faq")]]))
    finally:
        await bot.request.shutdown()
        await server.stop()
    content_type, body = seen[0]
    assert content_type == "application/json"
    assert body == {"chat_id": 42, "text": "Chào bạn", "reply_markup": {
        "inline_keyboard": [[{"text": "Hỏi đáp", "callback_data": "m:faq"}]]}}

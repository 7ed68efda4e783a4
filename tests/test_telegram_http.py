"""The aiohttp transport under python-telegram-bot maps wire failures to PTB's errors."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
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


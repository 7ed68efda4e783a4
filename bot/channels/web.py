"""Web chat: one page and a small JSON API on aiohttp.

POST /api/message  {"client_id": "...", "text": "..."} or {"client_id", "payload"}
  → {"replies": [{"text", "html", "options": [{"label", "payload", "url"}],
                  "attachment": {"filename", "text"} | null}]}
GET  /healthz      200 {"status": "ok"} after a database round trip, else 503.
The browser keeps a random client id in local storage; that id is the user id.
"""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from typing import Any

from aiohttp import web

from bot.app import App
from bot.channels.formatting import to_html, to_plain
from bot.channels.ordering import ChatLocks
from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)
CHANNEL = "web"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
APP_KEY: web.AppKey[App] = web.AppKey("bot_app", App)
LOCKS_KEY: web.AppKey[ChatLocks] = web.AppKey("locks", ChatLocks)


def render(reply: Reply) -> dict[str, Any]:
    return {
        "text": to_plain(reply.text),
        "html": to_html(reply.text),
        "options": [
            {"label": o.label, "payload": o.payload, "url": o.url}
            for o in reply.options
            if o.payload or o.url
        ],
        "attachment": (
            {"filename": reply.attachment.filename, "text": reply.attachment.text_fallback}
            if reply.attachment
            else None
        ),
        "request_phone": reply.request_phone,
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def page(_request: web.Request) -> web.Response:
    body = resources.files("bot.channels").joinpath("web_static/index.html").read_text("utf-8")
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def message(request: web.Request) -> web.Response:
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "body must be JSON")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        return _error(400, "client_id must be 8-64 letters, digits, - or _")
    text, payload = body.get("text"), body.get("payload")
    if text is not None and not isinstance(text, str):
        return _error(400, "text must be a string")
    if payload is not None and (not isinstance(payload, str) or len(payload) > 64):
        return _error(400, "payload must be a short string")
    lang = body.get("lang") if body.get("lang") in ("vi", "en") else None
    incoming = Incoming(CHANNEL, client_id, client_id, text=text, payload=payload,
                        language_hint=lang)
    app = request.app[APP_KEY]
    async with request.app[LOCKS_KEY](client_id):  # one browser's messages in order
        replies = await app.conversation.handle(incoming)
    return web.json_response({"replies": [render(r) for r in replies]},
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def inbox(request: web.Request) -> web.Response:
    """Messages the bot sent on its own (a freed seat, a new session), polled by the page."""
    client_id = request.query.get("client_id", "")
    if not _CLIENT_ID.match(client_id):
        return _error(400, "client_id must be 8-64 letters, digits, - or _")
    replies = await request.app[APP_KEY].conversation.inbox(CHANNEL, client_id)
    return web.json_response({"replies": [render(r) for r in replies]},
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def healthz(request: web.Request) -> web.Response:
    if await request.app[APP_KEY].healthy():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


def create_web_app(app: App) -> web.Application:
    web_app = web.Application(client_max_size=64 * 1024)
    web_app[APP_KEY] = app
    web_app[LOCKS_KEY] = ChatLocks()
    web_app.router.add_get("/", page)
    web_app.router.add_post("/api/message", message)
    web_app.router.add_get("/api/inbox", inbox)
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def start_web(app: App, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(create_web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner

"""Web chat: one page and a small JSON API on aiohttp.

POST /api/message  {"client_id": "...", "text": "..."} or {"client_id", "payload"}
  → {"replies": [{"text", "html", "options": [{"label", "payload", "url"}],
                  "attachment": {"filename", "text"} | null}]}
GET  /healthz      200 {"status": "ok", "inbox": {pending, lag_seconds, failed, parked},
                   "outbox": {due, oldest_due_seconds}} from the database, else 503.
The browser keeps a random client id in local storage; that id is the user id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web

from bot.app import App
from bot.channels.formatting import to_html, to_plain
from bot.channels.ordering import ChatLocks
from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)
CHANNEL = "web"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # used with fullmatch: no trailing newline
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


MAX_NUMBER_DIGITS = 20  # no field takes a number; a huge one is only an attack
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def _json(data: object, status: int = 200) -> web.Response:
    """JSON in UTF-8; a character that cannot be encoded becomes '?', never a 500."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")
    return web.Response(body=body, status=status, content_type="application/json",
                        charset="utf-8")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


@cache
def _page() -> tuple[str, str]:
    """The chat page and its Content-Security-Policy, which allows exactly its own
    inline script and style (by hash) and nothing from elsewhere."""
    body = resources.files("bot.channels").joinpath("web_static/index.html").read_text("utf-8")
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, content in _INLINE.findall(body):
        digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    policy = (f"default-src 'none'; script-src {' '.join(hashes['script'])}; "
              f"style-src {' '.join(hashes['style'])}; connect-src 'self'; img-src 'self' data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
    return body, policy


async def page(_request: web.Request) -> web.Response:
    body, policy = _page()
    response = web.Response(text=body, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = policy
    return response


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError("number too long")
    return int(digits)


def _bounded_float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_DIGITS + 10:
        raise ValueError("number too long")
    return float(digits)


async def _read_json(request: web.Request) -> object | web.Response:
    """The request's JSON body, or the 4xx answer that says what is wrong with it."""
    if request.content_type != "application/json":
        return _error(415, "send application/json")
    if request.charset not in (None, "utf-8", "utf8"):
        return _error(415, "send UTF-8 JSON")
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_bounded_int,
                          parse_float=_bounded_float, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError too
        return _error(400, "body must be UTF-8 JSON of modest size and depth")


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


async def message(request: web.Request) -> web.Response:
    body = await _read_json(request)
    if isinstance(body, web.Response):
        return body
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
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
    return _json({"replies": [render(r) for r in replies]})


async def inbox(request: web.Request) -> web.Response:
    """Messages the bot sent on its own (a freed seat, a new session), polled by the page."""
    client_id = request.query.get("client_id", "")
    if not _CLIENT_ID.fullmatch(client_id):
        return _error(400, "client_id must be 8-64 letters, digits, - or _")
    replies = await request.app[APP_KEY].conversation.waiting(CHANNEL, client_id)
    return _json({"replies": [render(r) for r in replies]})


async def healthz(request: web.Request) -> web.Response:
    """The database answers, and how far behind the workers are (no personal data)."""
    app = request.app[APP_KEY]
    if await app.healthy():
        try:
            status = await app.status()
            workers = status.pop("workers")  # hosts and pids are for staff, not the internet
            assert isinstance(workers, list)
            return web.json_response({"status": "ok", **status, "workers": len(workers)})
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
    return web.json_response({"status": "database unavailable"}, status=503)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer is JSON or the page, with nosniff; nothing unexpected leaks a traceback."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = _error(exc.status, exc.reason)
    except ConnectionResetError:  # the browser went away mid-request: nothing to answer
        log.info("web: %s %s: the client disconnected", request.method, request.path)
        raise
    except Exception as exc:
        log.error("web: %s %s failed: %s", request.method, request.path, type(exc).__name__)
        response = _error(500, "something went wrong; please try again")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def create_web_app(app: App) -> web.Application:
    web_app = web.Application(client_max_size=64 * 1024, middlewares=[_guard])
    web_app[APP_KEY] = app
    web_app[LOCKS_KEY] = ChatLocks()
    web_app.router.add_get("/", page)
    web_app.router.add_post("/api/message", message)
    web_app.router.add_get("/api/inbox", inbox)
    web_app.router.add_get("/healthz", healthz)
    from bot.console.web import PREFIX, console_app, to_console

    web_app.router.add_get(PREFIX, to_console)  # "/staff" typed without the slash
    web_app.add_subapp(PREFIX, console_app(app))  # the staff console, not a chat channel
    return web_app


async def start_web(app: App, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(create_web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner

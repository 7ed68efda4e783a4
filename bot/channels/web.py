"""Web chat: the page, the portal widget and a small JSON API on aiohttp.

POST /api/session  {"token"?, "client_id"? (the old page's own id), "lang"?}
  → {"token", "fresh"}: the identity the server issued (bot/webchat/identity.py); fresh
    for a new person (the page then says /start). 429 beyond the per-address limit.
POST /api/message  {"token", "text" | "payload", "id"? (the page's message id), "lang"?}
  → {"replies": [{"text", "html", "options": [{"label", "payload", "url"}],
                  "attachment": {"filename", "text"} | null}]}
  A message id is answered once: a retry after a lost answer gets the same replies
  (same process) or none, never a second turn. 401 {"error", "session"} for a token
  this server did not issue: the page asks for a new identity.
POST /api/inbox    {"token"} → {"replies": [...]}: what the bot sent on its own.
GET  /, /embed     the chat; /embed is the same chat fitted to a portal's frame, which
                   only `web.embed_origins` may show (frame-ancestors).
GET  /widget.js    the portal's one script tag: a launcher that opens /embed.
GET  /healthz      200 {"status": "ok", "inbox": {pending, lag_seconds, failed, parked},
                   "outbox": {due, oldest_due_seconds}} from the database, else 503.
Every answer is JSON or a page, with security headers; every error is JSON.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import ipaddress
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.channels.formatting import to_html, to_plain
from bot.channels.ordering import ChatLocks
from bot.core.messages import Incoming, Reply
from bot.time import stored_now
from bot.webchat import identity
from bot.webchat.limits import AddressLimit, Rate

log = logging.getLogger(__name__)
CHANNEL = identity.CHANNEL
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
APP_KEY: web.AppKey[App] = web.AppKey("bot_app", App)
LOCKS_KEY: web.AppKey[ChatLocks] = web.AppKey("locks", ChatLocks)
MAX_BODY = 64 * 1024  # a chat message; the console's forms allow more (console/web.py)
READ_SECONDS = 10.0  # a body still incomplete after this is dropped (408)
KEEPALIVE_SECONDS = 15.0  # an idle connection is closed after this


class WebLimits:
    """Per-address limits (new identities, messages) and the answers to recent message
    ids, so a retry after a lost answer gets the same replies."""

    def __init__(self, app: App) -> None:
        config = app.config
        self.new = AddressLimit(Rate(config.web_new_identities_per_minute, 60))
        self.messages = AddressLimit(Rate(config.web_messages_per_minute, 60))
        self.behind_proxy = config.web_behind_proxy
        self.answered: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def address(self, request: web.Request) -> str:
        """Whom a limit counts: the client's address (behind a proxy the last one it
        appended, of every X-Forwarded-For line); an IPv6 address by its /64, which
        one home or phone holds whole."""
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", [])) \
            if self.behind_proxy else ""
        raw = forwarded.rsplit(",", 1)[-1].strip() or request.remote or "?"
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:
            return raw[:64]
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.ipv4_mapped is not None:
                return str(ip.ipv4_mapped)
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    def remember(self, key: str, replies: list[dict[str, Any]]) -> None:
        self.answered[key] = replies
        while len(self.answered) > 5000:
            self.answered.popitem(last=False)


LIMITS_KEY: web.AppKey[WebLimits] = web.AppKey("limits", WebLimits)


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


_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_API_POLICY = "default-src 'none'; frame-ancestors 'none'"


_PAGE_KEYS = ("web_title", "web_subtitle", "web_log", "web_your_message", "web_placeholder",
              "web_send")
_SCRIPT_KEYS = ("waiting", "offline", "too_fast", "busy", "too_long", "not_sent",
                "too_many_new", "no_connection")  # web_<key>, for the page's own script


@cache
def _page(lang: str) -> tuple[str, str]:
    """The chat page in LANG (its words from the catalogue) and the start of its
    Content-Security-Policy, which allows exactly its own inline script and style (by
    hash) and nothing from elsewhere."""
    body = resources.files("bot.channels").joinpath("web_static/index.html").read_text("utf-8")
    words = {key: html.escape(catalogue_text(lang, key)) for key in _PAGE_KEYS}
    strings = json.dumps({key: catalogue_text(lang, f"web_{key}") for key in _SCRIPT_KEYS},
                         ensure_ascii=False).replace("<", "\\u003c")
    body = re.sub(r"\{\{(\w+)\}\}", lambda m: {"lang": lang, "strings": strings,
                                               **words}[m.group(1)], body)
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, content in _INLINE.findall(body):
        digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    policy = (f"default-src 'none'; script-src {' '.join(hashes['script'])}; "
              f"style-src {' '.join(hashes['style'])}; connect-src 'self'; img-src 'self' data:; "
              "base-uri 'none'; form-action 'none'")
    return body, policy


def _page_lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "vi"


async def page(request: web.Request) -> web.Response:
    """The full-page chat: nobody may frame it."""
    body, policy = _page(_page_lang(request))
    return _html(body, f"{policy}; frame-ancestors 'none'")


async def embed(request: web.Request) -> web.Response:
    """The same chat for a portal's frame: only the origins in web.embed_origins."""
    body, policy = _page(_page_lang(request))
    origins = " ".join(request.app[APP_KEY].config.embed_origins)
    return _html(body, f"{policy}; frame-ancestors 'self' {origins}".rstrip())


def _html(body: str, policy: str) -> web.Response:
    response = web.Response(text=body, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Cache-Control"] = "no-cache"
    return response


@cache
def _widget_source() -> str:
    return resources.files("bot.channels").joinpath("web_static/widget.js").read_text("utf-8")


async def widget(request: web.Request) -> web.Response:
    """The portal's script: it knows the bot's public address (web.public_url)."""
    base = json.dumps(request.app[APP_KEY].config.public_url)
    words = json.dumps({lang: {"open": catalogue_text(lang, "web_open"),
                               "close": catalogue_text(lang, "web_close"),
                               "title": catalogue_text(lang, "web_title")}
                        for lang in ("vi", "en")}, ensure_ascii=False)
    source = (_widget_source().replace('"__BOT_ORIGIN__"', base, 1)
              .replace('"__WORDS__"', words, 1))
    response = web.Response(text=source, content_type="text/javascript", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # portals load it
    return response


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError("number too long")
    return int(digits)


def _bounded_float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_DIGITS + 10:
        raise ValueError("number too long")
    return float(digits)


async def _read_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the 4xx answer that says what is wrong with it.
    Only application/json: a form or text/plain post from another site is refused."""
    if request.content_type != "application/json":
        return _error(415, "send application/json")
    if (request.charset or "utf-8").lower() not in ("utf-8", "utf8"):
        return _error(415, "send UTF-8 JSON")
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "the body is too large")
    try:
        async with asyncio.timeout(READ_SECONDS):
            raw = await request.read()
    except TimeoutError:
        return _error(408, "the request took too long to arrive")
    try:
        body = json.loads(raw.decode("utf-8"), parse_int=_bounded_int,
                          parse_float=_bounded_float, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError too
        return _error(400, "body must be UTF-8 JSON of modest size and depth")
    return body if isinstance(body, dict) else _error(400, "body must be a JSON object")


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _too_many(seconds: int) -> web.Response:
    response = _json({"error": "too many requests from your network; please wait",
                      "retry_after": seconds}, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _lang(body: dict[str, Any]) -> str | None:
    return body.get("lang") if body.get("lang") in ("vi", "en") else None


async def _counted_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The JSON object of an API call, counted against its address's message limit."""
    limits = request.app[LIMITS_KEY]
    wait = limits.messages.wait(limits.address(request), time.monotonic())
    if wait:
        return _too_many(wait)
    return await _read_object(request)


async def session(request: web.Request) -> web.Response:
    """The browser's identity: its own token if this server issued it, the old page's
    id moved to a token once, else a new one (limited per address)."""
    body = await _counted_body(request)
    if isinstance(body, web.Response):
        return body
    app, limits = request.app[APP_KEY], request.app[LIMITS_KEY]
    async with app.services.sessions() as db, db.begin():
        if await identity.known(db, body.get("token")):
            return _json({"token": body["token"], "fresh": False})
    wait = limits.new.wait(limits.address(request), time.monotonic())  # new, or an old id
    if wait:
        return _too_many(wait)
    async with app.services.sessions() as db, db.begin():
        moved = await identity.bind_legacy(db, body.get("client_id"))
        if moved is not None:
            return _json({"token": moved, "fresh": False})
        token = await identity.create(db, stored_now(app.services.clock), _lang(body) or "vi")
    return _json({"token": token, "fresh": True})


async def message(request: web.Request) -> web.Response:
    body = await _counted_body(request)
    if isinstance(body, web.Response):
        return body
    text, payload, message_id = body.get("text"), body.get("payload"), body.get("id")
    if text is not None and not isinstance(text, str):
        return _error(400, "text must be a string")
    if payload is not None and (not isinstance(payload, str) or len(payload) > 64):
        return _error(400, "payload must be a short string")
    if message_id is not None and not (isinstance(message_id, str)
                                       and _MESSAGE_ID.fullmatch(message_id)):
        return _error(400, "id must be 8-40 letters, digits, - or _")
    token = await _token(request, body)
    if isinstance(token, web.Response):
        return token
    key, limits = f"{token}:{message_id}", request.app[LIMITS_KEY]
    incoming = Incoming(CHANNEL, token, token, text=text, payload=payload,
                        language_hint=_lang(body), message_id=message_id)
    async with request.app[LOCKS_KEY](token):  # one browser's messages in order
        if message_id is not None and key in limits.answered:  # a retry, after the first
            return _json({"replies": limits.answered[key]})
        replies = [render(r) for r in await request.app[APP_KEY].conversation.handle(incoming)]
        if message_id is not None:
            limits.remember(key, replies)
    return _json({"replies": replies})


async def _token(request: web.Request, body: dict[str, Any]) -> str | web.Response:
    """The body's token when this server issued it; else 401, and the page asks anew."""
    token = body.get("token")
    async with request.app[APP_KEY].services.sessions() as db:
        if await identity.known(db, token):
            return str(token)
    return _json({"error": "unknown chat session; ask /api/session for one",
                  "session": "unknown"}, 401)


async def inbox(request: web.Request) -> web.Response:
    """Messages the bot sent on its own (a freed seat, an officer's answer), polled."""
    body = await _counted_body(request)
    if isinstance(body, web.Response):
        return body
    token = await _token(request, body)
    if isinstance(token, web.Response):
        return token
    replies = await request.app[APP_KEY].conversation.waiting(CHANNEL, token)
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
    """Every answer is JSON or a page, with the security headers; an error is JSON
    (404, 405, 413 too) and nothing unexpected leaks a traceback."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = _error(exc.status, exc.reason)
        if "Allow" in exc.headers:  # 405: which methods would do
            response.headers["Allow"] = exc.headers["Allow"]
    except ConnectionResetError:  # the browser went away mid-request: nothing to answer
        log.info("web: %s %s: the client disconnected", request.method, request.path)
        raise
    except Exception as exc:
        log.error("web: %s %s failed: %s", request.method, request.path, type(exc).__name__)
        response = _error(500, "something went wrong; please try again")
    for name, value in _SECURITY.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", _API_POLICY)
    return response


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a header over 8 KB, garbage) as an error
    with a traceback quoting its bytes. A malformed request is the client's fault and
    already answered 400: one INFO line naming the error. Anything else keeps its level
    and loses only the bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        record.msg, record.args = f"{record.msg} (%s)", (*_args(record), type(error).__name__)
        record.exc_info, record.exc_text = None, None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    args = record.args
    return args if isinstance(args, tuple) else () if args is None else (args,)


def quiet_malformed_requests() -> None:
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequests) for f in server.filters):
        server.addFilter(MalformedRequests())


def create_web_app(app: App) -> web.Application:
    quiet_malformed_requests()
    web_app = web.Application(client_max_size=MAX_BODY, middlewares=[_guard])
    web_app[APP_KEY] = app
    web_app[LOCKS_KEY] = ChatLocks()
    web_app[LIMITS_KEY] = WebLimits(app)
    web_app.router.add_get("/", page)
    web_app.router.add_get("/embed", embed)
    web_app.router.add_get("/widget.js", widget)
    web_app.router.add_post("/api/session", session)
    web_app.router.add_post("/api/message", message)
    web_app.router.add_post("/api/inbox", inbox)
    web_app.router.add_get("/healthz", healthz)
    from bot.console.web import PREFIX, console_app, to_console

    web_app.router.add_get(PREFIX, to_console)  # "/staff" typed without the slash
    web_app.add_subapp(PREFIX, console_app(app))  # the staff console, not a chat channel
    return web_app


async def start_web(app: App, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(create_web_app(app), access_log=None,
                           keepalive_timeout=KEEPALIVE_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner

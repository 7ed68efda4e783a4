"""Zalo channel on the Zalo Bot Platform API (Telegram-like HTTP, no buttons).

Translation only: updates in, neutral replies out. Options become a numbered
menu in the text (the core maps "2" or the option's words back); answers are
split under 2,000 characters; files become text. The HTTP client is aiohttp,
the one the bot already runs on; its parser keeps repeated headers (integrators
report a Zalo edge that sends two `Server` headers) — the fake in the tests
sends them on every response.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.channels.base import PlatformChannel, serve_webhook
from bot.channels.formatting import split_text, to_plain
from bot.config import PlatformConfig
from bot.core.messages import Incoming, Reply
from bot.core.options import numbered
from bot.delivery.outcome import SENT, Outcome, Result, in_turn
from bot.inbox.store import Received

log = logging.getLogger(__name__)
CHANNEL = "zalo"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
TEXT_LIMIT = 1900  # under Zalo's 2,000, leaving room for a "(1/2)" marker
SECRET_HEADER = "X-Bot-Api-Secret-Token"
REPLY_ATTEMPTS = 5
FIRST_BACKOFF = 1.0  # seconds; doubled after each network or server error


class ZaloError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description


def classify(exc: ZaloError) -> Outcome:
    """Zalo's answer to one send, read the same way for replies and deliveries."""
    if exc.code == 429:
        return Outcome(Result.PAUSE)  # "Quota exceeded", with no numbers published
    if exc.code == 403:
        return Outcome(Result.BLOCKED)
    if exc.code in (400, 404):
        return Outcome(Result.INVALID, error=exc.description)
    return Outcome(Result.RETRY, error=str(exc))  # 0 (network), 5xx, and anything new


def render(reply: Reply) -> str:
    parts = [to_plain(reply.text)]
    menu = numbered(reply.options)
    if menu:
        parts.append(menu)
        if any(o.payload for o in reply.options):
            parts.append(catalogue_text(reply.lang, "choose_by_number"))
    if reply.attachment:
        parts.append(reply.attachment.text_fallback)
    return "\n\n".join(parts)


def pieces(reply: Reply) -> list[str]:
    """The text messages one reply becomes, each under Zalo's 2,000 characters."""
    parts = split_text(render(reply), TEXT_LIMIT)
    if len(parts) > 1:
        parts = [f"{p}\n({i}/{len(parts)})" for i, p in enumerate(parts, 1)]
    return parts


def without_menu(reply: Reply) -> Reply:
    """Messages the bot sends on its own carry no number menu: a number typed back could
    not be mapped to them (the text itself says what to type instead)."""
    return Reply(reply.text, [o for o in reply.options if o.url], lang=reply.lang)


class ZaloClient:
    """`POST {base_url}<token>/<method>` with a JSON body; the token never reaches a log."""

    def __init__(self, token: str, base_url: str | None, http: aiohttp.ClientSession) -> None:
        self.token = token
        self.base_url = base_url or DEFAULT_BASE_URL
        self.http = http

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "<token>")

    async def call(self, method: str, wait: float = 15, **params: Any) -> Any:
        """WAIT is the HTTP deadline in seconds; PARAMS go in the JSON body."""
        url = f"{self.base_url}{self.token}/{method}"
        try:
            async with self.http.post(url, json=params,
                                      timeout=aiohttp.ClientTimeout(total=wait)) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    raise ZaloError(response.status, "not JSON") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ZaloError(0, self._redact(f"network: {type(exc).__name__} {exc}")) from None
        if not isinstance(body, dict):
            raise ZaloError(response.status, "unexpected body")
        if body.get("ok") is False or response.status >= 400:
            raise ZaloError(int(body.get("error_code") or response.status),
                            self._redact(str(body.get("description", ""))))
        return body.get("result", body)


def unwrap(body: Any) -> dict[str, Any] | None:
    """Accept `{ok, result: {event_name, message}}` and a bare `{event_name, message}`."""
    if not isinstance(body, dict):
        return None
    if "result" in body and isinstance(body["result"], dict):
        body = body["result"]
    return body if isinstance(body.get("message"), dict) else None


class ZaloChannel(PlatformChannel):
    """The Channel protocol (bot/channels/base.py) on the Zalo Bot Platform API."""

    name = CHANNEL

    def __init__(self, app: App, config: PlatformConfig) -> None:
        super().__init__(app, config)
        self.client: ZaloClient | None = None
        self.bot_name: str | None = None

    # -- lifecycle --------------------------------------------------------------

    async def start(self, receive: bool = True) -> bool:
        self.http = aiohttp.ClientSession()
        self.client = ZaloClient(self.config.token or "", self.config.base_url, self.http)
        try:
            me = await self.client.call("getMe")
        except ZaloError as exc:
            if exc.code == 401:
                log.error("channel zalo: the bot token was refused (401); channel not started")
            else:
                log.error("channel zalo: getMe failed (%s); channel not started", exc)
            await self.http.close()
            return False
        self.bot_name = str(me.get("account_name") or me.get("display_name") or me.get("id"))
        if not receive:
            log.info("channel zalo: %s, sending only", self.bot_name)
        elif self.config.mode == "webhook":
            await self._start_webhook()
        else:
            await self._safe_call("deleteWebhook")  # a webhook would starve the poller
            self.spawn(self._poll())
            log.info("channel zalo: %s, long polling", self.bot_name)
        return True

    async def _start_webhook(self) -> None:
        hook = self.config.webhook
        await self._safe_call("setWebhook", url=hook.url, secret_token=self.secret)
        self.runner = await serve_webhook(hook, self._on_webhook)
        log.info("channel zalo: %s, webhook on %s:%d%s", self.bot_name, hook.listen, hook.port,
                 hook.path)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Stored before the 200: Zalo re-sends what it was not told arrived."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            body: Any = await request.json()
        except ValueError:
            body = (await request.text())[:2000]
        item = self.received(body)
        return await self.store_or_503([item] if item else [])

    async def _poll(self) -> None:
        backoff = 1.0
        while not self.stopped.is_set():
            try:
                # Zalo's own long-poll timeout is a string of seconds.
                result = await self.client.call("getUpdates", wait=40, timeout="30")  # type: ignore[union-attr]
                backoff = 1.0
            except ZaloError as exc:
                if exc.code == 408:  # an idle long poll
                    continue
                if exc.code == 401:
                    log.error("channel zalo: the bot token was refused (401); channel stopped")
                    return
                log.warning("zalo getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            # Zalo's getUpdates has no offset to confirm: what it hands over is ours.
            item = self.received(result)
            if item is not None:
                await self.store_until_done([item])

    # -- updates in -------------------------------------------------------------

    def translate(self, update: dict[str, Any]) -> Incoming | None:
        message = update["message"]
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if sender.get("is_bot"):
            return None
        user_id, chat_id = str(sender.get("id", "")), str(chat.get("id") or sender.get("id", ""))
        if not user_id or not chat_id:
            return None
        group = str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE"
        party = f"g{chat_id}" if group else user_id
        name = None if group else sender.get("display_name")
        message_id = str(message.get("message_id")) if message.get("message_id") else None
        event = str(update.get("event_name", ""))
        text = message.get("text")
        if event == "message.text.received" and isinstance(text, str):
            if group and self.bot_name:
                text = re.sub(rf"@{re.escape(self.bot_name)}", "", text, flags=re.I).strip()
            return Incoming(CHANNEL, party, chat_id, text=text, display_name=name,
                            message_id=message_id)
        # images, stickers, voice, and "unsupported" (protected senders): no text to read
        return Incoming(CHANNEL, party, chat_id, unsupported=True, message_id=message_id)

    def received(self, body: Any) -> Received | None:
        """What the inbox stores for one update body: the neutral message; the body and
        the reason when it cannot be read; None when there is nobody to answer (a bot)."""
        update = unwrap(body)
        if update is None:
            return Received(CHANNEL, "", None, raw=body, problem="no message in the update")
        try:
            incoming = self.translate(update)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            return Received(CHANNEL, "", None, raw=body, problem=f"unreadable: {exc!r}")
        if incoming is None:
            return None
        return Received(CHANNEL, incoming.chat_id, incoming.message_id, incoming)

    # -- replies out ------------------------------------------------------------

    async def reply(self, chat_id: str, reply: Reply, answering: str | None = None) -> Outcome:
        """An answer to someone waiting (several messages when long), retried here."""
        return await self._send(chat_id, pieces(reply), REPLY_ATTEMPTS)

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """For the delivery engine: one attempt; the engine owns retries and pauses."""
        return await self._send(chat_id, pieces(without_menu(reply)), attempts=1)

    async def _send(self, chat_id: str, texts: list[str], attempts: int) -> Outcome:
        return await in_turn(lambda text: self._attempt(chat_id, text), texts, attempts,
                             FIRST_BACKOFF)

    async def _attempt(self, chat_id: str, text: str) -> Outcome:
        """One sendMessage, its error classified."""
        try:
            await self.client.call("sendMessage", chat_id=chat_id, text=text)  # type: ignore[union-attr]
        except ZaloError as exc:
            return classify(exc)
        return SENT

    async def _safe_call(self, method: str, **params: Any) -> None:
        try:
            await self.client.call(method, **params)  # type: ignore[union-attr]
        except ZaloError as exc:
            log.warning("zalo %s failed: %s", method, exc)

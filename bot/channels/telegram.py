"""Telegram channel on python-telegram-bot's Bot: Bot API updates in, neutral replies out.

Translation only: every decision is the core's. Updates are stored in the inbox
before Telegram is told they arrived: the poller asks for the next offset only
after a batch is committed, and the webhook answers 200 only after its row is.
The inbox worker runs the turns and answers through `reply`: HTML messages with
inline keyboards (callback data = the option's short payload, never user text),
a contact button when the core asks for a phone, and documents for attachments.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.channels.base import PlatformChannel, serve_webhook
from bot.channels.formatting import split_text, to_telegram_html
from bot.channels.telegram_http import AiohttpRequest
from bot.config import PlatformConfig
from bot.core.messages import Incoming, Option, Reply
from bot.delivery.outcome import SENT, Outcome, Result, in_turn, with_retries
from bot.inbox.store import Received

log = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = 4000  # under Telegram's 4,096, leaving room for markup
CALLBACK_LIMIT = 64
REPLY_ATTEMPTS = 4
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # Telegram must not fetch a sign-in link
FIRST_BACKOFF = 0.5  # seconds; doubled after each network error


def classify(exc: TelegramError) -> Outcome:
    """Telegram's answer to one send, read the same way for replies and deliveries."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        return Outcome(Result.PAUSE, retry_after=seconds)
    if isinstance(exc, Forbidden):
        return Outcome(Result.BLOCKED)
    if isinstance(exc, BadRequest):  # before NetworkError, which it subclasses
        return Outcome(Result.INVALID, error=exc.message)
    return Outcome(Result.RETRY, error=str(exc)[:200])  # NetworkError, TimedOut, 5xx


async def attempt(make: Callable[[], Awaitable[Any]]) -> Outcome:
    """One call to Telegram, its error classified."""
    try:
        await make()
    except TelegramError as exc:
        return classify(exc)
    return SENT


def inline_keyboard(options: list[Option]) -> InlineKeyboardMarkup | None:
    rows = []
    for option in options:
        if option.url:
            rows.append([InlineKeyboardButton(option.label[:64], url=option.url)])
        elif option.payload and len(option.payload.encode()) <= CALLBACK_LIMIT:
            rows.append([InlineKeyboardButton(option.label[:64], callback_data=option.payload)])
        else:
            log.warning("option payload longer than %d bytes dropped", CALLBACK_LIMIT)
    return InlineKeyboardMarkup(rows) if rows else None


def make_bot(config: PlatformConfig) -> Bot:
    """PTB's Bot for CONFIG: token, optional self-hosted (or fake) Bot API server."""
    base = (config.base_url or "https://api.telegram.org").rstrip("/")
    # getUpdates gets its own single connection so a long poll never holds up replies.
    return Bot(config.token or "", base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
               request=AiohttpRequest(pool_size=16),
               get_updates_request=AiohttpRequest(pool_size=1))


def _update_id(item: Any) -> int:
    try:
        return int(item["update_id"])
    except (KeyError, TypeError, ValueError):
        return -1


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_SECONDS = 30


class TelegramChannel(PlatformChannel):
    """The Channel protocol (bot/channels/base.py) on python-telegram-bot's Bot."""

    name = CHANNEL

    def __init__(self, app: App, config: PlatformConfig) -> None:
        super().__init__(app, config)
        self.bot: Bot | None = None
        self.username: str | None = None
        self.offset: int | None = None  # the next update to ask for: confirms those before
        self.runner: web.AppRunner | None = None

    # -- lifecycle --------------------------------------------------------------

    async def start(self, receive: bool = True) -> bool:
        """Poll or serve the webhook; False (logged once) if the token is refused.
        With RECEIVE false only the bot is started, for a worker that answers."""
        self.bot = make_bot(self.config)
        try:
            await self.bot.initialize()
        except InvalidToken:
            log.error("channel telegram: the bot token was refused (401); channel not started")
            return False
        self.username = self.bot.username
        if self.config.workers > 1:
            log.warning("telegram.workers is no longer used: start `laocai-bot worker` "
                        "processes next to `run` (PostgreSQL) to add workers")
        if not receive:
            log.info("channel telegram: @%s, sending only", self.username)
            return True
        await self._set_commands()
        if self.config.mode == "webhook":
            await self._start_webhook()
        else:
            await self._quietly(self.bot.delete_webhook())  # a webhook would starve getUpdates
            self.spawn(self._poll())
            log.info("channel telegram: @%s, long polling", self.username)
        return True

    async def _start_webhook(self) -> None:
        hook = self.config.webhook
        self.runner = await serve_webhook(hook, self._on_webhook)
        assert self.bot is not None
        await self.bot.set_webhook(url=hook.url or "", secret_token=self.secret,
                                   allowed_updates=Update.ALL_TYPES)
        log.info("channel telegram: @%s, webhook on %s:%d%s", self.username, hook.listen,
                 hook.port, hook.path)

    async def stop(self) -> None:
        await self.cancel_tasks()
        if self.runner:
            await self.runner.cleanup()
        if self.bot is None:
            return
        if self.offset is not None:  # confirm the last stored batch: no re-delivery
            await self._quietly(self.bot.get_updates(offset=self.offset, timeout=0))
        await self._quietly(self.bot.shutdown())

    async def _set_commands(self) -> None:
        bot = self.bot
        assert bot is not None
        for lang in ("vi", "en"):
            commands = [BotCommand(c, catalogue_text(lang, f"cmd_{c}"))
                        for c in self.app.conversation.menu_commands]
            outcome = await with_retries(lambda c=commands, lg=lang: attempt(
                lambda: bot.set_my_commands(c, language_code=None if lg == "vi" else lg)),
                REPLY_ATTEMPTS, FIRST_BACKOFF)
            if outcome is not SENT:
                log.warning("telegram command menu not set: %s", outcome.kind)

    # -- receiving ------------------------------------------------------------------

    async def _poll(self) -> None:
        """getUpdates; a batch is stored before the next call confirms it (its offset)."""
        assert self.bot is not None
        backoff = 1.0
        while not self.stopped.is_set():
            try:
                await self._take_batch()
                backoff = 1.0
            except InvalidToken:
                log.error("channel telegram: the bot token was refused (401); channel stopped")
                return
            except Exception as exc:  # the network, or the database for a block/unblock
                log.warning("telegram getUpdates failed (%s); retrying in %.0f s",
                            type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)

    async def _take_batch(self) -> None:
        """One getUpdates, stored; the offset moves only after that (so a failure here
        fetches the same batch again, and the inbox keeps it once)."""
        raw = await self._fetch()
        if raw:
            updates, unreadable = self._parse(raw)
            await self._member_changes(updates)
            await self.store_until_done([*self.received(updates), *unreadable])
            self.offset = max(_update_id(item) for item in raw) + 1
            self._acknowledge(updates)

    async def _fetch(self) -> list[Any]:
        """getUpdates as raw JSON: an update PTB cannot read (a field a newer Bot API made
        required) must not sink its whole batch, nor stop the poller."""
        assert self.bot is not None
        kwargs: dict[str, Any] = {"timeout": POLL_SECONDS, "allowed_updates": Update.ALL_TYPES}
        if self.offset is not None:
            kwargs["offset"] = self.offset
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # "use get_updates": not for raw
            result = await self.bot.do_api_request("get_updates", api_kwargs=kwargs,
                                                   read_timeout=POLL_SECONDS + 10)
        return result if isinstance(result, list) else []

    def _parse(self, raw: list[Any]) -> tuple[list[Update], list[Received]]:
        """Each update on its own: the readable ones, and the rest kept as failed rows."""
        updates, unreadable = [], []
        for item in raw:
            try:
                updates.append(Update.de_json(item, self.bot))
            except Exception as exc:
                unreadable.append(Received(CHANNEL, "", str(_update_id(item)), raw=item,
                                           problem=f"unreadable: {exc!r}"[:200]))
        return updates, unreadable

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Stored before the 200: Telegram re-sends what was not acknowledged."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception as exc:  # not JSON, or not an update
            raw = (await request.text())[:2000]
            return await self.store_or_503([Received(CHANNEL, "", None, raw=raw,
                                                     problem=f"unreadable: {exc!r}"[:200])])
        try:
            await self._member_changes([update])
        except Exception:
            return web.Response(status=503, text="try again")
        response = await self.store_or_503(self.received([update]))
        if response.status == 200:
            self._acknowledge([update])
        return response

    async def _member_changes(self, updates: Sequence[Update]) -> None:
        """A person blocking or unblocking the bot: recorded at once (no reply to send)."""
        for update in updates:
            member = update.my_chat_member
            if member is not None and member.chat.type == ChatType.PRIVATE:
                blocked = member.new_chat_member.status in (ChatMemberStatus.BANNED,
                                                            ChatMemberStatus.LEFT)
                await self.app.conversation.set_blocked(CHANNEL, str(member.from_user.id),
                                                        blocked)

    def received(self, updates: Sequence[Update]) -> list[Received]:
        """What the inbox stores for UPDATES: the neutral message of each that has one,
        the update itself and the reason for one that cannot be read."""
        items = []
        for update in updates:
            platform_id = str(update.update_id)
            try:
                incoming = self.translate(update)
            except Exception as exc:
                items.append(Received(CHANNEL, "", platform_id, raw=update.to_dict(),
                                      problem=f"unreadable: {exc!r}"[:200]))
                continue
            if incoming is not None:
                items.append(Received(CHANNEL, incoming.chat_id, platform_id, incoming))
        return items

    def _acknowledge(self, updates: Sequence[Update]) -> None:
        """Button presses: stop the spinner and take the buttons off the old message."""
        for update in updates:
            query = update.callback_query
            if query is None:
                continue
            self.spawn(self._quietly(query.answer()))  # always answered, even when stale
            if query.message is not None and isinstance(query.message, Message):
                self.spawn(self._quietly(query.message.edit_reply_markup(None)))

    # -- updates in -------------------------------------------------------------

    def translate(self, update: Update) -> Incoming | None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return None
        lang = "en" if (user.language_code or "").startswith("en") else None
        group = chat.type != ChatType.PRIVATE
        # In a group the group itself is the party: its commune and news choice are kept
        # under the chat id, so a group can subscribe to its commune's news.
        party = f"g{chat.id}" if group else str(user.id)
        name = None if group else user.full_name
        if update.callback_query:
            query = update.callback_query
            return Incoming(CHANNEL, party, str(chat.id), payload=query.data or "",
                            language_hint=lang, display_name=name)
        message = update.message or update.edited_message
        if message is None:
            return None
        text = message.text
        if group:
            text = self._addressed(text or "")
            if text is None:
                return None
        if text:
            return Incoming(CHANNEL, party, str(chat.id), text=text, language_hint=lang,
                            display_name=name, reply_to=self._replied(message))
        if message.contact and message.contact.user_id == user.id:
            return Incoming(CHANNEL, party, str(chat.id), phone=message.contact.phone_number,
                            language_hint=lang, display_name=name)
        return Incoming(CHANNEL, party, str(chat.id), unsupported=True, language_hint=lang)

    def _replied(self, message: Message) -> str | None:
        """The text of the bot's own message this one answers (a swipe-reply), if any."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not self.username:
            return None
        return replied.text if replied.from_user.username == self.username else None

    def _addressed(self, text: str) -> str | None:
        """In groups the bot answers only commands and messages that mention it."""
        mention = f"@{self.username}" if self.username else None
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if "@" in command and mention and not command.endswith(mention):
                return None  # a command for another bot
            return f"{command.split('@')[0]} {rest}".strip()
        if mention and mention.lower() in text.lower():
            return re.sub(re.escape(mention), "", text, flags=re.I).strip() or "/menu"
        return None

    # -- replies out ------------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """For the delivery engine: one attempt; the engine owns retries and pauses."""
        return await self._send(chat_id, reply, attempts=1)

    async def reply(self, chat_id: str, reply: Reply, answering: str | None = None) -> Outcome:
        """A reply to someone waiting: retried here, within REPLY_ATTEMPTS."""
        return await self._send(chat_id, reply, attempts=REPLY_ATTEMPTS)

    async def _send(self, chat_id: str, reply: Reply, attempts: int) -> Outcome:
        """Text in chunks (the options under the last), then any document."""
        bot = self.bot
        assert bot is not None
        markup = self._markup(reply)
        chunks = split_text(reply.text, TEXT_LIMIT)
        last = len(chunks) - 1
        calls: list[Callable[[], Awaitable[Any]]] = [
            partial(bot.send_message, chat_id, to_telegram_html(chunk),
                    parse_mode=ParseMode.HTML, reply_markup=markup if index == last else None,
                    link_preview_options=NO_PREVIEW if reply.secret_link else None)
            for index, chunk in enumerate(chunks)]
        if reply.attachment:
            document = InputFile(reply.attachment.content, filename=reply.attachment.filename)
            calls.append(partial(bot.send_document, chat_id, document))
        return await in_turn(attempt, calls, attempts, FIRST_BACKOFF)

    @staticmethod
    def _markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
        if reply.request_phone:
            label = next((o.label for o in reply.options), "📱")
            return ReplyKeyboardMarkup([[KeyboardButton(label, request_contact=True)]],
                                       one_time_keyboard=True, resize_keyboard=True)
        return inline_keyboard(reply.options)

    async def _quietly(self, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except Exception as exc:  # a stale query or an old message: nothing to do
            log.debug("telegram call ignored: %r", exc)


async def bot_username(config: PlatformConfig) -> str:
    """The bot's @username from getMe, for deep links on posters."""
    bot = make_bot(config)
    async with bot:
        me = await bot.get_me()
    return me.username

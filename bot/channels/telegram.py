"""Telegram channel on python-telegram-bot: Bot API updates in, neutral replies out.

Translation only: every decision is the core's. One catch-all handler turns an
update into an `Incoming`; replies become HTML messages with inline keyboards
(callback data = the option's short payload, never user text), a contact
button when the core asks for a phone, and documents for attachments.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.channels.base import PlatformChannel, settle
from bot.channels.formatting import split_text, to_telegram_html
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_workers import UpdateFanout, read_updates
from bot.config import PlatformConfig
from bot.core.messages import Incoming, Option, Reply
from bot.delivery.outcome import SENT, Outcome, Result, with_retries

log = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = 4000  # under Telegram's 4,096, leaving room for markup
CALLBACK_LIMIT = 64
REPLY_ATTEMPTS = 4
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


def application_builder(config: PlatformConfig) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """PTB's builder for CONFIG: token, optional self-hosted (or fake) Bot API server."""
    builder = ApplicationBuilder().token(config.token or "").concurrent_updates(256)
    if config.base_url:
        base = config.base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    # getUpdates gets its own single connection so a long poll never holds up replies.
    return builder.request(AiohttpRequest(pool_size=16)).get_updates_request(
        AiohttpRequest(pool_size=1))


class TelegramChannel(PlatformChannel):
    """The Channel protocol (bot/channels/base.py) on python-telegram-bot."""

    name = CHANNEL

    def __init__(self, app: App, config: PlatformConfig) -> None:
        super().__init__(app, config)
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.username: str | None = None
        self.fanout: UpdateFanout | None = None

    # -- lifecycle --------------------------------------------------------------

    def build(self) -> Application[Any, Any, Any, Any, Any, Any]:
        application = application_builder(self.config).build()
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        return application

    async def start(self, receive: bool = True, forwarded: bool = False) -> bool:
        """Start polling or the webhook; False (logged once) if the token is refused.

        With RECEIVE false only the bot is started, for a worker that just delivers;
        with FORWARDED it also handles updates handed over by `serve_forwarded`.
        """
        self.application = self.build()
        try:
            await self.application.initialize()
        except InvalidToken:
            log.error("channel telegram: the bot token was refused (401); channel not started")
            return False
        self.username = self.application.bot.username
        if forwarded:
            await self.application.start()
            return True
        if not receive:
            log.info("channel telegram: @%s, sending only", self.username)
            return True
        await self._start_workers()
        await self._set_commands()
        await self.application.start()
        updater = self.application.updater
        assert updater is not None
        if self.config.mode == "webhook":
            hook = self.config.webhook
            await updater.start_webhook(
                listen=hook.listen,
                port=hook.port,
                url_path=hook.path.lstrip("/"),
                webhook_url=hook.url,
                secret_token=self.secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("channel telegram: @%s, webhook on %s:%d%s", self.username, hook.listen,
                     hook.port, hook.path)
        else:
            await updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=30)
            log.info("channel telegram: @%s, long polling", self.username)
        return True

    async def _start_workers(self) -> None:
        if self.config.workers <= 1:
            return
        if self.app.engine.dialect.name == "sqlite":
            log.warning("telegram.workers: %d ignored on SQLite, which has one writer; "
                        "use PostgreSQL for more than one process", self.config.workers)
            return
        self.fanout = UpdateFanout(self.config.workers, self.app.services.config.source)
        await self.fanout.start()

    async def serve_forwarded(self) -> None:
        """In a worker process: handle the updates the receiving process writes to stdin."""
        application = self.application
        assert application is not None
        log.info("telegram worker: @%s, handling forwarded updates", self.username)
        await read_updates(application.update_queue.put,
                           lambda data: Update.de_json(data, application.bot))

    async def stop(self) -> None:
        if self.application is None:
            return
        if not self.application.running:
            await self.application.shutdown()
            return
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()  # pending updates: handled here or handed over
        if self.fanout is not None:
            await self.fanout.stop()  # then the workers finish theirs
        await self.application.shutdown()

    async def _set_commands(self) -> None:
        bot = self.application.bot  # type: ignore[union-attr]
        for lang in ("vi", "en"):
            commands = [BotCommand(c, catalogue_text(lang, f"cmd_{c}"))
                        for c in self.app.conversation.menu_commands]
            outcome = await with_retries(lambda c=commands, lg=lang: attempt(
                lambda: bot.set_my_commands(c, language_code=None if lg == "vi" else lg)),
                REPLY_ATTEMPTS, FIRST_BACKOFF)
            if outcome is not SENT:
                log.warning("telegram command menu not set: %s", outcome.kind)

    # -- updates in -------------------------------------------------------------

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.fanout is not None:
            chat = update.effective_chat
            share = self.fanout.share(chat.id) if chat is not None else 0
            if share:
                await self.fanout.forward(share, update.to_dict())
                return
        if update.my_chat_member:
            member = update.my_chat_member
            if member.chat.type == ChatType.PRIVATE:
                blocked = member.new_chat_member.status in (ChatMemberStatus.BANNED,
                                                            ChatMemberStatus.LEFT)
                await self.app.conversation.set_blocked(CHANNEL, str(member.from_user.id),
                                                        blocked)
            return
        incoming = await self.translate(update)
        if incoming is None:
            return
        async with self.chat_lock(incoming.chat_id):  # one chat's updates are handled in order
            replies = await self.app.conversation.handle(incoming)
            for reply in replies:
                outcome = await self.reply(incoming.chat_id, reply)
                if outcome is not SENT:
                    await settle(self.app, incoming, outcome)
                    break

    async def translate(self, update: Update) -> Incoming | None:
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
            await self._quietly(query.answer())  # always answered, even when stale
            if query.message is not None and isinstance(query.message, Message):
                await self._quietly(query.message.edit_reply_markup(None))
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
                            display_name=name)
        if message.contact and message.contact.user_id == user.id:
            return Incoming(CHANNEL, party, str(chat.id), phone=message.contact.phone_number,
                            language_hint=lang, display_name=name)
        return Incoming(CHANNEL, party, str(chat.id), unsupported=True, language_hint=lang)

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

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = getattr(update, "update_id", None)
        log.error("telegram update %s failed: %r", update_id, context.error)
        chat = getattr(update, "effective_chat", None)
        if chat is not None:
            await self._quietly(context.bot.send_message(
                chat.id, catalogue_text("vi", "internal_error")))

    # -- replies out ------------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """For the delivery engine: one attempt; the engine owns retries and pauses."""
        return await self._send(chat_id, reply, attempts=1)

    async def reply(self, chat_id: str, reply: Reply) -> Outcome:
        """A reply to someone waiting: retried here, within REPLY_ATTEMPTS."""
        return await self._send(chat_id, reply, attempts=REPLY_ATTEMPTS)

    async def _send(self, chat_id: str, reply: Reply, attempts: int) -> Outcome:
        """Text in chunks (the options under the last), then any document."""
        bot = self.application.bot  # type: ignore[union-attr]
        markup = self._markup(reply)
        chunks = split_text(reply.text, TEXT_LIMIT)
        last = len(chunks) - 1
        calls: list[Callable[[], Awaitable[Any]]] = [
            partial(bot.send_message, chat_id, to_telegram_html(chunk),
                    parse_mode=ParseMode.HTML, reply_markup=markup if index == last else None)
            for index, chunk in enumerate(chunks)]
        if reply.attachment:
            document = InputFile(reply.attachment.content, filename=reply.attachment.filename)
            calls.append(partial(bot.send_document, chat_id, document))
        for call in calls:
            outcome = await with_retries(lambda c=call: attempt(c), attempts, FIRST_BACKOFF)
            if outcome is not SENT:
                return outcome
        return SENT

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
    bot = application_builder(config).build().bot
    async with bot:
        me = await bot.get_me()
    return me.username

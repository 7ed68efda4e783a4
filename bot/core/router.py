"""The conversation core: one entry point, `Conversation.handle(Incoming) -> [Reply]`.

Order of dispatch: a typed number or label is first mapped to an option of the
last reply; then option payloads; then commands (so /cancel always works); then
the active dialog step; then free text goes to the FAQ. The user, dialog state
and anything a handler writes are committed in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core import payloads
from bot.core.flood import FloodGuard, Verdict
from bot.core.flow import UNHANDLED, FlowHandler
from bot.core.messages import Incoming, Option, Reply
from bot.core.options import remembered, resolve_typed
from bot.core.payloads import DIALOG_PREFIX
from bot.core.services import Services
from bot.core.turn import Turn
from bot.inbox.store import first_time
from bot.staff.scope import actor_for
from bot.storage.models import User
from bot.storage.turn_rows import TurnRows
from bot.time import stored_now
from knowledge.normalise import clean_text

log = logging.getLogger(__name__)

Handler = Callable[[Turn], Awaitable[list[Reply]]]
# Runs inside a turn's transaction with (session, the user's id or None if forgotten,
# the replies): the inbox worker marks its update done and records the replies there.
Finish = Callable[[AsyncSession, int | None, list[Reply]], Awaitable[None]]
# (turn, payload kind, the rest of the payload): for kinds a feature owns, e.g. "s" or "v"
PayloadHandler = Callable[[Turn, str, str], Awaitable[list[Reply]]]
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.S)
_HAS_CONTENT = re.compile(r"\w")
LAST_SEEN_PRECISION = timedelta(minutes=1)
# Built once: constructing the query on every message cost more CPU than running it.
_USER_BY_CHANNEL_ID = select(User).where(User.channel == bindparam("channel"),
                                         User.channel_user_id == bindparam("user_id"))


def _offered(payload: str, stored: list[list[str]]) -> bool:
    """Was PAYLOAD one of the step's options? Checked here once, for every flow, so a
    forged value ("x99", "x-1", another session's id) never reaches a handler."""
    dialog = [p for _, p in stored if p.startswith(DIALOG_PREFIX)]
    return not dialog or payload in dialog


class Conversation:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.commands: dict[str, Handler] = {}
        self.flows: dict[str, FlowHandler] = {}
        self.actions: dict[str, Handler] = {}
        self.menu_commands: list[str] = []  # the public ones, in menu order, by first name
        self.payload_kinds: dict[str, PayloadHandler] = {}
        self.topic_handler: Callable[[Turn, str], Awaitable[list[Reply]]] | None = None
        self.free_text: Handler | None = None
        # A reply to one of the bot's own messages (Telegram's swipe-reply) goes here
        # first; UNHANDLED lets it take the usual way.
        self.on_reply: FlowHandler | None = None
        self.menu: Callable[[Turn], list[Option]] = lambda turn: []
        self.flood = FloodGuard(services.config.flood)
        # Bounded turns in flight: more only queue on the database (SQLite has one
        # writer) and cost CPU; channels keep sending replies concurrently outside it.
        self.slots = asyncio.Semaphore(services.config.max_concurrent_turns)

    # -- wiring ---------------------------------------------------------------

    def command(self, *names: str, menu: bool = False) -> Callable[[Handler], Handler]:
        """Register a command under its names; MENU puts the first in the public menus
        (Telegram's command list, the unknown-command help), described by cmd_<name>."""
        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = handler
            if menu:
                self.menu_commands.append(names[0])
            return handler

        return register

    def flow(self, name: str, handler: FlowHandler) -> None:
        """The dialog NAME: every message while a user is in it goes to HANDLER."""
        self.flows[name] = handler

    def action(self, name: payloads.Action, handler: Handler) -> None:
        self.actions[name] = handler

    def payload_kind(self, kind: str, handler: PayloadHandler) -> None:
        """Option payloads `<kind>:…` go to HANDLER, only when they are among the options
        this person was last offered (so nobody acts on another person's behalf)."""
        self.payload_kinds[kind] = handler

    # -- entry point ------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """A message answered at once (web, terminal, a channel without the inbox): any
        failure becomes a polite reply."""
        lang = incoming.language_hint if incoming.language_hint in ("vi", "en") else "vi"
        flooded = self.flooded(incoming)
        if flooded is not None:
            return flooded
        try:
            return await self.turn(incoming)
        except SQLAlchemyError as exc:
            log.error("storage error for %s: %s", actor_for(incoming.channel, incoming.user_id),
                      type(exc).__name__)
            return [Reply(catalogue_text(lang, "storage_error"))]
        except Exception:
            log.exception("handler failed for %s", actor_for(incoming.channel, incoming.user_id))
            return [Reply(catalogue_text(lang, "internal_error"))]

    def flooded(self, incoming: Incoming) -> list[Reply] | None:
        """None for a normal message; else what a flooding sender gets (one warning, then
        nothing until the mute ends)."""
        verdict = self.flood.check((incoming.channel, incoming.user_id), time.monotonic())
        if verdict is Verdict.MUTED:
            return []
        if verdict is Verdict.WARN:
            lang = incoming.language_hint if incoming.language_hint in ("vi", "en") else "vi"
            seconds = int(self.services.config.flood.mute_seconds)
            return [Reply(catalogue_text(lang, "flood", seconds=seconds))]
        return None

    async def turn(self, incoming: Incoming, finish: Finish | None = None) -> list[Reply]:
        """One turn in one transaction; FINISH (the inbox worker's) runs inside it. Retried
        once when two first messages raced or the database dropped our connection;
        anything else is raised."""
        for attempt in (1, 2):
            try:
                async with self.slots:
                    return await self._handle_once(incoming, finish)
            except IntegrityError:
                if attempt == 2:  # two first messages raced to create the user
                    raise
            except DBAPIError as exc:
                # The database dropped the connection (a restart, a failover). SQLAlchemy
                # has now discarded the pool's old connections: the retry gets a fresh
                # one. Cheaper than pinging before every message (pool_pre_ping).
                if not exc.connection_invalidated or attempt == 2:
                    raise
                log.warning("database connection lost; retrying the message once")
        return []  # pragma: no cover

    async def _handle_once(self, incoming: Incoming, finish: Finish | None) -> list[Reply]:
        async with self.services.sessions() as session, session.begin():
            if finish is None and incoming.message_id is not None and not await first_time(
                    session, incoming, stored_now(self.services.clock)):
                return []  # answered already (the sender retried after a lost answer)
            rows = await self._load(session, incoming)
            user, state = rows.user, rows.dialog
            turn = Turn(incoming, session, user, state, self.services)
            replies = await self._dispatch(turn)
            if not turn.forgotten:
                with_options = [r for r in replies if any(o.payload for o in r.options)]
                state.options = remembered(with_options[-1].options) if with_options else []
                state.nonce = turn.nonce if turn.emitted_dialog_options else ""
                now = stored_now(self.services.clock)
                if now - user.last_seen_at >= LAST_SEEN_PRECISION:
                    user.last_seen_at = now
                # Writes only what changed: most messages touch no dialog state.
                await rows.save(await session.connection(), now)
            for reply in replies:
                reply.lang = turn.lang
            if finish is not None:
                await finish(session, None if turn.forgotten else user.id, replies)
        if not turn.forgotten:  # the user's id exists now, also for a first message
            for question in turn.questions:
                self.services.question_log.add(replace(question, user_id=user.id))
        return replies

    async def _load(self, session: AsyncSession, incoming: Incoming) -> TurnRows:
        """The user and their dialog state in one query; the user created for a first message."""
        conn = await session.connection()
        rows = await TurnRows.load(conn, incoming.channel, incoming.user_id)
        if rows is None:
            now = stored_now(self.services.clock)
            return await TurnRows.create(
                conn,
                channel=incoming.channel,
                channel_user_id=incoming.user_id,
                chat_id=incoming.chat_id,
                display_name=(incoming.display_name or None) and incoming.display_name[:200],
                language="en" if incoming.language_hint == "en" else "vi",
                news_opt_in=False,
                blocked=False,
                created_at=now,
                last_seen_at=now,
            )
        if incoming.chat_id and rows.user.chat_id != incoming.chat_id:
            rows.user.chat_id = incoming.chat_id
        rows.user.blocked = False  # they wrote to us, so they have not blocked the bot
        return rows

    # -- dispatch ---------------------------------------------------------------

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        if incoming.unsupported and not incoming.text and not incoming.phone:
            return [turn.say("unsupported")]
        text = clean_text(incoming.text or "")
        limit = self.services.config.max_message_chars
        truncated = len(text) > limit
        # The question is usually first or last, around the story: keep both ends.
        turn.text = f"{text[:limit // 2]} … {text[-(limit // 2):]}" if truncated else text
        payload = incoming.payload
        if payload is None and turn.text and turn.state.options:
            typed = resolve_typed(turn.text, turn.state.options)
            if typed.stale_number is not None:
                count = len(turn.state.options)
                return [turn.say("stale_number", options=turn.reoffer(),
                                 number=typed.stale_number, count=count)]
            payload = typed.payload
        if payload:
            return await self._on_payload(turn, payload)
        empty = not incoming.phone and not _HAS_CONTENT.search(turn.text)
        if empty and not (turn.in_dialog and turn.state.flow in self.flows):
            return [turn.say("empty", options=self.menu(turn))]
        command = _COMMAND.match(turn.text)
        if command:
            return await self._on_command(turn, command.group(1).lower(), command.group(2) or "")
        if incoming.reply_to and self.on_reply is not None:
            result = await self.on_reply(turn)
            if result is not UNHANDLED:
                return result
        if turn.in_dialog and turn.state.flow in self.flows:
            # An empty message mid-form goes to the form, which re-asks its own question.
            result = await self.flows[turn.state.flow](turn)
            if result is not UNHANDLED:
                return result
            turn.finish()  # the flow let go of the text: the FAQ answers it
            if empty:
                return [turn.say("empty", options=self.menu(turn))]
        elif turn.in_dialog:  # a flow that no longer exists (after an upgrade)
            turn.finish()
        assert self.free_text is not None
        replies = await self.free_text(turn)
        if truncated:
            replies.insert(0, turn.say("faq_truncated"))
        return replies

    async def _on_payload(self, turn: Turn, payload: str) -> list[Reply]:
        if payload.startswith(DIALOG_PREFIX):
            nonce, value = payloads.split_dialog(payload)
            if (
                turn.in_dialog
                and nonce
                and nonce == turn.state.nonce
                and turn.state.flow in self.flows
            ):
                if not _offered(payload, turn.state.options):
                    return [turn.say("choice_not_offered", options=turn.reoffer())]
                turn.choice = value
                result = await self.flows[turn.state.flow](turn)
                if result is not UNHANDLED:
                    return result
                turn.finish()
            return self.stale(turn)
        kind, name = payloads.split(payload)
        if kind == payloads.MENU_KIND and name in self.actions:
            turn.finish()
            return await self.actions[name](turn)
        if kind == payloads.TOPIC_KIND and self.topic_handler and name in self.services.kb.topics:
            turn.finish()
            return await self.topic_handler(turn, name)
        if kind in self.payload_kinds and any(p == payload for _, p in turn.state.options):
            return await self.payload_kinds[kind](turn, kind, name)
        return self.stale(turn)

    async def _on_command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        handler = self.commands.get(name)
        if handler is None:
            listed = ", ".join(f"/{c}" for c in self.menu_commands)
            return [turn.say("unknown_command", options=self.menu(turn),
                             command=f"/{name}", commands=listed)]
        turn.text = args.strip()
        return await handler(turn)

    async def waiting(self, channel: str, user_id: str) -> list[Reply]:
        """Queued messages for a user of a channel that cannot push (web, terminal)."""
        from bot.delivery.outbox import take_waiting

        async with self.services.sessions() as session, session.begin():
            user = await session.scalar(_USER_BY_CHANNEL_ID,
                                        {"channel": channel, "user_id": user_id})
            if user is None:
                return []
            return await take_waiting(session, user.id, stored_now(self.services.clock))

    async def set_blocked(self, channel: str, user_id: str, blocked: bool,
                          unless_seen_after: datetime | None = None) -> None:
        """A platform says the user blocked (or unblocked) the bot: never message them.
        UNLESS_SEEN_AFTER (aware): not if they wrote after that moment (a late repeat)."""
        async with self.services.sessions() as session, session.begin():
            user = await session.scalar(_USER_BY_CHANNEL_ID,
                                        {"channel": channel, "user_id": user_id})
            if user is None:
                return
            if unless_seen_after is not None and user.last_seen_at is not None and \
                    user.last_seen_at > unless_seen_after.astimezone(UTC).replace(tzinfo=None):
                return
            user.blocked = blocked

    def stale(self, turn: Turn) -> list[Reply]:
        return [turn.say("stale_option", options=self.menu(turn))]

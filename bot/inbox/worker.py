"""The inbox worker: claims stored updates, runs their turns, sends the replies at once.

A turn's transaction writes the dialog state, whatever the step stored, the
replies as outbox rows (leased to this worker) and marks the update done; then
the replies are sent straight away, so a stored update costs a few writes, not
latency. If the process dies in between, the delivery engine sends the replies
when their lease ends, and the chat's next update waits for them (bot/inbox/store.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core.messages import Incoming, Reply
from bot.core.router import Conversation
from bot.delivery.engine import DeliveryEngine, Results
from bot.delivery.outbox import record_replies
from bot.delivery.outcome import Outcome, Result
from bot.inbox import store
from bot.time import stored_now

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.base import Channel

log = logging.getLogger(__name__)

# (chat, reply, the platform's id of the message answered) → what the send came to
Replier = Callable[[str, Reply, str | None], Awaitable[Outcome]]
MAX_ATTEMPTS = 3  # a turn that fails this often is parked and the person told
HEARTBEAT_SECONDS = 10.0


class LeaseLost(Exception):
    """Another worker has this update now (ours ran past its lease): roll the turn back."""


@dataclass
class Answered:
    """What one update's turn left to send: its replies, their outbox rows, the user."""

    replies: list[Reply]
    row_ids: list[int] = field(default_factory=list)
    user_id: int | None = None


class InboxWorker:
    def __init__(self, conversation: Conversation, delivery: DeliveryEngine,
                 arrived: asyncio.Event, worker_id: str | None = None,
                 lease_seconds: float = 60.0, batch: int = 256, idle: float = 0.5) -> None:
        self.conversation = conversation
        self.services = conversation.services
        self.delivery = delivery
        self.arrived = arrived  # set by this process's receivers: no polling delay
        self.worker_id = worker_id or f"i-{secrets.token_hex(4)}"
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.idle = idle
        self.repliers: dict[str, Replier] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._ended_since_claim = 0
        self._freed = asyncio.Event()  # enough turns ended to be worth a claim
        self.results = Results()  # outcomes not yet recorded: written with the next claim
        self._started = stored_now(self.services.clock)
        self._last_beat = -HEARTBEAT_SECONDS

    def register(self, channel: str, replier: Replier) -> None:
        self.repliers[channel] = replier

    # -- rounds -----------------------------------------------------------------

    async def _claim(self, limit: int) -> list[store.Claimed]:
        """Record the outcomes gathered so far, then claim up to LIMIT updates (one per
        free chat), in one transaction: a chat whose replies just left is free again."""
        results, self.results = self.results, Results()
        self._ended_since_claim = 0
        self._freed.clear()
        if results.empty and (limit <= 0 or not self.repliers):
            return []
        now = stored_now(self.services.clock)
        async with self.services.sessions() as session, session.begin():
            if not results.empty:
                await self.delivery.write_in(session, results)
            if time.monotonic() - self._last_beat >= HEARTBEAT_SECONDS:
                await store.beat(session, self.worker_id, socket.gethostname(), os.getpid(),
                                 self._started, now)
                self._last_beat = time.monotonic()
            if limit <= 0 or not self.repliers:
                return []
            return await store.claim(session, self.worker_id, list(self.repliers), now,
                                     self.lease, limit)

    async def round(self) -> int:
        """One batch, run to the end and recorded (tests step through the worker this way)."""
        claimed = await self._claim(self.batch)
        await asyncio.gather(*(self._one(item) for item in claimed))
        await self._claim(0)
        return len(claimed)

    async def _one(self, item: store.Claimed) -> None:
        """Run the turn, send its replies, and leave their outcomes for the next claim."""
        try:
            answered = await self._turn(item)
        except LeaseLost:
            return
        except Exception as exc:  # a poison update, or the database failing mid-turn
            answered = await self._failed(item, exc)
            if answered is None:
                return
        results = Results()
        await self._send(item.incoming, answered, results)
        self.results.merge(results)  # no await in between: never lost to a swap

    async def _turn(self, item: store.Claimed) -> Answered:
        answered = Answered([])
        incoming = item.incoming

        async def finish(session: AsyncSession, user_id: int | None,
                         replies: list[Reply]) -> None:
            now = stored_now(self.services.clock)
            if not await store.finish(session, item.id, self.worker_id, now):
                raise LeaseLost
            answered.replies, answered.user_id = replies, user_id
            if user_id is not None:
                answered.row_ids = await record_replies(
                    session, user_id, incoming.channel, incoming.chat_id, item.id, replies,
                    now, now + self.lease, self.worker_id)

        flooded = self.conversation.flooded(incoming)
        if flooded is None:
            await self.conversation.turn(incoming, finish)
        else:  # marked done; the one warning is not worth an outbox row
            async with self.services.sessions() as session, session.begin():
                await finish(session, None, flooded)
        return answered

    async def _failed(self, item: store.Claimed, exc: Exception) -> Answered | None:
        """Counted and released; parked after MAX_ATTEMPTS, with a polite word to the person."""
        park = item.attempts + 1 >= MAX_ATTEMPTS
        log.error("inbox update %d failed (attempt %d%s): %s", item.id, item.attempts + 1,
                  ", parked" if park else "", type(exc).__name__,
                  exc_info=not isinstance(exc, OSError))
        with contextlib.suppress(Exception):  # the database may be what failed
            async with self.services.sessions() as session, session.begin():
                await store.failed_attempt(session, item.id, item.attempts + 1,
                                           type(exc).__name__, park,
                                           stored_now(self.services.clock))
        if not park:
            return None
        lang = item.incoming.language_hint if item.incoming.language_hint == "en" else "vi"
        return Answered([Reply(catalogue_text(lang, "internal_error"))])

    async def _send(self, incoming: Incoming, answered: Answered, results: Results) -> None:
        """The replies in order, through the channel's reply path; outcomes in RESULTS."""
        replier = self.repliers[incoming.channel]
        rows: list[int | None] = [*answered.row_ids]
        rows += [None] * (len(answered.replies) - len(rows))
        for index, (reply, row) in enumerate(zip(answered.replies, rows, strict=True)):
            outcome = await replier(incoming.chat_id, reply, incoming.message_id)
            if not _record(outcome, row, answered.user_id, results):
                rest = [r for r in rows[index + 1:] if r is not None]
                if outcome.kind == Result.BLOCKED and answered.user_id is not None:
                    results.blocked += [(r, answered.user_id) for r in rest]
                else:
                    results.released += rest  # the delivery engine tries again later
                break

    # -- the loop -----------------------------------------------------------------

    async def run(self) -> None:
        """Keep up to BATCH turns in flight; claim more as they finish or updates arrive."""
        while not self._stopping:
            try:
                claimed = await self._claim(self.batch - len(self._in_flight))
            except Exception:
                log.exception("inbox claim failed; retrying")
                claimed = []
            for item in claimed:
                task = asyncio.create_task(self._one(item))
                self._in_flight.add(task)
                task.add_done_callback(self._ended)
            if not self._stopping:
                await self._wait()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        with contextlib.suppress(Exception):  # the last outcomes; else the leases return them
            await self._claim(0)
            async with self.services.sessions() as session, session.begin():
                await store.forget_worker(session, self.worker_id)

    async def _wait(self) -> None:
        """Until an update arrives here, half the batch has ended, nothing is in flight, or
        IDLE passes (updates stored by other receivers). Not after every single turn: each
        claim scans the pending updates, and claiming that often cost more than the turns."""
        self.arrived.clear()
        waits = [asyncio.ensure_future(self.arrived.wait()),
                 asyncio.ensure_future(self._freed.wait())]
        await asyncio.wait(waits, timeout=self.idle, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._ended_since_claim += 1
        if not self._in_flight or self._ended_since_claim >= self.batch // 2:
            self._freed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Finish the turns in hand and send their replies, then stop."""
        self._stopping = True
        self.arrived.set()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)


def _record(outcome: Outcome, row: int | None, user_id: int | None, results: Results) -> bool:
    """Put one reply's outcome in RESULTS; False when the rest should not be tried now."""
    if outcome.kind == Result.SENT:
        if row is not None:
            results.sent.append(row)
        return True
    if row is None:
        return outcome.kind == Result.INVALID
    if outcome.kind == Result.BLOCKED and user_id is not None:
        results.blocked.append((row, user_id))
        return False
    if outcome.kind == Result.INVALID:
        results.invalid.append((row, outcome.error[:300]))
        return True
    if outcome.kind == Result.UNREACHABLE:
        results.unreachable.append((row, outcome.error[:300]))
        return False
    results.released.append(row)
    return False


@dataclass
class Workers:
    """One process's workers: the inbox worker, and the delivery engine that records its
    replies and sends whatever the bot sends on its own."""

    inbox: InboxWorker
    delivery: DeliveryEngine

    def start(self) -> None:
        self.inbox.start()
        self.delivery.start()

    async def stop(self) -> None:
        await self.inbox.stop()  # the turns in hand finish and their replies leave
        await self.delivery.stop()


def workers_for(app: App, channels: Sequence[Channel]) -> Workers:
    """Workers that answer and deliver through CHANNELS."""
    config = app.config
    delivery = DeliveryEngine(app.services.sessions, app.services.clock, config.delivery_rates,
                              per_chat_rates={"telegram": 1.0},
                              lease_seconds=config.delivery_lease_seconds)
    inbox = InboxWorker(app.conversation, delivery, app.arrived,
                        lease_seconds=config.delivery_lease_seconds)
    for channel in channels:
        delivery.register(channel.name, channel.deliver)
        inbox.register(channel.name, channel.reply)
    return Workers(inbox, delivery)

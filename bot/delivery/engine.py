"""The delivery engine: sends outbox rows through the channels, within the platforms' limits.

Each round a worker claims a batch of due rows with a lease (PostgreSQL: `FOR
UPDATE SKIP LOCKED`, so several workers share the work; SQLite: one worker),
commits the claim, sends the batch concurrently under a token bucket per
channel and per chat, and writes every outcome back in bulk. A worker killed
mid-batch leaves its rows leased; they are claimed again when the lease runs
out, so nobody is missed, and only the rows in flight at the crash can be sent
twice.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Reply
from bot.delivery.outbox import from_payload
from bot.delivery.outcome import Outcome, Result
from bot.delivery.rate_limit import TokenBucket
from bot.storage.models import OutboxMessage, OutboxStatus, User
from bot.time import Clock, stored_now

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
UNSAID_PAUSE = 5.0  # seconds a channel pauses when its platform asks without saying how long


Sender = Callable[[str, Reply], Awaitable[Outcome]]


@dataclass
class Claimed:
    id: int
    channel: str
    chat_id: str
    user_id: int
    attempts: int
    payload: dict


@dataclass
class Results:
    sent: list[int] = field(default_factory=list)
    blocked: list[tuple[int, int]] = field(default_factory=list)  # (row, user)
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (row, error)
    unreachable: list[tuple[int, str]] = field(default_factory=list)  # (row, error)
    retry: list[tuple[int, int, str]] = field(default_factory=list)  # (row, attempts, error)
    released: list[int] = field(default_factory=list)  # paused channel: back to the queue

    def merge(self, other: Results) -> None:
        self.sent += other.sent
        self.blocked += other.blocked
        self.invalid += other.invalid
        self.unreachable += other.unreachable
        self.retry += other.retry
        self.released += other.released

    @property
    def empty(self) -> bool:
        return not (self.sent or self.blocked or self.invalid or self.unreachable
                    or self.retry or self.released)


class PerChatLimiter:
    """Telegram allows about one message a second per chat: a small bucket per chat."""

    def __init__(self, rate: float, size: int = 10000) -> None:
        self.rate = rate
        self.size = size
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    async def acquire(self, chat_id: str) -> None:
        bucket = self.buckets.get(chat_id)
        if bucket is None:
            bucket = self.buckets[chat_id] = TokenBucket(self.rate)
            if len(self.buckets) > self.size:
                self.buckets.popitem(last=False)
        self.buckets.move_to_end(chat_id)
        await bucket.acquire()


class DeliveryEngine:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 rates: dict[str, float] | None = None,
                 per_chat_rates: dict[str, float] | None = None,
                 worker_id: str | None = None, lease_seconds: float = 60.0,
                 batch_size: int = 200, in_flight: int = 8) -> None:
        self.sessions = sessions
        self.clock = clock
        self.rates = dict(rates or {})
        self.worker_id = worker_id or f"w-{secrets.token_hex(4)}"
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.senders: dict[str, Sender] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.per_chat = {c: PerChatLimiter(r) for c, r in (per_chat_rates or {}).items() if r}
        self.paused_until: dict[str, float] = {}
        self.in_flight = asyncio.Semaphore(in_flight)
        self.stats = {"sent": 0, "blocked": 0, "invalid": 0, "unreachable": 0, "retry": 0,
                      "paused": 0}
        self._task: asyncio.Task[None] | None = None

    def register(self, channel: str, sender: Sender) -> None:
        self.senders[channel] = sender
        self.buckets[channel] = TokenBucket(self.rates.get(channel, 0.0))

    # -- one round ----------------------------------------------------------------

    def _active_channels(self) -> list[str]:
        now = time.monotonic()
        return [c for c in self.senders if self.paused_until.get(c, 0) <= now]

    async def claim(self) -> list[Claimed]:
        channels = self._active_channels()
        if not channels:
            return []
        now = stored_now(self.clock)
        async with self.sessions() as session, session.begin():
            query = (
                select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.chat_id,
                       OutboxMessage.user_id, OutboxMessage.attempts, OutboxMessage.payload)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.not_before <= now,
                       OutboxMessage.channel.in_(channels),
                       or_(OutboxMessage.leased_until.is_(None),
                           OutboxMessage.leased_until < now))
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(self.batch_size)
            )
            if session.bind and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r.id for r in rows]))
                .values(leased_until=now + self.lease, leased_by=self.worker_id))
        return [Claimed(r.id, r.channel, r.chat_id, r.user_id, r.attempts, r.payload)
                for r in rows]

    async def _send_one(self, row: Claimed, results: Results) -> None:
        channel = row.channel
        if self.paused_until.get(channel, 0) > time.monotonic():
            results.released.append(row.id)
            return
        async with self.in_flight:
            await self.buckets[channel].acquire()
            limiter = self.per_chat.get(channel)
            if limiter:
                await limiter.acquire(row.chat_id)
            try:
                outcome = await self.senders[channel](row.chat_id, from_payload(row.payload))
            except Exception as exc:  # a bug or an unexpected answer: retry later
                log.exception("delivery of outbox row %d failed", row.id)
                outcome = Outcome(Result.RETRY, error=type(exc).__name__)
        if outcome.kind == Result.SENT:
            results.sent.append(row.id)
        elif outcome.kind == Result.BLOCKED:
            results.blocked.append((row.id, row.user_id))
        elif outcome.kind == Result.INVALID:
            results.invalid.append((row.id, outcome.error[:300]))
        elif outcome.kind == Result.UNREACHABLE:
            results.unreachable.append((row.id, outcome.error[:300]))
        elif outcome.kind == Result.PAUSE:
            self.paused_until[channel] = time.monotonic() + (outcome.retry_after or UNSAID_PAUSE)
            self.stats["paused"] += 1
            log.warning("channel %s asked to wait %.0f s; pausing it", channel,
                        outcome.retry_after)
            results.released.append(row.id)
        else:
            results.retry.append((row.id, row.attempts + 1, outcome.error[:300]))

    async def write(self, results: Results) -> None:
        """Every outcome of a round in one transaction (nothing to write: no transaction)."""
        if results.empty:
            return
        async with self.sessions() as session, session.begin():
            await self.write_in(session, results)

    async def write_in(self, session: AsyncSession, results: Results) -> None:
        """RESULTS in the caller's transaction (the inbox worker's claim shares it)."""
        now = stored_now(self.clock)
        if results.sent:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(results.sent))
                .values(status=OutboxStatus.SENT, sent_at=now, leased_until=None))
        if results.blocked:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r for r, _ in results.blocked]))
                .values(status=OutboxStatus.BLOCKED, leased_until=None))
            await session.execute(
                update(User).where(User.id.in_([u for _, u in results.blocked]))
                .values(blocked=True))
        for status, ended in ((OutboxStatus.INVALID, results.invalid),
                              (OutboxStatus.UNREACHABLE, results.unreachable)):
            for row_id, error in ended:
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                      .values(status=status, last_error=error,
                                              leased_until=None))
        for row_id, attempts, error in results.retry:
            gave_up = attempts >= MAX_ATTEMPTS
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                    status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
                    attempts=attempts,
                    last_error=error or None, leased_until=None,
                    not_before=now + timedelta(seconds=min(2 ** attempts, 600))))
        if results.released:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(results.released))
                .values(leased_until=None))
        self.stats["sent"] += len(results.sent)
        self.stats["blocked"] += len(results.blocked)
        self.stats["invalid"] += len(results.invalid)
        self.stats["unreachable"] += len(results.unreachable)
        self.stats["retry"] += len(results.retry)

    async def deliver_due(self) -> int:
        """One round: claim, send, record. Returns how many rows were handled."""
        rows = await self.claim()
        if not rows:
            return 0
        results = Results()
        await asyncio.gather(*(self._send_one(row, results) for row in rows))
        await self.write(results)
        return len(rows)

    # -- the worker ---------------------------------------------------------------

    async def run(self, idle: float = 0.5) -> None:
        while True:
            try:
                handled = await self.deliver_due()
            except Exception:
                log.exception("delivery round failed; retrying")
                handled = 0
            if not handled:
                await asyncio.sleep(idle)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


"""The question log, written in batches off the reply path.

Every FAQ question is logged for staff (`kb unanswered`). Writing that row in
the turn's own transaction cost a statement per message, about a sixth of a
turn; here rows wait in memory and go to the database together, once a second.
A crash loses at most that second of statistics, never a dialog step or a
sign-up. The user's own view stays exact: /mydata counts waiting rows too, and
/forget drops them before deleting the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import QuestionLog, User
from bot.time import local_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedQuestion:
    user_id: int
    text: str
    normalised: str
    outcome: str
    topic: str | None
    score: float
    created_at: datetime
    ref: str | None = None  # ties later follow-ups (suggestion picked, rating) to this row
    commune_code: str | None = None  # the person's commune when they asked

    def row(self) -> dict[str, object]:
        """The table row, with the Vietnamese day it was asked on (the console counts by
        day without computing a date for each of a million rows)."""
        return {**asdict(self), "local_day": local_day(self.created_at)}


class QuestionLogWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 flush_seconds: float = 1.0, max_waiting: int = 500) -> None:
        self.sessions = sessions
        self.flush_seconds = flush_seconds
        self.max_waiting = max_waiting
        self.waiting: list[LoggedQuestion] = []
        self._task: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    def add(self, entry: LoggedQuestion) -> None:
        self.waiting.append(entry)
        loop = asyncio.get_running_loop()
        if len(self.waiting) >= self.max_waiting:
            task = loop.create_task(self.flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        elif self._task is None or self._task.done():
            self._task = loop.create_task(self._flush_later())

    def waiting_for(self, user_id: int) -> int:
        return len(self.waiting_of(user_id))

    def waiting_of(self, user_id: int) -> list[LoggedQuestion]:
        """The user's questions not written yet (so /mydata shows them too)."""
        return [entry for entry in self.waiting if entry.user_id == user_id]

    def forget(self, user_id: int) -> None:
        self.waiting = [entry for entry in self.waiting if entry.user_id != user_id]

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.flush_seconds)
        await asyncio.shield(self.flush())  # `close` may cancel the wait, never a write

    async def flush(self) -> None:
        """Write what is waiting in one INSERT; rows of users deleted meanwhile are dropped."""
        async with self._lock:
            batch, self.waiting = self.waiting, []
            if not batch:
                return
            rows = [entry.row() for entry in batch]
            try:
                await self._insert(rows)
            except IntegrityError:  # a user forgot us between the turn and this write
                await self._insert_or_isolate(await self._of_existing_users(rows))
            except Exception as exc:  # one bad row must not cost everyone else's
                log.warning("question log: batch of %d failed (%s); writing rows one by one",
                            len(rows), type(exc).__name__)
                await self._one_by_one(rows)

    async def _insert_or_isolate(self, rows: list[dict[str, object]]) -> None:
        try:
            await self._insert(rows)
        except Exception:
            await self._one_by_one(rows)

    async def _one_by_one(self, rows: list[dict[str, object]]) -> None:
        """Write each row alone; a failing one is dropped and named by user id and reason only."""
        for row in rows:
            try:
                await self._insert([row])
            except Exception as exc:
                log.warning("question log: dropped the row of user %s: %s",
                            row.get("user_id"), type(exc).__name__)

    async def _insert(self, rows: list[dict[str, object]]) -> None:
        if rows:
            async with self.sessions() as session, session.begin():
                await session.execute(insert(QuestionLog), rows)

    async def _of_existing_users(self, rows: list[dict[str, object]]) -> list[dict[str, object]]:
        async with self.sessions() as session:
            ids = {row["user_id"] for row in rows}
            existing = set(await session.scalars(select(User.id).where(User.id.in_(ids))))
        return [row for row in rows if row["user_id"] in existing]

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*self._flushes, return_exceptions=True)
        await self.flush()

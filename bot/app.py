"""Wiring: storage, knowledge, the conversation core and its handlers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Config
from bot.core.router import Conversation
from bot.core.services import Services
from bot.storage.database import create_engine, session_factory
from bot.time import Clock, SystemClock, stored_now
from knowledge import kb as knowledge_base
from knowledge.communes import CommunePicker, load_communes

if TYPE_CHECKING:
    from bot.faq.live import KnowledgeWatcher
    from bot.inbox.store import Received
    from knowledge.events import Event


@dataclass
class App:
    config: Config
    engine: AsyncEngine
    services: Services
    conversation: Conversation
    # Set by this process's receivers when they store an update: the inbox worker wakes.
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    watcher: KnowledgeWatcher | None = None  # keeps services.kb in step with staff

    async def healthy(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def status(self) -> dict[str, object]:
        """What waits: the inbox's lag, the outbox's backlog, and the workers seen in the
        last minute (for /healthz and `status`)."""
        from bot.delivery import outbox
        from bot.inbox import store
        from bot.zalo_oa.tokens import token_state

        now = stored_now(self.services.clock)
        async with self.services.sessions() as session:
            inbox = await store.backlog(session, now)
            waiting, oldest_due = await outbox.backlog(session, now)
            workers = await store.workers_seen(session, now - timedelta(minutes=1))
            oa = self.config.zalo_oa
            tokens = {"zalo_oa": await token_state(session, bool(oa.refresh_token))} \
                if oa.configured else {}
        lag = round(inbox.oldest_pending_seconds, 1)
        return {"inbox": {"pending": inbox.pending, "lag_seconds": lag,
                          "failed": inbox.failed, "parked": inbox.parked},
                "outbox": {"due": waiting, "oldest_due_seconds": round(oldest_due, 1)},
                "workers": [{"id": w.worker_id, "host": w.host, "pid": w.pid,
                             "seen_seconds_ago": round((now - w.seen_at).total_seconds())}
                            for w in workers],
                "tokens": {name: {"working": state.working, "detail": state.detail,
                                  "since": state.since.isoformat(" ", "minutes")
                                  if state.since else None}
                           for name, state in tokens.items()}}

    async def store_received(self, items: list[Received]) -> None:
        """A receiver's batch into the inbox, committed before it is acknowledged."""
        from bot.inbox.store import store

        async with self.services.sessions() as session, session.begin():
            await store(session, items, stored_now(self.services.clock))
        self.arrived.set()

    async def close(self) -> None:
        await self.services.question_log.close()
        await self.engine.dispose()


def load_knowledge(config: Config) -> tuple[knowledge_base.KnowledgeBase, CommunePicker]:
    kb = knowledge_base.load_shared(config.knowledge_path)
    communes = CommunePicker(load_communes(config.knowledge_path / "communes.yaml"))
    return kb, communes


async def build(config: Config, clock: Clock | None = None, upgrade: bool = True) -> App:
    kb, communes = load_knowledge(config)  # fail fast on a broken knowledge file
    engine = create_engine(config.database_url)
    if upgrade:
        from bot.storage import migrate  # alembic is only needed when migrating

        await migrate.upgrade(engine)
    from knowledge.events import load_events

    events = load_events(config.knowledge_path / "events.yaml", config.tz)  # fail fast too
    services = Services(config, session_factory(engine), kb, communes, clock or SystemClock())
    if upgrade:
        await sync_knowledge(services, events)
    from bot.faq.live import KnowledgeWatcher

    watcher = KnowledgeWatcher(services)
    if upgrade:  # the schema is current: staff decisions approved in the console apply
        await watcher.refresh()
    conversation = Conversation(services)
    handlers.register(conversation)
    return App(config, engine, services, conversation, watcher=watcher)


async def sync_knowledge(services: Services, events: list[Event]) -> None:
    """knowledge/trainings.yaml and events.yaml into the database, next to what staff
    added from the CLI or the console."""
    from bot.reminders.events import sync_from_yaml as sync_events
    from bot.training.store import sync_from_yaml
    from knowledge.trainings import load_sessions

    specs = load_sessions(services.config.knowledge_path / "trainings.yaml", services.config.tz)
    from bot.storage.migrate import startup_lock

    async with services.sessions() as session, session.begin():
        await startup_lock(await session.connection())
        await sync_from_yaml(session, specs)
        await sync_events(session, events, stored_now(services.clock))

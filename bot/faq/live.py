"""Staff decisions live on every process: each one watches the approved decisions and,
when they change, rebuilds its knowledge base off the event loop and swaps it in.

Polls every few seconds (a count and a time: one cheap query), so an approval in
the console is answered by every worker within POLL_SECONDS plus a rebuild (the
classifier retrains in its own process when its training texts changed).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.core.services import Services
from bot.faq import inbox
from knowledge.kb import KnowledgeBase, load_with

log = logging.getLogger(__name__)
POLL_SECONDS = 3.0


class KnowledgeWatcher:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.seen: tuple[int, datetime | None] | None = None

    async def refresh(self) -> bool:
        """Rebuild if the approved decisions changed since last time; True if it did."""
        async with self.services.sessions() as session:
            current = await inbox.version(session)
            if current == self.seen:
                return False
            additions = await inbox.approved(session)
        folder = self.services.config.knowledge_path
        kb: KnowledgeBase = await asyncio.to_thread(load_with, folder, additions.variants,
                                                    additions.refusals)
        self.services.kb = kb
        self.seen = current
        if current[0]:
            log.info("knowledge base rebuilt with %d staff decisions", current[0])
        return True

    async def run(self, interval: float = POLL_SECONDS) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # a broken rebuild keeps the knowledge base in use
                log.error("knowledge refresh failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)

"""Staff decisions live on every process: each one watches the approved inbox decisions
and the knowledge edits and, when they change, rebuilds its knowledge base off the event
loop and swaps it in.

Polls every few seconds (two cheap queries), so an approval or an edit in the console is
answered by every worker within POLL_SECONDS plus a rebuild (the classifier retrains in
its own process when its training texts changed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.core.services import Services
from bot.faq import inbox, revisions
from bot.storage.database import create_engine, session_factory, sqlite_file
from knowledge.kb import KnowledgeBase, load_shared
from knowledge.overlay import LEXICON, Edits, load_live

log = logging.getLogger(__name__)
POLL_SECONDS = 3.0


Version = tuple[int, datetime | None, int]


async def version(session: AsyncSession) -> Version:
    count, last = await inbox.version(session)
    return count, last, await revisions.version(session)


async def edits(session: AsyncSession) -> Edits:
    """Everything the console decided that the knowledge base should take in."""
    additions = await inbox.approved(session)
    live = await revisions.live(session)
    lexicon = live.pop(LEXICON, None)
    return Edits(live, lexicon, additions.variants, additions.refusals)


class KnowledgeWatcher:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.seen: Version | None = None

    async def refresh(self) -> bool:
        """Rebuild if the console's decisions or edits changed since last time; True if so."""
        async with self.services.sessions() as session:
            current = await version(session)
            if current == self.seen:
                return False
            found = await edits(session)
        folder = self.services.config.knowledge_path
        kb: KnowledgeBase = await asyncio.to_thread(load_live, folder, found)
        self.services.kb = kb
        self.seen = current
        if not found.empty:
            log.info("knowledge base rebuilt with %d decisions and %d edits (%d set aside)",
                     current[0], len(found.topics) + bool(found.lexicon), len(kb.set_aside))
        return True

    async def run(self, interval: float = POLL_SECONDS) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # a broken rebuild keeps the knowledge base in use
                log.error("knowledge refresh failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)


async def read_live(config: Config) -> KnowledgeBase:
    """The knowledge every worker answers with, for one-off commands (`ask`, `kb export`):
    the files alone where there is no database yet (a fresh checkout) or it is not
    reachable, said on stderr."""
    folder = config.knowledge_path
    database = sqlite_file(config.database_url)
    if database is not None and not database.exists():
        return load_shared(folder)
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session:
            found = await edits(session)
    except (DBAPIError, OSError) as exc:
        print(f"note: console edits not read ({type(exc).__name__}); answering from the files",
              file=sys.stderr)
        return load_shared(folder)
    finally:
        await engine.dispose()
    return await asyncio.to_thread(load_live, folder, found)

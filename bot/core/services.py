"""What every handler may use: configuration, storage, knowledge, communes, clock, events."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Config
from bot.faq.question_log import QuestionLogWriter
from bot.time import Clock
from knowledge.communes import CommunePicker
from knowledge.events import Event
from knowledge.kb import KnowledgeBase


@dataclass
class Services:
    config: Config
    sessions: async_sessionmaker[AsyncSession]
    kb: KnowledgeBase
    communes: CommunePicker
    clock: Clock
    events: list[Event] = field(default_factory=list)
    question_log: QuestionLogWriter = field(init=False)

    def __post_init__(self) -> None:
        self.question_log = QuestionLogWriter(self.sessions)

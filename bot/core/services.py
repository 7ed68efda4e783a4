"""What every handler may use: configuration, storage, knowledge, communes, clock.

Events live in the database (bot/reminders/events.py), read per turn."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Config
from bot.faq.question_log import QuestionLogWriter
from bot.time import Clock
from knowledge.communes import CommunePicker
from knowledge.kb import KnowledgeBase


@dataclass
class Services:
    config: Config
    sessions: async_sessionmaker[AsyncSession]
    kb: KnowledgeBase
    communes: CommunePicker
    clock: Clock
    question_log: QuestionLogWriter = field(init=False)

    def __post_init__(self) -> None:
        self.question_log = QuestionLogWriter(self.sessions)

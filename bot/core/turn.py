"""One turn of conversation: the user, their dialog state, and helpers for handlers.

Handlers receive a Turn and return Replies. What they change of the user and the
dialog state, and the rows they add through the Turn's session, are committed by
the router in one transaction — so a crash mid-turn loses nothing and
half-writes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import text as catalogue_text
from bot.core import payloads
from bot.core.messages import Incoming, Option, Reply
from bot.faq.question_log import LoggedQuestion
from bot.storage.turn_rows import DialogRow, UserRow
from bot.time import Clock, local_today

if TYPE_CHECKING:
    from bot.core.services import Services

MAX_PAYLOAD_BYTES = payloads.MAX_BYTES


@dataclass
class Turn:
    incoming: Incoming
    session: AsyncSession
    user: UserRow
    state: DialogRow
    services: Services
    text: str = ""  # cleaned user text ("" for a pure option press)
    choice: str | None = None  # dialog choice value when an option of this step was picked
    forgotten: bool = False  # the user's data was deleted this turn
    emitted_dialog_options: bool = False
    questions: list[LoggedQuestion] = field(default_factory=list)  # logged after the commit
    _nonce: str = field(default="", init=False, repr=False)

    @property
    def nonce(self) -> str:
        """This step's mark on its options; made only when a step offers options."""
        if not self._nonce:
            self._nonce = secrets.token_hex(3)
        return self._nonce

    @property
    def lang(self) -> str:
        return self.user.language or "vi"

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def today(self) -> date:
        return local_today(self.services.clock, self.services.config.tz)

    def t(self, key: str, lang: str | None = None, **values: object) -> str:
        return catalogue_text(lang or self.lang, key, **values)

    def say(self, key: str, options: list[Option] | None = None, lang: str | None = None,
            **values: object) -> Reply:
        """A catalogue message in LANG if given (an English question), else the user's."""
        return Reply(self.t(key, lang, **values), options or [])

    # -- dialog state ---------------------------------------------------------

    @property
    def in_dialog(self) -> bool:
        return bool(self.state.flow)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def start(self, flow: str, step: str, **data: Any) -> None:
        self.state.flow, self.state.step, self.state.data = flow, step, dict(data)

    def goto(self, step: str) -> None:
        self.state.step = step

    def remember(self, **data: Any) -> None:
        # A new dict, not an update in place: TurnRows.save compares with the loaded
        # value, and a dict changed in place would compare equal to itself.
        self.state.data = {**self.state.data, **data}

    def finish(self) -> None:
        self.state.flow, self.state.step, self.state.data = None, None, {}

    def option(self, key: str, value: str, **values: object) -> Option:
        """An option valid only for the dialog step that offers it."""
        return self.raw_option(self.t(key, **values), value)

    def raw_option(self, label: str, value: str) -> Option:
        payload = payloads.dialog(self.nonce, value)  # ValueError past 64 bytes
        self.emitted_dialog_options = True
        return Option(label, payload)

    def picked(self, kind: str) -> str | None:
        """The key of the list item chosen at this step, if one of KIND was ("b17" → "17")."""
        return payloads.item_key(self.choice, kind)

    def picked_index(self, kind: str, count: int) -> int | None:
        """The place of the item of KIND chosen from a list of COUNT, or None."""
        return payloads.item_index(self.choice, kind, count)

    def reoffer(self) -> list[Option]:
        """The options this step offered last time, still valid (after a forged choice)."""
        self._nonce = self.state.nonce or self._nonce
        self.emitted_dialog_options = bool(self.state.nonce)
        return [Option(label, payload) for label, payload in self.state.options]

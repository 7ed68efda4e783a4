"""A user and their dialog state as plain rows: one query to load, changed columns to save.

Every message loads both and usually writes a column or two. Through the ORM that
cost an identity map, attribute events and a unit-of-work flush per message, a
fifth of a turn's CPU (bench/core_bench.py). Here the rows are dataclasses, read
with one prepared SELECT and written with UPDATEs of exactly the columns that
changed, in the turn's own transaction.

As with the ORM's JSON columns, change `data` and `options` by assigning a new
value (`Turn.remember` does), not by mutating them in place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.models import DialogState, User

_users = User.__table__
_dialogs = DialogState.__table__


@dataclass(slots=True)
class UserRow:
    id: int
    channel: str
    channel_user_id: str
    chat_id: str | None
    display_name: str | None
    language: str
    commune_code: str | None
    audience: str | None
    news_opt_in: bool
    blocked: bool
    consent_at: datetime | None
    created_at: datetime
    last_seen_at: datetime


@dataclass(slots=True)
class DialogRow:
    flow: str | None
    step: str | None
    data: dict[str, Any]
    options: list[Any]
    nonce: str
    updated_at: datetime


_USER_FIELDS = tuple(f.name for f in fields(UserRow))
_DIALOG_FIELDS = tuple(f.name for f in fields(DialogRow))
_DIALOG_STATE = _DIALOG_FIELDS[:-1]  # all but updated_at, which follows from them
_LOAD = (
    select(*(_users.c[name] for name in _USER_FIELDS),
           _dialogs.c.user_id.label("dialog_user_id"),
           *(_dialogs.c[name].label(f"dialog_{name}") for name in _DIALOG_FIELDS))
    .select_from(_users.outerjoin(_dialogs, _dialogs.c.user_id == _users.c.id))
    .where(_users.c.channel == bindparam("channel"),
           _users.c.channel_user_id == bindparam("user_id"))
)
_INSERT_USER = insert(_users)
_INSERT_DIALOG = insert(_dialogs)
# The changed columns come as parameters; the row is named by "row_id" ("id" is a column).
_UPDATE_USER = update(_users).where(_users.c.id == bindparam("row_id"))
_UPDATE_DIALOG = update(_dialogs).where(_dialogs.c.user_id == bindparam("row_id"))


def _values(row: UserRow | DialogRow, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in names)


@dataclass(slots=True)
class TurnRows:
    """The rows of one turn and what they held when loaded, to write only the changes."""

    user: UserRow
    dialog: DialogRow
    user_loaded: tuple[Any, ...]
    dialog_loaded: tuple[Any, ...] | None  # _DIALOG_STATE's values; None: no row yet

    @classmethod
    async def load(cls, conn: AsyncConnection, channel: str, user_id: str) -> TurnRows | None:
        row = (await conn.execute(_LOAD, {"channel": channel, "user_id": user_id})).first()
        if row is None:
            return None
        user = UserRow(*row[:len(_USER_FIELDS)])
        if row.dialog_user_id is None:
            return cls(user, empty_dialog(user.last_seen_at), _values(user, _USER_FIELDS), None)
        dialog = DialogRow(*row[len(_USER_FIELDS) + 1:])
        return cls(user, dialog, _values(user, _USER_FIELDS), _values(dialog, _DIALOG_STATE))

    @classmethod
    async def create(cls, conn: AsyncConnection, **user_values: Any) -> TurnRows:
        """Insert a new user at once: handlers may write rows that point to its id."""
        result = await conn.execute(_INSERT_USER, user_values)
        user = UserRow(id=result.inserted_primary_key[0], consent_at=None, commune_code=None,
                       audience=None, **user_values)
        return cls(user, empty_dialog(user.created_at), _values(user, _USER_FIELDS), None)

    async def save(self, conn: AsyncConnection, now: datetime) -> None:
        """Write what the turn changed; a changed dialog gets `updated_at` NOW."""
        user_changes = _changes(_USER_FIELDS, self.user_loaded, _values(self.user, _USER_FIELDS))
        if user_changes:
            await conn.execute(_UPDATE_USER, {"row_id": self.user.id, **user_changes})
        loaded = self.dialog_loaded or _EMPTY_STATE
        dialog_changes = _changes(_DIALOG_STATE, loaded, _values(self.dialog, _DIALOG_STATE))
        if not dialog_changes:
            return
        self.dialog.updated_at = now
        if self.dialog_loaded is None:
            await conn.execute(_INSERT_DIALOG, {"user_id": self.user.id, **{
                name: getattr(self.dialog, name) for name in _DIALOG_FIELDS}})
        else:
            await conn.execute(_UPDATE_DIALOG, {"row_id": self.user.id, "updated_at": now,
                                                **dialog_changes})


_EMPTY_STATE: tuple[Any, ...] = (None, None, {}, [], "")  # what a missing row means


def empty_dialog(now: datetime) -> DialogRow:
    return DialogRow(flow=None, step=None, data={}, options=[], nonce="", updated_at=now)


def _changes(names: tuple[str, ...], before: tuple[Any, ...], after: tuple[Any, ...]
             ) -> dict[str, Any]:
    return {name: new for name, old, new in zip(names, before, after, strict=True) if old != new}

"""Who may see and reach whom: the one place the rule lives, for the chat and the console.

Province staff see the whole province; commune staff only the people whose
commune is theirs. Every query that shows people, questions or registrations
to staff goes through `commune_filter`; every broadcast through `may_broadcast`.
The role is re-read from the database on each request or message, so a revoked
or moved officer loses access at once.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import StaffRole, User
from bot.webchat.identity import CHANNEL as WEB

if TYPE_CHECKING:
    from bot.broadcast.store import Scope


class Level(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"


async def role_of(session: AsyncSession, channel: str, user_id: str) -> StaffRole | None:
    return await session.scalar(select(StaffRole).where(StaffRole.channel == channel,
                                                        StaffRole.channel_user_id == user_id))


def actor_for(channel: str, user_id: str) -> str:
    """How the audit log, tickets and logs name someone: "channel:user id". A web chat's
    id is its secret token, so there only a digest of it ("web:#…"), never the token."""
    if channel == WEB:
        return f"{WEB}:#{hashlib.sha256(user_id.encode()).hexdigest()[:16]}"
    return f"{channel}:{user_id}"


def actor_of(person: StaffRole | User) -> str:
    return actor_for(person.channel, person.channel_user_id)


def is_province(role: StaffRole | None) -> bool:
    return role is not None and role.role == Level.PROVINCE


def commune_filter(role: StaffRole) -> str | None:
    """None: the whole province; else the one commune this role may see."""
    if is_province(role):
        return None
    # A commune role without a commune sees nobody rather than everybody.
    return role.commune_code or "-"


def may_see_commune(role: StaffRole, code: str | None) -> bool:
    wanted = commune_filter(role)
    return wanted is None or wanted == code


def narrowed(role: StaffRole, column: Any, chosen: str | None = None) -> Any | None:
    """A WHERE clause on COLUMN (a commune code column) for ROLE and an optional commune
    CHOSEN by a province officer; None when nothing needs filtering. A commune officer's
    own commune always wins over whatever a form or URL asked for."""
    own = commune_filter(role)
    code = own if own is not None else chosen
    return None if code is None else column == code


def may_broadcast(role: StaffRole | None, scope: Scope) -> bool:
    if role is None:
        return False
    if is_province(role):
        return True
    return (role.role == Level.COMMUNE and scope.session is None and scope.event is None
            and scope.communes is not None and set(scope.communes) == {role.commune_code})


def may_manage(role: StaffRole, owner_commune: str | None) -> bool:
    """Create, change or cancel a session or an event: province staff any; commune staff
    only their own commune's (a province-wide one belongs to the province)."""
    return is_province(role) or (owner_commune is not None
                                 and owner_commune == role.commune_code)


def may_edit_knowledge(role: StaffRole | None) -> bool:
    """The knowledge base speaks for the whole province: province staff edit it; commune
    staff propose through the questions inbox."""
    return is_province(role)

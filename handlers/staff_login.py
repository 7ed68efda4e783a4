"""/dangnhap (/login): a staff member asks the bot for a one-time console sign-in link."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.staff import signin
from bot.staff.scope import role_of
from bot.time import stored_now


async def login(turn: Turn) -> list[Reply]:
    """A link for staff; a polite no (and no link) for everyone else."""
    incoming = turn.incoming
    role = await role_of(turn.session, incoming.channel, incoming.user_id)
    if role is None:
        return [turn.say("login_not_staff")]
    token = await signin.issue_link(turn.session, role, stored_now(turn.services.clock))
    if token is None:
        return [turn.say("login_too_often")]
    url = signin.link_url(turn.services.config.public_url, token)
    minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
    reply = turn.say("login_link", url=url, minutes=minutes)
    reply.secret_link = True
    return [reply]

"""What a chat platform channel is to the rest of the bot: one small protocol.

A channel translates a platform's updates into neutral `Incoming` messages and
neutral `Reply`s back into the platform's calls; nothing else. `run` starts the
configured ones from `PLATFORMS`, receiving or (for `deliver`) sending only, and
the delivery engine sends through `deliver`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bot.channels.ordering import ChatLocks
from bot.delivery.outcome import Outcome, Result

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config, PlatformConfig
    from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def start(self, receive: bool = True) -> bool:
        """Connect; with RECEIVE false only send. False when the platform refused."""
        ...

    async def stop(self) -> None: ...

    async def reply(self, chat_id: str, reply: Reply) -> Outcome:
        """Answer someone waiting, retried here; the outcome is final."""
        ...

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send one reply the bot sends on its own; the outcome tells the engine what next."""
        ...


class PlatformChannel:
    """What every platform channel keeps: the app, its settings, the secret its webhook
    checks, and one lock per chat so that a chat's updates are handled in order."""

    name: str

    def __init__(self, app: App, config: PlatformConfig) -> None:
        assert config.token
        self.app = app
        self.config = config
        self.secret = config.webhook.secret_token or secrets.token_urlsafe(32)
        self.chat_lock = ChatLocks()


async def settle(app: App, incoming: Incoming, outcome: Outcome) -> None:
    """A reply that could not be sent, after its last attempt: whoever blocked the bot
    (or removed it from a group) is marked and never messaged again; refusals and
    outages are logged, without ids or text."""
    if outcome.kind == Result.BLOCKED:
        await app.conversation.set_blocked(incoming.channel, incoming.user_id, True)
        log.info("%s: a reply found the bot blocked", incoming.channel)
    elif outcome.kind != Result.SENT:
        log.warning("%s: a reply was not sent (%s: %s)", incoming.channel, outcome.kind,
                    outcome.error[:120])


def _telegram(app: App, config: PlatformConfig) -> Channel:
    from bot.channels.telegram import TelegramChannel

    return TelegramChannel(app, config)


def _zalo(app: App, config: PlatformConfig) -> Channel:
    from bot.channels.zalo import ZaloChannel

    return ZaloChannel(app, config)


# Platform name → (its settings in the configuration, how to build its channel).
PLATFORMS: dict[str, tuple[Callable[[Config], PlatformConfig],
                           Callable[[App, PlatformConfig], Channel]]] = {
    "telegram": (lambda config: config.telegram, _telegram),
    "zalo": (lambda config: config.zalo, _zalo),
}


async def start_configured(app: App, config: Config, receive: bool) -> list[Channel]:
    """Every platform with a token, started; those the platform refused are left out."""
    started: list[Channel] = []
    for settings_of, build in PLATFORMS.values():
        settings = settings_of(config)
        if settings.token:
            channel = build(app, settings)
            if await channel.start(receive=receive):
                started.append(channel)
    return started

"""What a chat platform channel is to the rest of the bot: one small protocol.

A channel translates a platform's updates into neutral `Incoming` messages and
neutral `Reply`s back into the platform's calls; nothing else. `run` starts the
configured ones from `PLATFORMS`, receiving or (for `deliver`) sending only, and
the delivery engine sends through `deliver`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from aiohttp import web

from bot.delivery.outcome import Outcome

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config, PlatformConfig, WebhookConfig, ZaloOAConfig
    from bot.core.messages import Reply
    from bot.inbox.store import Received

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def start(self, receive: bool = True) -> bool:
        """Connect; with RECEIVE false only send. False when the platform refused."""
        ...

    async def stop(self) -> None: ...

    async def reply(self, chat_id: str, reply: Reply, answering: str | None = None) -> Outcome:
        """Answer someone waiting, retried here; the outcome is final. ANSWERING is the
        platform's id of their message (Zalo OA counts a reply quoting it as free)."""
        ...

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send one reply the bot sends on its own; the outcome tells the engine what next."""
        ...


class PlatformChannel:
    """What every platform channel keeps: the app, its settings, the secret its webhook
    checks, and its background tasks (a poller)."""

    name: str
    runner: web.AppRunner | None = None  # its webhook server, if it has one
    http: aiohttp.ClientSession | None = None  # its HTTP client, if it has its own

    def __init__(self, app: App, config: PlatformConfig | ZaloOAConfig) -> None:
        self.app = app
        self.config = config
        self.secret = config.webhook.secret_token or secrets.token_urlsafe(32)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stopped = asyncio.Event()

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        await self.cancel_tasks()
        if self.runner:
            await self.runner.cleanup()
        if self.http:
            await self.http.close()

    async def cancel_tasks(self) -> None:
        self.stopped.set()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def store_until_done(self, items: list[Received]) -> None:
        """A poller's batch into the inbox. What a platform handed over is ours to keep:
        a database outage is waited out here rather than the batch dropped."""
        delay = 0.5
        while True:
            try:
                await self.app.store_received(items)
                return
            except Exception as exc:
                log.error("%s: updates not stored (%s); retrying in %.1f s", self.name,
                          type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def store_or_503(self, items: list[Received]) -> web.Response:
        """A webhook's update into the inbox, then 200; 503 when the database cannot take
        it, so the platform sends it again (never 200 without the row)."""
        try:
            await self.app.store_received(items)
        except Exception as exc:
            log.error("%s: update not stored (%s); answering 503", self.name,
                      type(exc).__name__)
            return web.Response(status=503, text="try again")
        return web.json_response({"ok": True})


async def serve_webhook(hook: WebhookConfig,
                        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                        ) -> web.AppRunner:
    """A small aiohttp server for one platform's webhook POSTs."""
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(hook.path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, hook.listen, hook.port).start()
    return runner


def _telegram(app: App, config: Config) -> Channel:
    from bot.channels.telegram import TelegramChannel

    return TelegramChannel(app, config.telegram)


def _zalo(app: App, config: Config) -> Channel:
    from bot.channels.zalo import ZaloChannel

    return ZaloChannel(app, config.zalo)


def _zalo_oa(app: App, config: Config) -> Channel:
    from bot.channels.zalo_oa import ZaloOAChannel

    return ZaloOAChannel(app, config.zalo_oa)


# Platform name → (whether the configuration turns it on, how to build its channel).
PLATFORMS: dict[str, tuple[Callable[[Config], bool], Callable[[App, Config], Channel]]] = {
    "telegram": (lambda config: bool(config.telegram.token), _telegram),
    "zalo": (lambda config: bool(config.zalo.token), _zalo),
    "zalo_oa": (lambda config: config.zalo_oa.configured, _zalo_oa),
}


async def start_configured(app: App, config: Config, receive: bool) -> list[Channel]:
    """Every platform the configuration turns on, started; those the platform refused
    are left out."""
    started: list[Channel] = []
    for enabled, build in PLATFORMS.values():
        if enabled(config):
            channel = build(app, config)
            if await channel.start(receive=receive):
                started.append(channel)
    return started

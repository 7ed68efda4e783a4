"""Serving a fake platform API on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Call:
    """One request a fake platform API received."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


class LocalServer:
    """An aiohttp app on 127.0.0.1 at a port the OS picks."""

    runner: web.AppRunner | None = None
    port: int = 0

    async def serve(self, app: web.Application) -> int:
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


async def wait_for_text(calls: Callable[[], list[Call]], arrived: asyncio.Event, fragment: str,
                        after: int, limit_seconds: float, who: object) -> Call:
    """The first of CALLS (from AFTER on) whose text holds FRAGMENT, waiting up to
    LIMIT_SECONDS; ARRIVED is set by the fake on every message sent."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        for call in calls()[after:]:
            if fragment in call.text:
                return call
        arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), 0.2)
    seen = [c.text[:60] for c in calls()]
    raise AssertionError(f"no message with {fragment!r} to {who}; sent: {seen}")


async def wait_listening(port: int, limit_seconds: float = 20.0) -> None:
    """Until something accepts connections on 127.0.0.1:PORT (a process's second server
    may start after the first answers)."""
    deadline = time.monotonic() + limit_seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return

"""Serving a fake platform API on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import socket
import time
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

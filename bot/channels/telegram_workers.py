"""Telegram updates spread over worker processes, each chat always to the same one.

One Python process handles about 300–450 updates a second on a 2-core machine; the
turn (database, matching) and the replies are CPU-bound. With
`telegram.workers: N` the receiving process (polling or webhook) keeps the
chats whose id falls in share 0 and writes every other update, as one JSON line,
to the standard input of worker process `chat_id % N`. A chat's updates thus
stay in order in one process, and flood guard and chat locks stay correct.

Workers are `laocai-bot telegram-worker`: the same config, their own database
pool and Bot API connection, no polling. A worker that dies is started again
(the updates it held in memory are lost, as with a crash of the single process).
Closing a worker's standard input asks it to finish its pending updates and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0
STOP_GRACE = 15.0
READY_WAIT = 60.0
T = TypeVar("T")


class UpdateFanout:
    """The receiving side: starts workers 1…N-1 and forwards their chats' updates."""

    def __init__(self, count: int, config_file: Path | None) -> None:
        self.count = count
        self.config_file = config_file
        self.processes: dict[int, asyncio.subprocess.Process] = {}
        self.watchers: list[asyncio.Task[None]] = []
        self.stopping = False

    def share(self, chat_id: int) -> int:
        return chat_id % self.count

    async def start(self) -> None:
        for index in range(1, self.count):
            await self._spawn(index)
            self.watchers.append(asyncio.create_task(self._watch(index)))

    async def _spawn(self, index: int) -> None:
        argv = [sys.executable, "-m", "bot"]
        if self.config_file is not None:
            argv += ["--config", str(self.config_file)]
        argv += ["telegram-worker", "--index", str(index)]
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        self.processes[index] = process
        assert process.stdout is not None
        try:  # the worker says "ready" once its database and Bot API connection are up
            ready = await asyncio.wait_for(process.stdout.readline(), READY_WAIT)
        except TimeoutError:
            ready = b""
        if ready.strip() != b"ready":
            log.error("telegram worker %d did not start (pid %d)", index, process.pid)
            return
        log.info("telegram worker %d ready (pid %d)", index, process.pid)

    async def _watch(self, index: int) -> None:
        while not self.stopping:
            code = await self.processes[index].wait()
            if self.stopping:
                return
            log.error("telegram worker %d exited with %s; starting it again", index, code)
            await asyncio.sleep(RESTART_DELAY)
            if not self.stopping:
                await self._spawn(index)

    async def forward(self, index: int, update: dict[str, Any]) -> bool:
        """Hand UPDATE to worker INDEX; False if that worker is down (the update is lost)."""
        process = self.processes.get(index)
        if process is not None and process.stdin is not None and process.returncode is None:
            line = json.dumps(update, ensure_ascii=False, separators=(",", ":")) + "\n"
            try:
                process.stdin.write(line.encode())
                await process.stdin.drain()
                return True
            except (BrokenPipeError, ConnectionResetError):
                pass
        log.error("telegram worker %d is down; update %s dropped", index, update.get("update_id"))
        return False

    async def stop(self) -> None:
        """Let every worker finish what it was given, then exit."""
        self.stopping = True
        for task in self.watchers:
            task.cancel()
        await asyncio.gather(*self.watchers, return_exceptions=True)
        for process in self.processes.values():
            if process.stdin is not None and process.returncode is None:
                process.stdin.close()
        for index, process in self.processes.items():
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE)
            except TimeoutError:
                log.error("telegram worker %d did not stop in %.0f s; killed", index,
                          STOP_GRACE)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def read_updates(queue_put: Callable[[T], Awaitable[None]],
                       decode: Callable[[dict[str, Any]], T]) -> None:
    """The worker side: JSON lines from standard input into the application's queue.

    Returns at end of input, i.e. when the receiving process closes the pipe or dies.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            update = decode(json.loads(line))
        except Exception:  # a malformed line must not stop the worker
            log.exception("telegram worker: an unreadable update was skipped")
            continue
        await queue_put(update)

"""Terminal chat: options as numbered lines; answer with the number or the words."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app import App
from bot.channels.formatting import to_plain
from bot.core.messages import Incoming, Reply
from bot.core.options import numbered

CHANNEL = "terminal"


def render(reply: Reply) -> str:
    parts = [to_plain(reply.text)]
    menu = numbered(reply.options)
    if menu:
        parts.append(menu)
    if reply.attachment:
        parts.append(reply.attachment.text_fallback)
    return "\n".join(parts)


async def chat(app: App, user_id: str = "local", stdin: TextIO | None = None,
               stdout: TextIO | None = None) -> None:
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    loop = asyncio.get_running_loop()

    async def say(text: str | None) -> None:
        for reply in await app.conversation.handle(Incoming(CHANNEL, user_id, user_id, text=text)):
            print(render(reply), end="\n\n", file=stdout, flush=True)
        for reply in await app.conversation.waiting(CHANNEL, user_id):
            print(render(reply), end="\n\n", file=stdout, flush=True)

    await say("/start")
    while True:
        if stdout.isatty():
            print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            return
        await say(line.rstrip("\n"))

"""Nothing a person sends is lost: a burst, the bot killed mid-way, a restart.

    python bench/crash_bench.py [--people 800] [--database sqlite|postgres|both]

N people each ask one FAQ question within a second, through Telegram long
polling, a Telegram webhook and a Zalo webhook (fake platforms on 127.0.0.1).
When a quarter have their answer the bot is stopped, with `kill -9` or with
SIGTERM, then started again. A webhook sender behaves like the platforms: an
update not answered 200 is sent again until it is. Reports, per channel and
stop: people never answered after the restart (must be 0), and people answered
twice (the turns in flight at the kill whose replies had left but were not yet
recorded as sent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bench.sample_questions import QUESTIONS  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.fake_zalo import FakeZalo  # noqa: E402
from tests.local_server import free_port  # noqa: E402

SECRET = "crash-bench-secret"
TELEGRAM_TOKEN, ZALO_TOKEN = "123:CRASH", "zalo-crash-token"


@dataclass
class Setup:
    """One channel's way in: its fake platform, its config, how updates reach the bot."""

    name: str
    fake: Any
    config: str
    hook: str | None  # the webhook URL, or None for long polling
    header: str = ""

    def answered(self) -> Counter[str]:
        """Texts sent per person: a person appears once per reply they got."""
        sent = [c for c in self.fake.calls if c.method == "sendMessage"]
        return Counter(f"{c.params['chat_id']}\x00{c.params.get('text', '')}" for c in sent)


def people(setup: Setup) -> set[str]:
    return {key.split("\x00")[0] for key in setup.answered()}


async def telegram(polling: bool) -> Setup:
    fake = FakeTelegram(TELEGRAM_TOKEN)
    await fake.start()
    port = free_port()
    config = f"telegram:\n  token: {TELEGRAM_TOKEN}\n  base_url: http://127.0.0.1:{fake.port}\n"
    if polling:
        return Setup("Telegram polling", fake, config, None)
    config += (f"  mode: webhook\n  webhook:\n    url: https://bot.example.vn/tg\n"
               f"    listen: 127.0.0.1\n    port: {port}\n    path: /tg\n"
               f"    secret_token: {SECRET}\n")
    return Setup("Telegram webhook", fake, config, f"http://127.0.0.1:{port}/tg",
                 "X-Telegram-Bot-Api-Secret-Token")


async def zalo() -> Setup:
    fake = FakeZalo(ZALO_TOKEN)
    await fake.start()
    port = free_port()
    config = (f"zalo:\n  token: {ZALO_TOKEN}\n  base_url: http://127.0.0.1:{fake.port}/bot\n"
              f"  mode: webhook\n  webhook:\n    url: https://bot.example.vn/zalo\n"
              f"    listen: 127.0.0.1\n    port: {port}\n    path: /zalo\n"
              f"    secret_token: {SECRET}\n")
    return Setup("Zalo webhook", fake, config, f"http://127.0.0.1:{port}/zalo",
                 "X-Bot-Api-Secret-Token")


def update_for(setup: Setup, n: int) -> tuple[str, dict[str, Any] | None]:
    """(the person's chat id, the webhook body or None when queued for polling)."""
    text = QUESTIONS[n % len(QUESTIONS)]
    if isinstance(setup.fake, FakeZalo):
        user = f"z{n}"
        return user, setup.fake.update(user, text, message_id=f"m{n}")
    chat = 100_000 + n
    if setup.hook is None:
        setup.fake.push_text(chat, text)
        return str(chat), None
    update_id = 5_000_000 + n
    return str(chat), {"update_id": update_id, "message": {
        "message_id": n + 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private", "first_name": "A"},
        "from": FakeTelegram.user(chat)}}


async def send_until_acknowledged(setup: Setup, bodies: list[dict[str, Any]]) -> None:
    """As the platforms do: re-send every update that did not get a 200."""
    pending = list(bodies)
    async with aiohttp.ClientSession() as http:
        while pending:
            async def post(body: dict[str, Any]) -> bool:
                try:
                    async with http.post(setup.hook, json=body,  # type: ignore[arg-type]
                                         headers={setup.header: SECRET},
                                         timeout=aiohttp.ClientTimeout(total=10)) as r:
                        return r.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    return False

            results = []
            for start in range(0, len(pending), 100):  # at most 100 requests in flight
                batch = pending[start:start + 100]
                results += await asyncio.gather(*(post(b) for b in batch))
            pending = [b for b, ok in zip(pending, results, strict=True) if not ok]
            if pending:
                await asyncio.sleep(0.5)


def spawn(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items()
                                 if k not in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN")})


async def wait_until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def ready(setup: Setup) -> None:
    """The bot has told the platform where it listens (or started to poll)."""
    method = "setWebhook" if setup.hook else "setMyCommands"
    await wait_until(lambda: any(c.method == method for c in setup.fake.calls), 60)


async def one(make: Callable[[], Awaitable[Setup]], database_url: str, count: int,
              stop: signal.Signals) -> str:
    setup = await make()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        config.write_text(f"database:\n  url: {url}\nweb:\n  port: {free_port()}\n"
                          f"log_level: WARNING\n{setup.config}")
        proc = spawn(config)
        try:
            await ready(setup)
            chats, bodies = zip(*(update_for(setup, n) for n in range(count)), strict=True)
            sender = (asyncio.create_task(send_until_acknowledged(
                setup, [b for b in bodies if b])) if setup.hook else None)
            await wait_until(lambda: len(people(setup)) >= count // 4, 120)
            at_stop = len(people(setup))
            proc.send_signal(stop)
            await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            proc = spawn(config)
            await wait_until(lambda: len(people(setup)) >= count, 180)
            if sender:
                await asyncio.wait_for(sender, 60)
            await asyncio.sleep(2)  # anything still on its way
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            await setup.fake.stop()
    missing = set(chats) - people(setup)
    twice = sum(1 for n in setup.answered().values() if n > 1)
    return (f"{setup.name:<17} {stop.name:<7} answered at the stop {at_stop:>4}/{count}; "
            f"after the restart unanswered {len(missing)}, answered twice {twice}")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=800)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    databases = [("SQLite", "")] if args.database in ("sqlite", "both") else []
    if args.database in ("postgres", "both"):
        databases.append(("PostgreSQL", PG_URL))
    setups: list[Callable[[], Awaitable[Setup]]] = [
        lambda: telegram(polling=True), lambda: telegram(polling=False), zalo]
    for label, url in databases:
        print(f"{label}, {args.people} people in a burst:", flush=True)
        for make in setups:
            for stop in (signal.SIGKILL, signal.SIGTERM):
                if url and not await reset_postgres():
                    print("  PostgreSQL: not reachable, skipped")
                    return 0
                print("  " + await one(make, url, args.people, stop), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

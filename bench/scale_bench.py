"""Scale-out on PostgreSQL: one `run` and one `laocai-bot worker`, the worker killed mid-way.

    python bench/scale_bench.py [--people 2000] [--questions 3]

Every person asks QUESTIONS questions at once through the fake Telegram Bot API
on 127.0.0.1. When a third of the answers have arrived the worker is killed
with `kill -9`; `run`'s own worker takes over its claims when their lease ends
(`delivery.lease_seconds: 10` here). Reports people never answered, people whose
answers arrived out of order, answers sent twice, and the throughput.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.local_server import free_port  # noqa: E402

TOKEN = "123:SCALE"
# Each question's answer carries a fragment no other answer has, in this order.
ASKED = [("id.vn là gì", "cá nhân"), ("biz.vn là gì", "kinh doanh"),
         ("nghị quyết 57 là gì", "Bộ Chính trị")]


def spawn(config: Path, command: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), command],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def order_of(fake: FakeTelegram, chat: int, questions: int) -> list[int]:
    """Which question each answer to CHAT answered, in the order they arrived."""
    seen = []
    for call in fake.calls:
        if call.method == "sendMessage" and int(call.params["chat_id"]) == chat:
            for n, (_, fragment) in enumerate(ASKED[:questions]):
                if fragment in call.text:
                    seen.append(n)
    return seen


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=3, choices=(1, 2, 3))
    args = parser.parse_args()
    if not await reset_postgres():
        print("PostgreSQL: not reachable, nothing measured")
        return 0
    fake = FakeTelegram(TOKEN)
    await fake.start()
    chats = range(200_000, 200_000 + args.people)
    total = args.people * args.questions
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(f"database:\n  url: {PG_URL}\nweb:\n  port: {free_port()}\n"
                          f"log_level: WARNING\ndelivery:\n  lease_seconds: 10\n"
                          f"telegram:\n  token: {TOKEN}\n"
                          f"  base_url: http://127.0.0.1:{fake.port}\n")
        run, worker = spawn(config, "run"), spawn(config, "worker")
        try:
            await fake.wait_for(lambda c: c.method == "setMyCommands", 60)
            await asyncio.sleep(2)  # the worker is up too
            start = time.monotonic()
            for question, _ in ASKED[:args.questions]:
                for chat in chats:
                    fake.push_text(chat, question)

            def answered() -> int:
                return sum(1 for c in fake.calls if c.method == "sendMessage")

            while True:
                if answered() >= total // 3:
                    break
                await asyncio.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            killed_at = answered()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                done = sum(1 for chat in chats
                           if len(set(order_of(fake, chat, args.questions))) == args.questions)
                if done == args.people:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - start
        finally:
            for proc in (run, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            await fake.stop()
    orders = {chat: order_of(fake, chat, args.questions) for chat in chats}
    missing = sum(1 for o in orders.values() if len(set(o)) < args.questions)
    out_of_order = sum(1 for o in orders.values() if o != sorted(o))
    twice = sum(n - 1 for o in orders.values() for n in Counter(o).values() if n > 1)
    print(f"{args.people} people × {args.questions} questions on PostgreSQL, run + worker; "
          f"worker killed (kill -9) at {killed_at}/{total} answers")
    print(f"  unanswered people {missing}, out of order {out_of_order}, "
          f"answers sent twice {twice}; all answered in {elapsed:.1f} s "
          f"({total / elapsed:.0f} updates/s, including the 10 s lease)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

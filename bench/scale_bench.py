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


class Answers:
    """What each chat received, read once per call as calls arrive (re-scanning every
    call for every chat would stall the fake server, which shares this event loop)."""

    def __init__(self, fake: FakeTelegram, questions: int) -> None:
        self.fake, self.questions = fake, questions
        self.texts: dict[int, list[str]] = {}
        self.read = 0

    def update(self) -> None:
        calls = self.fake.calls
        for call in calls[self.read:]:
            if call.method == "sendMessage":
                self.texts.setdefault(int(call.params["chat_id"]), []).append(call.text)
        self.read = len(calls)

    def complete(self, chat: int) -> bool:
        texts = self.texts.get(chat, [])
        return all(any(f in t for t in texts) for _, f in ASKED[:self.questions])

    def in_order(self, chat: int) -> bool:
        """The first answer to each question arrived in the order they were asked."""
        texts = self.texts.get(chat, [])
        firsts = [next((i for i, t in enumerate(texts) if f in t), len(texts))
                  for _, f in ASKED[:self.questions]]
        return firsts == sorted(firsts)

    def twice(self, chat: int) -> int:
        texts = self.texts.get(chat, [])
        return len(texts) - len(set(texts))


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

            answers = Answers(fake, args.questions)
            while True:
                answers.update()
                if answers.read and sum(map(len, answers.texts.values())) >= total // 3:
                    break
                await asyncio.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            killed_at = sum(map(len, answers.texts.values()))
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                answers.update()
                if all(answers.complete(chat) for chat in chats):
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - start
        finally:
            for proc in (run, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            await fake.stop()
    answers.update()
    missing = sum(1 for chat in chats if not answers.complete(chat))
    out_of_order = sum(1 for chat in chats if not answers.in_order(chat))
    twice = sum(answers.twice(chat) for chat in chats)
    print(f"{args.people} people × {args.questions} questions on PostgreSQL, run + worker; "
          f"worker killed (kill -9) at {killed_at}/{total} answers")
    print(f"  unanswered people {missing}, out of order {out_of_order}, "
          f"answers sent twice {twice}; all answered in {elapsed:.1f} s "
          f"({total / elapsed:.0f} updates/s, including the 10 s lease)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""How soon a console decision or edit is answered by every process.

    python bench/knowledge_live_bench.py [--rounds 3]

Starts two `laocai-bot run` processes on the local PostgreSQL (their own web chat
ports). Each round makes one change as province staff would (the same store calls
the console makes): approves "this unsure question is a way to ask topic T", saves
an edited answer of T, saves a new shorthand in the lexicon. Then it asks each
process through its web chat every 200 ms until it answers the new way. Prints the
seconds from the commit to each process answering; the target is 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bench.startup_bench import wait_ready  # noqa: E402
from bot.app import App, build  # noqa: E402
from bot.channels.web import render  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.faq import inbox, revisions  # noqa: E402
from bot.storage.models import StaffRole  # noqa: E402
from bot.time import stored_now  # noqa: E402
from knowledge.kb import deployed  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402
from knowledge.overlay import LEXICON, fingerprint  # noqa: E402
from tests.local_server import free_port  # noqa: E402

TOPIC = "domain.idvn.free"
WHAT = "domain.idvn.what"
QUESTIONS = ["tên miền cho bọn sinh viên mới ra trường xài free được ko",
             "con gái tôi học năm hai, có được cấp địa chỉ web riêng ko tốn xu nào ko",
             "cho hỏi vụ domain tặng thanh niên còn hay hết rồi vậy"]


def spawn(folder: Path, port: int) -> subprocess.Popen[bytes]:
    config = folder / f"config-{port}.yaml"
    config.write_text(f"web:\n  port: {port}\n  limits: {{new_identities_per_minute: 100000, "
                      "messages_per_minute: 100000}\nlog_level: WARNING\n")
    env = {**os.environ, "DATABASE_URL": PG_URL}
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


async def answered(http: aiohttp.ClientSession, port: int, question: str, expected: str,
                   since: float) -> float:
    async with http.post(f"http://127.0.0.1:{port}/api/session", json={}) as r:
        token = (await r.json())["token"]
    while time.monotonic() - since < 60:
        body = {"token": token, "text": question}
        async with http.post(f"http://127.0.0.1:{port}/api/message", json=body) as r:
            replies = (await r.json())["replies"]
        if replies and replies[0]["text"].startswith(expected):
            return time.monotonic() - since
        await asyncio.sleep(0.2)
    return float("inf")


async def expected_answer(app: App, question: str, topic: str) -> str:
    """The start of the reply a process gives once it has the change (asked here, in
    this process, after its own refresh): the topic's answer of the day, as the web shows
    it."""
    assert app.watcher is not None
    await app.watcher.refresh()
    replies = await app.conversation.handle(Incoming(
        "web", f"bench-{time.monotonic_ns()}", "bench", text=question))
    assert app.services.kb.matcher.match(question).topic == topic
    assert not app.services.kb.set_aside
    return str(render(replies[0])["text"])[:40]


async def approve_variant(app: App, n: int) -> tuple[str, str]:
    question = QUESTIONS[n % len(QUESTIONS)]
    role = StaffRole(channel="web", channel_user_id="bench-boss", role="province")
    async with app.services.sessions() as session, session.begin():
        await inbox.decide(session, role, "web:bench-boss", normalise(question), question,
                           inbox.Decision.VARIANT, TOPIC, set(app.services.kb.topics), {},
                           stored_now(app.services.clock))
    return question, TOPIC


async def edit_answer(app: App, n: int) -> tuple[str, str]:
    raw = app.services.kb.topics[TOPIC].raw
    answer = re.sub(r"^Bản sửa số \d+\. ", "", raw["answer"]["vi"])
    body = {**raw, "answer": {**raw["answer"], "vi": f"Bản sửa số {n + 1}. {answer}"}}
    await _save(app, TOPIC, body, raw)
    return "id.vn có miễn phí không", TOPIC  # answered with the new wording


async def edit_lexicon(app: App, n: int) -> tuple[str, str]:
    raw = app.services.kb.lexicon_raw or {}
    shorthand = f"tmcn{'xyzw'[n % 4]}"  # a new word each round
    body = {**raw, "abbreviations": {**raw["abbreviations"], shorthand: "ten mien ca nhan"}}
    await _save(app, LEXICON, body, raw)
    return f"{shorthand} la gi", WHAT


async def _save(app: App, subject: str, body: dict, before: dict) -> None:
    """As the console saves: over the file's version of SUBJECT."""
    files = deployed(app.config.knowledge_path)
    over = fingerprint(files.lexicon_raw if subject == LEXICON else files.topics[subject].raw)
    async with app.services.sessions() as session, session.begin():
        latest = await revisions.current(session, subject)
        await revisions.save(session, subject, body, before, over, latest.id if latest else 0,
                             "web:bench-boss", stored_now(app.services.clock))


CHANGES = {"inbox variant": approve_variant, "answer edit": edit_answer,
           "lexicon edit": edit_lexicon}


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not await reset_postgres():
        print("PostgreSQL not reachable: skipped")
        return 0
    app = await build(from_mapping({"database": {"url": PG_URL}, "log_level": "WARNING"},
                                   env={}))
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ports = [free_port(), free_port()]
        procs = [spawn(Path(tmp), port) for port in ports]
        try:
            async with aiohttp.ClientSession() as http:
                for port in ports:
                    await wait_ready(port, 60)
                for n in range(args.rounds):
                    for label, change in CHANGES.items():
                        question, topic = await change(app, n)
                        since = time.monotonic()
                        expected = await expected_answer(app, question, topic)
                        took = await asyncio.gather(*(
                            answered(http, p, question, expected, since) for p in ports))
                        results.setdefault(label, []).extend(took)
                        print(f"{label} {n + 1}: answered by both processes after "
                              f"{', '.join(f'{t:.1f}' for t in took)} s", flush=True)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
    await app.close()
    for label, took in results.items():
        print(f"{label}: median {statistics.median(took):.1f} s, worst {max(took):.1f} s "
              f"over {len(took)} process-rounds (target ≤ 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

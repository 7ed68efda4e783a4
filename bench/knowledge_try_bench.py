"""How fast the knowledge editor's "try a question" box answers.

    python bench/knowledge_try_bench.py [--rounds 40]

A province officer's browser session on the console (SQLite, in this process):
each round posts the domain.idvn.free edit form with a draft that differs from the
last (one more way to ask, so nothing is reused) and a question, and times the whole
request: the `kb check` rules on the draft, the matcher rebuilt with it, the page.
Also times the two steps alone, and beside them a full matcher rebuild. The heap is
settled first as `laocai-bot run` does (startup objects exempt from garbage
collection). Target: ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.app import build  # noqa: E402
from bot.channels.web import create_web_app  # noqa: E402
from bot.cli import settle_heap  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.console import knowledge_form  # noqa: E402
from bot.faq import editing  # noqa: E402
from knowledge.kb import lexical_matcher  # noqa: E402
from tests.support import grant  # noqa: E402
from tests.test_console import csrf_of, signed_in  # noqa: E402

TOPIC = "domain.idvn.free"
QUESTIONS = ["tên miền cho bọn sinh viên mới ra trường xài free được ko",
             "id.vn có miễn phí không", "how much is id.vn after two years",
             "e 20t dk tmien id.vn co free ko"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(label: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{label:<34} median {statistics.median(ms):6.1f} ms   p95 "
          f"{percentile(ms, 0.95):6.1f} ms   (n={len(ms)}, target ≤ 100 ms)")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = await build(from_mapping({"database": {"url": f"sqlite+aiosqlite:///{tmp}/b.db"},
                                        "log_level": "WARNING"}, env={}))
        settle_heap()  # as `laocai-bot run` does once started
        kb, folder = app.services.kb, app.config.knowledge_path
        raw = kb.topics[TOPIC].raw
        review_s: list[float] = []
        try_s: list[float] = []
        full_s: list[float] = []
        http_s: list[float] = []
        async with TestClient(TestServer(create_web_app(app))) as browser:
            await grant(app, "boss", "province")
            await signed_in(app, browser, "boss")
            csrf = await csrf_of(browser)
            for n in range(args.rounds):
                question = QUESTIONS[n % len(QUESTIONS)]
                draft = {**raw, "questions": {**raw["questions"], "vi": [
                    *raw["questions"]["vi"], f"id.vn miễn phí cho sinh viên khóa {n} không"]}}
                started = time.perf_counter()
                topic, _review = editing.review_topic(kb, folder, draft, False, date.today())
                review_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                editing.try_question(kb, topic, question)
                try_s.append(time.perf_counter() - started)
                started = time.perf_counter()  # side by side: the matcher built from scratch
                lexical_matcher({**kb.topics, TOPIC: topic}).match(question)
                full_s.append(time.perf_counter() - started)
                form = {**knowledge_form.values_of(draft), "action": "try",
                        "question": question, "csrf": csrf}
                form["questions_vi"] += f"\nid.vn có free cho lớp {n} không"
                started = time.perf_counter()
                response = await browser.post(f"/staff/knowledge/topic/{TOPIC}", data=form)
                await response.read()
                http_s.append(time.perf_counter() - started)
                assert response.status == 200 and "Kết quả" in await response.text()
        await app.close()
    report("kb check rules on the draft", review_s)
    report("matcher with the draft + match", try_s)
    report("whole request (POST → page)", http_s)
    report("(a full matcher rebuild instead)", full_s)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""FAQ speed, in process, on one core: per-question latency, throughput, load time.

    python bench/faq_bench.py

Questions: the dev and held-out sets, repeated. Also a synthetic knowledge base
10x larger (each topic copied 10 times with words shuffled in from other
topics), and the difflib baseline's time on the same questions for a ratio.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from faq_eval import DEFAULT_SETS, difflib_matcher  # noqa: E402

from knowledge import kb as knowledge_base  # noqa: E402
from knowledge.evaluation import read_eval  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402


def questions() -> list[str]:
    items = []
    for name in DEFAULT_SETS:
        items += read_eval(ROOT / "tests" / "data" / name)
    return [i.question for i in items]


def timed(match, qs: list[str], rounds: int) -> tuple[float, float]:
    """(median ms per question, questions per second), normalisation cache cleared."""
    per_question: list[float] = []
    start = time.perf_counter()
    for _ in range(rounds):
        for q in qs:
            normalise.cache_clear()  # measure the cold path, not the LRU cache
            t0 = time.perf_counter()
            match(q)
            per_question.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return statistics.median(per_question) * 1000, len(per_question) / total


def synthetic(kb: knowledge_base.KnowledgeBase, factor: int) -> Matcher:
    rng = random.Random(57)
    words = sorted({w for t in kb.topics.values() for v in t.all_variants()
                    for w in normalise(v).split()})
    topics = []
    for copy in range(factor):
        for topic in kb.topics.values():
            variants = []
            for v in topic.all_variants():
                tokens = normalise(v).split()
                if copy:
                    tokens = tokens + rng.sample(words, 2) + [f"synth{copy}x{rng.randint(0, 999)}"]
                variants.append(" ".join(tokens))
            topics.append((f"{topic.id}.{copy}", variants, list(topic.answer.values())))
    return Matcher(topics)


def main() -> int:
    t0 = time.perf_counter()
    kb = knowledge_base.load(ROOT / "knowledge")
    load_s = time.perf_counter() - t0
    qs = questions()
    kb.matcher.match("warm up")
    n_variants = len(kb.matcher.variant_text)
    print(f"knowledge load: {load_s * 1000:.0f} ms ({len(kb.topics)} topics, "
          f"{n_variants} variants)")

    ours_ms, ours_qps = timed(kb.matcher.match, qs, rounds=20)
    print(f"matcher (ours), real KB:  median {ours_ms:.3f} ms/question, {ours_qps:,.0f} q/s "
          f"({len(qs) * 20} questions)")

    t0 = time.perf_counter()
    big = synthetic(kb, 10)
    build_s = time.perf_counter() - t0
    big.match("warm up")
    big_ms, big_qps = timed(big.match, qs, rounds=5)
    print(f"matcher (ours), 10x KB:   median {big_ms:.3f} ms/question, {big_qps:,.0f} q/s "
          f"({len(big.topic_ids)} topics, {len(big.variant_text)} variants, "
          f"built in {build_s * 1000:.0f} ms)")

    diff_ms, diff_qps = timed(difflib_matcher(kb), qs, rounds=1)
    print(f"baseline difflib, real KB: median {diff_ms:.3f} ms/question, {diff_qps:,.0f} q/s")
    print(f"ratio: ours is {diff_ms / ours_ms:.0f}x faster than difflib (median latency)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""FAQ speed, in process, on one core: per-question latency, throughput, load time, memory.

    python bench/faq_bench.py

Questions: every evaluation set under tests/data, repeated, with the
normalisation cache cleared before each question (the cold path). Measured side
by side in one run: the whole understanding (clauses, lexical + learned scorer,
decision), the lexical matcher alone, the lexical matcher on a synthetic
knowledge base 10x larger, and the difflib baseline, with the ratio.
Knowledge load is timed warm (classifier from its cache) and cold (trained in
its child process, into an empty cache folder).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from faq_eval import DEFAULT_SETS, difflib_matcher  # noqa: E402

from knowledge import kb as knowledge_base  # noqa: E402
from knowledge.evaluation import read_eval  # noqa: E402
from knowledge.matcher import Match, Matcher  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402


def questions() -> list[str]:
    items = []
    for name in DEFAULT_SETS:
        items += read_eval(ROOT / "tests" / "data" / name)
    return [i.question for i in items]


def timed(match: Callable[[str], Match], qs: list[str], rounds: int) -> tuple[float, float]:
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


def load_seconds(cache: str | None) -> float:
    """Knowledge load in a fresh process (so nothing is shared with this one)."""
    env = dict(os.environ)
    if cache:
        env["LAOCAI_BOT_CACHE"] = cache
    code = ("import time; t = time.perf_counter(); from pathlib import Path; "
            "from knowledge import kb; k = kb.load(Path('knowledge')); "
            "assert k.matcher.learned is not None; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> int:
    with tempfile.TemporaryDirectory() as empty:
        cold = load_seconds(empty)
    warm = statistics.median(load_seconds(None) for _ in range(3))
    kb = knowledge_base.load(ROOT / "knowledge")
    qs = questions()
    kb.matcher.match("warm up")
    print(f"knowledge load: warm {warm * 1000:.0f} ms (median of 3), cold {cold * 1000:.0f} ms "
          f"(classifier trained); {len(kb.topics)} topics, "
          f"{len(kb.matcher.lexical.variant_text)} variants, {len(kb.out_of_scope)} refusals")

    full_ms, full_qps = timed(kb.matcher.match, qs, rounds=10)
    lex_ms, lex_qps = timed(kb.matcher.lexical.match, qs, rounds=10)
    diff_ms, diff_qps = timed(difflib_matcher(kb), qs, rounds=1)
    n = len(qs)
    print(f"understanding (ours): median {full_ms:.3f} ms/question, {full_qps:,.0f} q/s "
          f"({n * 10} questions)")
    print(f"lexical alone:        median {lex_ms:.3f} ms/question, {lex_qps:,.0f} q/s")
    print(f"baseline difflib:     median {diff_ms:.3f} ms/question, {diff_qps:,.0f} q/s")
    print(f"ratio: ours is {diff_ms / full_ms:.1f}x faster than difflib (median latency, "
          f"same run)")

    t0 = time.perf_counter()
    big = synthetic(kb, 10)
    build_s = time.perf_counter() - t0
    big.match("warm up")
    big_ms, big_qps = timed(big.match, qs, rounds=2)
    print(f"lexical, 10x KB:      median {big_ms:.3f} ms/question, {big_qps:,.0f} q/s "
          f"({len(big.topic_ids)} topics, {len(big.variant_text)} variants, "
          f"built in {build_s * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

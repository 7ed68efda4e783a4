"""FAQ evaluation with two baselines, for any file shaped like shared/eval/faq-dev.yaml.

    python bench/faq_eval.py [FILE ...]     (default: every set under tests/data)

Sets: the public dev set (a copy of shared/eval/faq-dev.yaml, used to calibrate),
the first own held-out set (faq-holdout.yaml, written with the first knowledge
base, seen while tuning it), and the held-out sets of 2026-12-02 (faq-heldout-2026a/b,
written from the topic descriptions by someone who never saw the knowledge base,
frozen before tuning: only their totals were looked at).

Baselines (answer when the best score passes a conventional cut-off, else fall back):
- difflib: stdlib SequenceMatcher over the same normalised variants (cut-off 0.6,
  difflib.get_close_matches' default);
- WRatio: plain rapidfuzz WRatio over the raw variants, no normalisation (cut-off 80).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import kb as knowledge_base  # noqa: E402
from knowledge.evaluation import STYLES, evaluate, read_eval, style_of  # noqa: E402
from knowledge.matcher import ANSWER, FALLBACK, Match  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402


def difflib_matcher(kb: knowledge_base.KnowledgeBase, cutoff: float = 0.6):
    variants = [(normalise(v), t.id) for t in kb.topics.values() for v in t.all_variants()]

    def match(question: str) -> Match:
        q = normalise(question)
        best: dict[str, float] = {}
        for text, topic in variants:
            score = difflib.SequenceMatcher(None, q, text).ratio()
            if score > best.get(topic, 0.0):
                best[topic] = score
        ranked = sorted(best.items(), key=lambda x: x[1], reverse=True)
        top, score = ranked[0]
        if score >= cutoff:
            return Match(ANSWER, top, score, ranked[:3])
        return Match(FALLBACK, None, score, ranked[:3])

    return match


def wratio_matcher(kb: knowledge_base.KnowledgeBase, cutoff: float = 80):
    variants = [(v, t.id) for t in kb.topics.values() for v in t.all_variants()]
    texts = [v for v, _ in variants]

    def match(question: str) -> Match:
        found = process.extract(question, texts, scorer=fuzz.WRatio, limit=30)
        ranked: list[tuple[str, float]] = []
        for _, score, index in found:
            topic = variants[index][1]
            if topic not in dict(ranked):
                ranked.append((topic, score / 100))
        if not ranked:
            return Match(FALLBACK, None, 0.0, [])
        top, score = ranked[0]
        if score * 100 >= cutoff:
            return Match(ANSWER, top, score, ranked[:3])
        return Match(FALLBACK, None, score, ranked[:3])

    return match


DEFAULT_SETS = ["faq-dev.yaml", "faq-holdout.yaml", "faq-heldout-2026a.yaml",
                "faq-heldout-2026b.yaml"]


def main(paths: list[str], failures: bool = False) -> int:
    kb = knowledge_base.load(ROOT / "knowledge")
    matchers = {
        "ours (lexical + learned)": kb.matcher.match,
        "ours, lexical only": kb.matcher.lexical.match,
        "baseline difflib": difflib_matcher(kb),
        "baseline WRatio": wratio_matcher(kb),
    }
    for path in paths:
        items = read_eval(Path(path))
        n_in = sum(1 for i in items if i.accepted)
        print(f"\n{path}: {n_in} in scope, {len(items) - n_in} out of scope")
        for name, match in matchers.items():
            report = evaluate(name, items, match)
            print("  " + report.line())
            if failures and name.startswith("ours (") and "heldout" not in path:
                print("\n".join(f"      {line}" for line in report.failures))
        by_style(kb, items)
    return 0


def by_style(kb: knowledge_base.KnowledgeBase, items: list) -> None:
    """Our figures per writing style (in scope), and refusals per style (out of scope)."""
    is_english = lambda q: kb.detect_language(q) == "en"  # noqa: E731
    for style in STYLES:
        chosen = [i for i in items if style_of(i.question, is_english) == style]
        if chosen:
            report = evaluate(f"  by style: {style}", chosen, kb.matcher.match)
            print(f"  {report.line()}  (n = {report.in_scope} + {report.out_of_scope})")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--failures"]
    sets = args or [str(ROOT / "tests" / "data" / name) for name in DEFAULT_SETS]
    sys.exit(main(sets, failures="--failures" in sys.argv))

"""FAQ evaluation over files in the format of shared/eval/faq-dev.yaml."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.matcher import ANSWER, Match


@dataclass(frozen=True)
class EvalItem:
    question: str
    accepted: frozenset[str]  # empty for out-of-scope


@dataclass
class EvalReport:
    name: str
    in_scope: int
    out_of_scope: int
    correct: int
    wrong: int
    suggested_right: int
    rejected: int
    reciprocal_rank_sum: float
    failures: list[str]

    @property
    def correct_rate(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.in_scope if self.in_scope else 0.0

    @property
    def suggested_rate(self) -> float:
        return self.suggested_right / self.in_scope if self.in_scope else 0.0

    @property
    def rejected_rate(self) -> float:
        return self.rejected / self.out_of_scope if self.out_of_scope else 1.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank_sum / self.in_scope if self.in_scope else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<28} correct {self.correct_rate:6.1%}  wrong {self.wrong_rate:5.1%}  "
            f"right-in-suggestions {self.suggested_rate:5.1%}  "
            f"out-of-scope rejected {self.rejected_rate:6.1%}  MRR {self.mrr:.3f}"
        )


def read_eval(path: Path) -> list[EvalItem]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = [
        EvalItem(str(e["q"]), frozenset([e["topic"], *(e.get("accept") or [])]))
        for e in data.get("in_scope") or []
    ]
    items += [EvalItem(str(q), frozenset()) for q in data.get("out_of_scope") or []]
    return items


def evaluate(name: str, items: list[EvalItem], match: Callable[[str], Match]) -> EvalReport:
    report = EvalReport(name, 0, 0, 0, 0, 0, 0, 0.0, [])
    for item in items:
        result = match(item.question)
        if not item.accepted:
            report.out_of_scope += 1
            if result.outcome != ANSWER:
                report.rejected += 1
            else:
                report.failures.append(
                    f"OOS answered {result.topic} ({result.score:.2f}): {item.question}"
                )
            continue
        report.in_scope += 1
        ranked = [topic for topic, _ in result.ranked]
        for rank, topic in enumerate(ranked[:10], start=1):
            if topic in item.accepted:
                report.reciprocal_rank_sum += 1.0 / rank
                break
        if result.outcome == ANSWER:
            if result.topic in item.accepted:
                report.correct += 1
            else:
                report.wrong += 1
                report.failures.append(
                    f"WRONG {result.topic} ({result.score:.2f}) "
                    f"want {sorted(item.accepted)}: {item.question}"
                )
        else:
            if any(t in item.accepted for t in result.suggestions):
                report.suggested_right += 1
            top = result.ranked[0] if result.ranked else ("-", 0)
            report.failures.append(
                f"{result.outcome.upper()} top {top[0]} ({top[1]:.2f}) "
                f"want {sorted(item.accepted)}: {item.question}"
            )
    return report


# Chat shorthand that marks a message as teencode (folded tokens).
_SHORTHAND = frozenset(
    "e mik mk ko k kh dc dk j bn ntn ad z hok wa r ak mn vs ms t tks".split()  # noqa: SIM905
)
STYLES = ("English", "long (25+ words)", "short (1-3 words)", "shorthand",
          "unaccented", "with diacritics")


def style_of(question: str, is_english: Callable[[str], bool]) -> str:
    """The writing style of an evaluation question, told from the text alone."""
    from knowledge.folding import fold, has_vietnamese_marks

    words = fold(question).split()
    if is_english(question):
        return "English"
    if len(words) >= 25:
        return "long (25+ words)"
    if len(words) <= 3:
        return "short (1-3 words)"
    if any(w.strip("?.,!") in _SHORTHAND for w in words):
        return "shorthand"
    return "with diacritics" if has_vietnamese_marks(question) else "unaccented"

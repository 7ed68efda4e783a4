"""Which topic answers a message: the lexical matcher and the learned scorer, judged together.

The lexical matcher (knowledge/matcher.py) knows when words are missing or
unknown, so it abstains honestly; the learned scorer (knowledge/classifier.py)
recognises phrasing it has never seen word for word, and says how likely the
message is none of the topics. Their blend decides:

- **answer** when one topic clearly leads (a lower score will do when the lead
  is wide), unless the lexical evidence is too thin or the message looks out of
  scope — a learned scorer alone answers anything that shares letters with a topic;
- **suggest** the topics that are genuinely close;
- **fallback** otherwise.

Long messages are read through knowledge/focus.py: the question clauses first,
the context as weaker evidence; a second question becomes `Match.also`.
The thresholds come from cross-validation on the knowledge variants and the
public dev set (bench/calibrate_faq.py), never from a held-out set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.classifier import LearnedScorer
from knowledge.focus import focus
from knowledge.matcher import ANSWER, FALLBACK, SUGGEST, Match, Matcher
from knowledge.normalise import normalise

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Policy:
    """Decision thresholds; the defaults are bench/calibrate_faq.py's choice (C=8, 5 folds)."""

    lexical_share: float = 0.4  # weight of the lexical score in the blend
    sure: float = 0.55  # answers even with a close runner-up
    answer: float = 0.35  # answers when it leads by `lead`
    lead: float = 0.15
    agreed: float = 0.40  # answers when both scorers put the same topic first
    tie: float = 0.03  # another topic this close on lexical evidence makes it a tie…
    tie_break: float = 0.80  # …which only a learned probability this high breaks
    suggest: float = 0.25  # below: "I don't know"
    close: float = 0.20  # suggestions within this of the top
    lexical_floor: float = 0.25  # less lexical evidence than this never answers
    out_of_scope: float = 0.50  # the learned scorer's "none of these" that vetoes an answer
    context_share: float = 1.00  # the whole message counts this much beside its questions


@dataclass
class Evidence:
    """Scores per topic from both scorers for one piece of text."""

    lexical: dict[str, float] = field(default_factory=dict)
    learned: dict[str, float] = field(default_factory=dict)
    out_of_scope: float = 0.30

    def merged(self, other: Evidence, share: float) -> Evidence:
        """Per topic, the stronger of this and `share` × OTHER (context as weaker evidence)."""
        def best(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
            return {t: max(a.get(t, 0.0), share * b.get(t, 0.0)) for t in a.keys() | b.keys()}

        return Evidence(best(self.lexical, other.lexical), best(self.learned, other.learned),
                        min(self.out_of_scope, max(other.out_of_scope, 1 - share)))


def leading_topic(scores: dict[str, float]) -> str | None:
    return max(scores, key=scores.__getitem__) if scores else None


class Understanding:
    """`match(text) -> Match`, read-only after construction."""

    def __init__(self, lexical: Matcher, learned: LearnedScorer | None,
                 policy: Policy | None = None) -> None:
        self.lexical = lexical
        self.learned = learned
        self.policy = policy or Policy()
        if learned is None:  # lexical alone: its own calibrated thresholds
            self.policy = Policy(lexical_share=1.0, sure=lexical.thresholds.sure,
                                 answer=lexical.thresholds.answer,
                                 lead=lexical.thresholds.margin,
                                 agreed=lexical.thresholds.sure,
                                 suggest=lexical.thresholds.suggest, out_of_scope=1.01, tie=-1.0,
                                 lexical_floor=0.0)

    @property
    def topic_ids(self) -> list[str]:
        return self.lexical.topic_ids

    def evidence(self, text: str) -> Evidence:
        lexical = dict(self.lexical.score(text)[:10])
        if self.learned is None:
            return Evidence(lexical, {}, 0.0)
        predicted = self.learned.predict(normalise(text))
        return Evidence(lexical, predicted.topics, predicted.out_of_scope)

    def decide(self, evidence: Evidence) -> Match:
        p = self.policy
        share = p.lexical_share
        combined = {
            t: share * evidence.lexical.get(t, 0.0) + (1 - share) * evidence.learned.get(t, 0.0)
            for t in evidence.lexical.keys() | evidence.learned.keys()
        }
        ranked = sorted(combined.items(), key=lambda item: item[1], reverse=True)
        ranked = [(t, round(s, 4)) for t, s in ranked[:10] if s > 0]
        if not ranked:
            return Match(FALLBACK, None, 0.0, [])
        top_topic, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        agreed = leading_topic(evidence.lexical) == leading_topic(evidence.learned) == top_topic
        clear = (top >= p.sure or (top >= p.answer and top - runner_up >= p.lead)
                 or (agreed and top >= p.agreed))
        lexical_top = evidence.lexical.get(top_topic, 0.0)
        tied = any(s >= lexical_top - p.tie for t, s in evidence.lexical.items() if t != top_topic)
        vetoed = (lexical_top < p.lexical_floor or evidence.out_of_scope >= p.out_of_scope
                  or (tied and evidence.learned.get(top_topic, 0.0) < p.tie_break))
        if clear and not vetoed:
            return Match(ANSWER, top_topic, top, ranked[:MAX_SUGGESTIONS])
        if top >= p.suggest:
            floor = max(p.suggest, top - p.close)
            rivals = {t for t, s in evidence.lexical.items() if s >= lexical_top - p.tie}
            near = [(t, s) for t, s in ranked if s >= floor or (tied and t in rivals)]
            return Match(SUGGEST, None, top, near[:MAX_SUGGESTIONS])
        return Match(FALLBACK, None, top, ranked[:MAX_SUGGESTIONS])

    def read(self, text: str) -> tuple[Evidence, tuple[str, ...]]:
        """The evidence for TEXT (questions first, context weaker) and its question clauses."""
        parts = focus(text)
        if parts.only_filler or not parts.main:
            return self.evidence(text), ()
        evidence = self.evidence(parts.main)
        if parts.context and parts.context != parts.main:
            evidence = evidence.merged(self.evidence(parts.context), self.policy.context_share)
        return evidence, parts.questions

    def match(self, text: str) -> Match:
        evidence, questions = self.read(text)
        result = self.decide(evidence)
        if len(questions) < 2:
            return result
        return self._several(result, questions)  # focus keeps at most four

    def _several(self, result: Match, questions: tuple[str, ...]) -> Match:
        """Answer the main question; the other answerable ones become `also`."""
        answered = []
        for question in questions:
            single = self.decide(self.evidence(question))
            if single.outcome == ANSWER and single.topic not in answered:
                answered.append(single.topic)
        if result.outcome != ANSWER and answered:
            result = Match(ANSWER, answered[0], result.score, result.ranked)
        result.also = [t for t in answered if t and t != result.topic][:2]
        return result

"""FAQ matching: which topic answers a message, or none.

Every question variant is normalised once at load. A message is scored against
each variant by how much of the message's weight the variant covers *and* how
much of the variant's weight the message covers (weights are IDF over topics,
on syllables and syllable pairs). Two-way coverage is what lets the matcher
abstain: "đăng ký kết hôn cần giấy tờ gì" shares many words with "đăng ký id.vn
cần giấy tờ gì" but misses the variant's rare word (id.vn) and brings rare
words of its own, so it stays below the answer threshold. Saturating scorers
such as WRatio or token_set_ratio score both at 100 and cannot tell them apart.

An inverted index keeps a query to the variants that share a feature with it,
so the cost grows with the overlap, not with the size of the knowledge base.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from knowledge.folding import fold
from knowledge.normalise import normalise

ANSWER = "answer"
SUGGEST = "suggest"
FALLBACK = "fallback"

# Words that carry little meaning in a question; their weight is damped.
STOPWORDS = frozenset(
    """
    la gi thi ma a ah nhe nha nhi oi vay the nao co khong duoc cua cho va voi o de em
    anh chi minh toi ban ad admin bot cac nhung mot nay do day kia ra vao len roi se
    dang da cung rat thi hay hoac neu khi nhu bi boi tai ve tu den tren trong duoi sau
    truoc nua con moi lam can muon biet xin hoi giup a. u uh ok oke vang what is are the
    a an of to in for on do does i my me you your can how when where who which it this
    that be please tell about and or with
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NUMBER = re.compile(r"^\d+$")
ACCENT_MISMATCH = 0.25  # a typed word whose marks the knowledge base never uses
_WORD = re.compile(r"\w+")
NOVEL_PAIR = 1.0  # weight share of an unseen pair of content words
SUPPORT_DISCOUNT = 0.6  # a word found only in a topic's answer counts this much
VARIANT_SHARE = 0.6  # blend of best-variant score and whole-topic coverage


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.53
    suggest: float = 0.33
    margin: float = 0.04
    sure: float = 0.70


@dataclass
class Match:
    outcome: str
    topic: str | None
    score: float
    ranked: list[tuple[str, float]] = field(default_factory=list)
    also: list[str] = field(default_factory=list)  # topics of other questions in the message

    @property
    def suggestions(self) -> list[str]:
        return [topic for topic, _ in self.ranked[:3]]


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """Words repeat across thousands of variants: a rebuild (a console draft) folds each once."""
    return fold(word)


def _features(tokens: Sequence[str]) -> list[str]:
    feats = list(dict.fromkeys(tokens))
    feats.extend(dict.fromkeys(f"{a}_{b}" for a, b in itertools.pairwise(tokens)))
    return feats


class Matcher:
    """Built once from (topic id, question variants) pairs; `match` is read-only."""

    def __init__(
        self,
        topics: Iterable[tuple[str, Sequence[str], Sequence[str]]],
        thresholds: Thresholds | None = None,
    ) -> None:
        """TOPICS yields (id, question variants, supporting texts such as answers)."""
        self.thresholds = thresholds or Thresholds()
        self.topic_ids: list[str] = []
        self.variant_topic: list[int] = []
        self.variant_text: list[str] = []
        # Accented spellings seen per folded word: "máy" (machine) typed by a
        # user must not count as the knowledge base's "mấy" (how many).
        self.accent_forms: dict[str, set[str]] = defaultdict(set)
        # Per matcher, so the drafts the console tries do not evict (or keep alive) the
        # live matcher's corrections.
        self._correct = lru_cache(maxsize=16384)(self._correct_typo)
        variant_feats, topic_feats, support_feats = self._read(topics)
        self._weigh(topic_feats, support_feats)
        self._index(variant_feats, topic_feats, support_feats)

    def _read(self, topics: Iterable[tuple[str, Sequence[str], Sequence[str]]]
              ) -> tuple[list[list[str]], list[set[str]], list[set[str]]]:
        """Normalise every variant once: features per variant, per topic, per topic's answer."""
        variant_feats: list[list[str]] = []
        topic_feats: list[set[str]] = []
        support_feats: list[set[str]] = []
        for topic_id, variants, support in topics:
            for text in (*variants, *support):
                for word in _WORD.findall(text.lower()):
                    self.accent_forms[_fold_word(word)].add(word)
            index = len(self.topic_ids)
            self.topic_ids.append(topic_id)
            bag: set[str] = set()
            for text in variants:
                norm = normalise(text)
                if not norm:
                    continue
                feats = _features(norm.split())
                self.variant_topic.append(index)
                self.variant_text.append(norm)
                variant_feats.append(feats)
                bag.update(feats)
            topic_feats.append(bag)
            extra: set[str] = set()
            for text in support:
                extra.update(_features(normalise(text).split()))
            support_feats.append(extra - bag)
        return variant_feats, topic_feats, support_feats

    def _weigh(self, topic_feats: list[set[str]], support_feats: list[set[str]]) -> None:
        """IDF over topics; filler words and numbers damped; pairs from their words."""
        n_topics = max(len(self.topic_ids), 1)
        df: dict[str, int] = defaultdict(int)
        for bag, extra in zip(topic_feats, support_feats, strict=True):
            for feat in bag | extra:
                df[feat] += 1
        self.idf: dict[str, float] = {}
        for feat, count in df.items():
            if "_" in feat:
                continue
            weight = math.log(1.0 + n_topics / count)
            if feat in STOPWORDS:
                weight *= 0.15
            elif _NUMBER.match(feat):
                weight *= 0.6
            self.idf[feat] = weight
        # A pair of syllables ("giấy tờ") weighs the geometric mean of its own
        # rarity and its words' weight, so filler pairs ("tờ gì") stay light.
        for feat, count in df.items():
            if "_" in feat:
                left, right = feat.split("_", 1)
                words = (self.idf.get(left, 0.0) + self.idf.get(right, 0.0)) / 2
                self.idf[feat] = math.sqrt(math.log(1.0 + n_topics / count) * words)
        self.unknown_weight = math.log(1.0 + n_topics / 1.0) * 0.9

    def _index(self, variant_feats: list[list[str]], topic_feats: list[set[str]],
               support_feats: list[set[str]]) -> None:
        """Inverted indexes: a query touches only the variants and topics sharing a feature."""
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.variant_weight: list[float] = []
        for vid, feats in enumerate(variant_feats):
            for feat in feats:
                self.postings[feat].append(vid)
            self.variant_weight.append(sum(self.idf[f] for f in feats) or 1.0)
        # Topic-level postings: a question may mix words from several variants
        # of one topic, or use words that only its answer contains (discounted).
        self.topic_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for tid, (bag, extra) in enumerate(zip(topic_feats, support_feats, strict=True)):
            for feat in bag:
                self.topic_postings[feat].append((tid, 1.0))
            for feat in extra:
                self.topic_postings[feat].append((tid, SUPPORT_DISCOUNT))
        self.vocabulary = sorted(f for f in self.idf if "_" not in f and len(f) >= 3)

    # -- query side ---------------------------------------------------------

    def _correct_typo(self, token: str) -> tuple[str, bool]:
        """Map a typo onto a known syllable (one edit for short words, two for long)."""
        if token in self.idf or len(token) < 4 or _NUMBER.match(token) or "." in token:
            return token, False
        limit = 1 if len(token) <= 6 else 2
        found = process.extractOne(
            token, self.vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=limit
        )
        if found is None:
            return token, False
        return found[0], True

    def _accent_mismatches(self, text: str) -> set[str]:
        out: set[str] = set()
        for word in _WORD.findall(text.lower()):
            folded = fold(word)
            forms = self.accent_forms.get(folded)
            if folded != word and forms and word not in forms:
                out.add(folded)
        return out

    def _query_weights(self, text: str, norm: str) -> tuple[dict[str, float], dict[str, float]]:
        """(weight of each query feature, share of it that may count as a match)."""
        tokens: list[str] = []
        credit: dict[str, float] = {}
        for token in self._accent_mismatches(text):
            credit[token] = ACCENT_MISMATCH
        for raw in norm.split():
            token, corrected = self._correct(raw)
            tokens.append(token)
            if corrected:
                credit[token] = min(credit.get(token, 1.0), 0.8)
        weights: dict[str, float] = {}
        for feat in _features(tokens):
            if "_" in feat and feat in self.idf:
                left, right = feat.split("_", 1)
                credit[feat] = min(credit.get(left, 1.0), credit.get(right, 1.0))
            if feat in self.idf:
                weights[feat] = self.idf[feat]
            elif "_" in feat:
                # Two content words never paired in the knowledge base often
                # form a compound it does not know ("khai sinh", "xe máy").
                left, right = feat.split("_", 1)
                if NOVEL_PAIR and left not in STOPWORDS and right not in STOPWORDS:
                    words = (weights.get(left, 0.0) + weights.get(right, 0.0)) / 2
                    weights[feat] = NOVEL_PAIR * math.sqrt(self.unknown_weight * words)
            elif feat in STOPWORDS:
                weights[feat] = 0.1
            elif _NUMBER.match(feat):
                weights[feat] = 0.4
            else:
                weights[feat] = self.unknown_weight
        return weights, credit

    def score(self, text: str) -> list[tuple[str, float]]:
        """All topics sharing a feature with TEXT, best first (score in 0..1)."""
        norm = normalise(text)
        if not norm:
            return []
        weights, credit = self._query_weights(text, norm)
        total = sum(weights.values())
        if total <= 0:
            return []
        matched: dict[int, float] = defaultdict(float)
        covered: dict[int, float] = defaultdict(float)
        for feat, full in weights.items():
            weight = full * credit.get(feat, 1.0)
            for vid in self.postings.get(feat, ()):
                matched[vid] += weight
            for tid, share in self.topic_postings.get(feat, ()):
                covered[tid] += weight * share
        best: dict[int, float] = {}
        for vid, overlap in matched.items():
            cover_query = overlap / total
            cover_variant = min(overlap / self.variant_weight[vid], 1.0)
            value = cover_query**0.55 * cover_variant**0.45
            topic = self.variant_topic[vid]
            if value > best.get(topic, 0.0):
                best[topic] = value
        scores = {
            topic: VARIANT_SHARE * value + (1 - VARIANT_SHARE) * covered[topic] / total
            for topic, value in best.items()
        }
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return [(self.topic_ids[t], round(s, 4)) for t, s in ranked]

    def match(self, text: str) -> Match:
        ranked = self.score(text)
        if not ranked:
            return Match(FALLBACK, None, 0.0, [])
        th = self.thresholds
        top_topic, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= th.sure or (top >= th.answer and top - runner_up >= th.margin):
            return Match(ANSWER, top_topic, top, ranked[:3])
        if top >= th.suggest:
            return Match(SUGGEST, None, top, [r for r in ranked[:3] if r[1] >= th.suggest])
        return Match(FALLBACK, None, top, ranked[:3])

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

import copy
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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


MAX_CORRECTIONS = 16384  # typo corrections remembered per matcher


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """Words repeat across thousands of variants: a rebuild (a console draft) folds each once."""
    return fold(word)


def _features(tokens: Sequence[str]) -> list[str]:
    feats = list(dict.fromkeys(tokens))
    feats.extend(dict.fromkeys(f"{a}_{b}" for a, b in itertools.pairwise(tokens)))
    return feats


@dataclass(frozen=True)
class _TopicRead:
    """One topic's texts, normalised once: what a rebuild with one topic changed reuses."""

    texts: tuple[str, ...]  # normalised variants
    feats: tuple[list[str], ...]  # features per variant
    bag: frozenset[str]  # every variant's features
    extra: frozenset[str]  # features only its supporting texts (answers) have
    words: frozenset[tuple[str, str]]  # (folded, as written) of every word


def _read_topic(variants: Sequence[str], support: Sequence[str]) -> _TopicRead:
    words = {(_fold_word(word), word) for text in (*variants, *support)
             for word in _WORD.findall(text.lower())}
    texts: list[str] = []
    feats: list[list[str]] = []
    for text in variants:
        norm = normalise(text)
        if norm:
            texts.append(norm)
            feats.append(_features(norm.split()))
    bag = frozenset(itertools.chain.from_iterable(feats))
    extra: set[str] = set()
    for text in support:
        extra.update(_features(normalise(text).split()))
    return _TopicRead(tuple(texts), tuple(feats), bag, frozenset(extra - bag), frozenset(words))


class Matcher:
    """Built once from (topic id, question variants) pairs; `match` is read-only."""

    def __init__(
        self,
        topics: Iterable[tuple[str, Sequence[str], Sequence[str]]],
        thresholds: Thresholds | None = None,
    ) -> None:
        """TOPICS yields (id, question variants, supporting texts such as answers)."""
        self.thresholds = thresholds or Thresholds()
        self._assemble({tid: _read_topic(variants, support) for tid, variants, support in topics})

    def with_topic(self, topic_id: str, variants: Sequence[str], support: Sequence[str]
                   ) -> Matcher:
        """This matcher with one topic replaced (or added): the console's "try a question".
        Scores as a full build would; a replaced topic recomputes only the features its
        old or new version has (a few ms), a new topic rebuilds the indexes."""
        read = _read_topic(variants, support)
        draft = copy.copy(self)
        draft._corrections = {}
        if topic_id in self._reads:
            draft._replace(self.topic_ids.index(topic_id), read)
        else:
            draft._assemble({**self._reads, topic_id: read})
        return draft

    def _replace(self, tid: int, read: _TopicRead) -> None:
        """Copy-on-write: every container changed here is a new one; the rest is shared."""
        topic_id = self.topic_ids[tid]
        old = self._reads[topic_id]
        self._reads = {**self._reads, topic_id: read}
        gone = {vid for vid, t in enumerate(self.variant_topic) if t == tid} - self._dead
        self._dead = self._dead | gone
        first = len(self.variant_topic)
        self.variant_topic = [*self.variant_topic, *([tid] * len(read.texts))]
        self.variant_text = [*self.variant_text, *read.texts]
        self._variant_feats = [*self._variant_feats, *read.feats]
        changed = self._reweigh(old.bag | old.extra, read.bag | read.extra)
        added: dict[str, list[int]] = defaultdict(list)
        for i, feats in enumerate(read.feats):
            for feat in feats:
                added[feat].append(first + i)
        touched = {f for vid in gone for f in self._variant_feats[vid]} | set(added)
        self.postings = dict(self.postings)
        for feat in touched:
            kept = [v for v in self.postings.get(feat, ()) if v not in gone]
            self._set(self.postings, feat, kept + added.get(feat, []))
        self.variant_weight = [*self.variant_weight, *([0.0] * len(read.texts))]
        stale = {vid for f in changed | touched for vid in self.postings.get(f, ())}
        weight = self.idf.__getitem__
        for vid in stale:
            self.variant_weight[vid] = sum(map(weight, self._variant_feats[vid])) or 1.0
        self.topic_postings = dict(self.topic_postings)
        for feat in old.bag | old.extra | read.bag | read.extra:
            share = 1.0 if feat in read.bag else SUPPORT_DISCOUNT if feat in read.extra else 0
            kept_topics = [(t, s) for t, s in self.topic_postings.get(feat, ()) if t != tid]
            self._set(self.topic_postings, feat, kept_topics + ([(tid, share)] if share else []))
        self._accents()
        self.vocabulary = sorted(f for f in self.idf if "_" not in f and len(f) >= 3)

    @staticmethod
    def _set(index: dict[str, list[Any]], feat: str, entries: list[Any]) -> None:
        if entries:
            index[feat] = entries
        else:
            index.pop(feat, None)

    def _reweigh(self, old: frozenset[str], new: frozenset[str]) -> set[str]:
        """New document frequencies and weights for the features one topic gained or lost,
        and for the pairs made of those words; returns the features whose weight changed."""
        self._df = self._df.copy()
        self._df.subtract(old - new)
        self._df.update(new - old)
        self.idf = dict(self.idf)
        n_topics = max(len(self.topic_ids), 1)
        changed = set(old ^ new)
        for feat in [f for f in changed if "_" not in f]:
            self._weigh_word(feat, n_topics)
        words = {f for f in changed if "_" not in f}
        pairs = {f for f in self._df if "_" in f and (f in changed or set(f.split("_", 1)) & words)}
        pairs |= {f for f in changed if "_" in f}
        for feat in pairs:
            self._weigh_pair(feat, n_topics)
        return changed | pairs

    def _assemble(self, reads: dict[str, _TopicRead]) -> None:
        self._reads = reads
        self._dead: frozenset[int] | set[int] = frozenset()  # variants of replaced versions
        self.topic_ids: list[str] = list(reads)
        self.variant_topic: list[int] = [i for i, r in enumerate(reads.values()) for _ in r.texts]
        self.variant_text: list[str] = [t for r in reads.values() for t in r.texts]
        self._variant_feats: list[list[str]] = [f for r in reads.values() for f in r.feats]
        self._accents()
        # Per matcher, so the drafts the console tries do not evict the live matcher's
        # corrections; a plain dict, not a cycle, so a draft is freed as soon as it is done.
        self._corrections: dict[str, tuple[str, bool]] = {}
        topic_feats = [r.bag for r in reads.values()]
        support_feats = [r.extra for r in reads.values()]
        self._weigh(topic_feats, support_feats)
        self._index(self._variant_feats, topic_feats, support_feats)

    def _accents(self) -> None:
        # Accented spellings seen per folded word: "máy" (machine) typed by a
        # user must not count as the knowledge base's "mấy" (how many).
        self.accent_forms: dict[str, set[str]] = defaultdict(set)
        for read in self._reads.values():
            for folded, word in read.words:
                self.accent_forms[folded].add(word)

    def _weigh(self, topic_feats: Sequence[frozenset[str]],
               support_feats: Sequence[frozenset[str]]) -> None:
        """IDF over topics; filler words and numbers damped; pairs from their words."""
        n_topics = max(len(self.topic_ids), 1)
        self._df = Counter(itertools.chain.from_iterable(
            bag | extra for bag, extra in zip(topic_feats, support_feats, strict=True)))
        self.idf: dict[str, float] = {}
        for feat in self._df:
            if "_" not in feat:
                self._weigh_word(feat, n_topics)
        for feat in self._df:
            if "_" in feat:
                self._weigh_pair(feat, n_topics)
        self.unknown_weight = math.log(1.0 + n_topics / 1.0) * 0.9

    def _weigh_word(self, feat: str, n_topics: int) -> None:
        count = self._df.get(feat, 0)
        if count <= 0:
            self.idf.pop(feat, None)
            return
        weight = math.log(1.0 + n_topics / count)
        if feat in STOPWORDS:
            weight *= 0.15
        elif _NUMBER.match(feat):
            weight *= 0.6
        self.idf[feat] = weight

    def _weigh_pair(self, feat: str, n_topics: int) -> None:
        """A pair of syllables ("giấy tờ") weighs the geometric mean of its own rarity and
        its words' weight, so filler pairs ("tờ gì") stay light."""
        count = self._df.get(feat, 0)
        if count <= 0:
            self.idf.pop(feat, None)
            return
        left, right = feat.split("_", 1)
        words = (self.idf.get(left, 0.0) + self.idf.get(right, 0.0)) / 2
        self.idf[feat] = math.sqrt(math.log(1.0 + n_topics / count) * words)

    def _index(self, variant_feats: list[list[str]], topic_feats: Sequence[frozenset[str]],
               support_feats: Sequence[frozenset[str]]) -> None:
        """Inverted indexes: a query touches only the variants and topics sharing a feature."""
        self.postings: dict[str, list[int]] = defaultdict(list)
        for vid, feats in enumerate(variant_feats):
            for feat in feats:
                self.postings[feat].append(vid)
        weight = self.idf.__getitem__
        self.variant_weight: list[float] = [sum(map(weight, feats)) or 1.0
                                            for feats in variant_feats]
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

    def _correct(self, token: str) -> tuple[str, bool]:
        found = self._corrections.get(token)
        if found is None:
            found = self._correct_typo(token)
            if len(self._corrections) < MAX_CORRECTIONS:
                self._corrections[token] = found
        return found

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

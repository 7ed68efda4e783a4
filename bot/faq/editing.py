"""A console draft of a topic or the lexicon: the `kb check` rules applied before saving,
and "try a question" with the draft in place.

Problems are catalogue keys with values, so the console says them in the reader's
language; a structural problem the loader found is passed on as its own detail line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.faq.check import (
    NEAR_DUPLICATE,
    missing_facts,
    must_mention,
    near_duplicate,
    numbers_differ,
    topic_problems,
)
from knowledge.kb import LANGUAGES, KnowledgeBase, Topic, parse_topic
from knowledge.lexicon import SYNONYMS, lexicon_from_data
from knowledge.matcher import Match
from knowledge.normalise import normalise
from knowledge.overlay import LEXICON, console_file
from knowledge.understanding import Understanding

REMOVALS_NOTED = 5  # a lexicon edit removing more entries asks for a tick
LONG_ANSWER = 1900  # one Zalo message (the shortest limit of the channels): longer is split
MAX_ANSWER = 20_000
MAX_LABEL = 60  # a button's label on a phone
_CATEGORY = re.compile(r"[a-z0-9_]{1,40}")
FAR_AHEAD = timedelta(days=2 * 366)  # a dated answer further ahead hides the standing one
_WHERE = re.compile(r"^.*?: (?:topic [^:]+: )?")


@dataclass(frozen=True)
class Problem:
    key: str  # a catalogue key
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _detail(problem: str) -> Problem:
    """The loader's wording, less the file path and topic staff did not type."""
    return Problem("knowledge_invalid", {"detail": _WHERE.sub("", problem, count=1)})


def draft_topic(kb: KnowledgeBase, folder: Path, raw: dict[str, Any]
                ) -> tuple[Topic | None, Review]:
    """Parse RAW as its file would; errors for what loading refuses and empty answers."""
    review = Review()
    answer = raw.get("answer") or {}
    empty = [lang for lang in LANGUAGES if not str(answer.get(lang, "")).strip()]
    review.errors += [Problem("knowledge_empty_answer", {"language": lang}) for lang in empty]
    current = kb.topics.get(str(raw.get("id")))
    topic, problems = parse_topic(raw, current.file if current else console_file(folder))
    review.errors += [_detail(p) for p in problems
                      if not (empty and ": answer." in p and "missing or empty" in p)]
    return topic, review


def review_topic(kb: KnowledgeBase, folder: Path, raw: dict[str, Any], new: bool,
                 today: date) -> tuple[Topic | None, Review]:
    """What `kb check` would say of the knowledge base with this draft saved."""
    topic, review = draft_topic(kb, folder, raw)
    if topic is None:
        return None, review
    if new and topic.id in kb.topics:
        review.errors.append(Problem("knowledge_id_taken", {"topic": topic.id}))
    if new and not _CATEGORY.fullmatch(topic.category):
        review.errors.append(Problem("knowledge_bad_category"))
    review.errors += [Problem("knowledge_long_label", {"label": label[:40], "most": MAX_LABEL})
                      for option in topic.options for label in option.label.values()
                      if len(label) > MAX_LABEL]
    for ref in topic.related + [o.topic for o in topic.options if o.topic]:
        if ref not in kb.topics and ref != topic.id:
            review.errors.append(Problem("knowledge_broken_option", {"topic": ref}))
    facts = must_mention(folder).get(topic.id, [])
    review.errors += [Problem("knowledge_must_mention", {"fact": fact, "where": where})
                      for where, fact in missing_facts(topic, facts)]
    review.warnings += _dated_warnings(topic, today)
    review.errors += [_detail(e) for e in topic_problems(topic)[0]]
    for text in [topic.answer, *(d.text for d in topic.dated_answers)]:
        only_vi, only_en = numbers_differ(text)
        if only_vi or only_en:
            review.warnings.append(Problem("knowledge_numbers_differ", {
                "vi": ", ".join(only_vi) or "–", "en": ", ".join(only_en) or "–"}))
    review.errors += _variant_problems(kb, topic)
    for problem in _length_problems(topic):
        too_long = problem.key == "knowledge_answer_too_long"
        (review.errors if too_long else review.warnings).append(problem)
    return topic, review


def _variant_problems(kb: KnowledgeBase, topic: Topic) -> list[Problem]:
    """A new way to ask that already asks, or nearly asks, another topic."""
    old = kb.topics.get(topic.id)
    known = {normalise(q) for q in old.all_variants()} if old else set()
    others = [(normalise(q), t.id) for t in kb.topics.values() if t.id != topic.id
              for q in t.all_variants()]
    owner = dict(others)
    texts = [text for text, _ in others]
    problems: list[Problem] = []
    for question in topic.all_variants():
        norm = normalise(question)
        if not norm or norm in known:
            continue
        if norm in owner:
            problems.append(Problem("knowledge_variant_elsewhere",
                                    {"text": question, "topic": owner[norm]}))
            continue
        for text, _score, index in process.extract(norm, texts, scorer=fuzz.ratio,
                                                   score_cutoff=NEAR_DUPLICATE, limit=3):
            if near_duplicate(norm, text):
                problems.append(Problem("knowledge_variant_near", {
                    "text": question, "other": text, "topic": others[index][1]}))
                break
    return problems


def _dated_warnings(topic: Topic, today: date) -> list[Problem]:
    """A dated answer already past is never shown; one years ahead hides the standing one."""
    out = []
    for dated in topic.dated_answers:
        if dated.until < today:
            out.append(Problem("knowledge_dated_past", {"until": dated.until.strftime("%d/%m/%Y")}))
        elif dated.until > today + FAR_AHEAD:
            out.append(Problem("knowledge_dated_far", {"until": dated.until.strftime("%d/%m/%Y")}))
    return out


def _length_problems(topic: Topic) -> list[Problem]:
    texts = [topic.answer, *(d.text for d in topic.dated_answers)]
    out: list[Problem] = []
    for text in texts:
        for lang in LANGUAGES:
            size = len(text.get(lang, ""))
            if size > MAX_ANSWER:
                out.append(Problem("knowledge_answer_too_long", {"language": lang, "chars": size,
                                                                 "most": MAX_ANSWER}))
            elif size > LONG_ANSWER:
                out.append(Problem("knowledge_long_answer", {
                    "language": lang, "chars": size, "parts": math.ceil(size / LONG_ANSWER)}))
    return out


def review_lexicon(kb: KnowledgeBase, data: dict[str, Any]) -> Review:
    """The loader's rules; a name the knowledge uses as written (id.vn) cannot be rewritten;
    an edit removing more than a few entries asks for a tick (an emptied section)."""
    _draft, problems = lexicon_from_data(data, LEXICON)
    review = Review(errors=[_detail(p) for p in problems])
    review.errors += [Problem("knowledge_name_rewritten", {"word": word})
                      for word in sorted(_rewritten_names(data))]
    removed = _entries(kb.lexicon_raw) - _entries(data)
    if len(removed) > REMOVALS_NOTED:
        review.warnings.append(Problem("knowledge_lexicon_removes", {"count": len(removed)}))
    return review


def _rewritten_names(data: dict[str, Any]) -> set[str]:
    """Words with a dot that the edit would rewrite: domain and document names."""
    rewritten: set[str] = set()
    for section, entries in data.items():
        for key, value in (entries or {}).items():
            members = value if section == SYNONYMS and isinstance(value, list) else [key]
            rewritten |= {str(m) for m in members if "." in str(m)}
    return rewritten


def _entries(raw: dict[str, Any] | None) -> set[tuple[str, str]]:
    return {(section, str(key)) for section, entries in (raw or {}).items()
            for key in (entries or {})}


@dataclass(frozen=True)
class Trial:
    """How the bot would read a question with the draft saved."""

    question: str
    match: Match

    @property
    def top(self) -> list[tuple[str, float]]:
        return self.match.ranked[:3]


def try_question(kb: KnowledgeBase, draft: Topic | None, question: str) -> Trial:
    """The live matcher with DRAFT in place (only the draft is normalised again); the
    learned scorer is the live one until the save retrains it, so a brand-new way to ask
    counts through the lexical side."""
    if draft is None:
        return Trial(question, kb.matcher.match(question))
    live = kb.matcher
    lexical = live.lexical.with_topic(draft.id, draft.all_variants(), list(draft.answer.values()))
    policy = live.policy if live.learned is not None else None
    return Trial(question, Understanding(lexical, live.learned, policy).match(question))

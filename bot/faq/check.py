"""`laocai-bot kb check`: what staff run after editing the knowledge files."""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from itertools import combinations
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from bot.config import Config
from bot.faq.followups import MAX_TOPIC_ID
from bot.time import SystemClock, local_today
from knowledge.kb import Topic, read_folder
from knowledge.normalise import fold, normalise, use_lexicon

MIN_VARIANTS = {"vi": 15, "en": 4}
NEAR_DUPLICATE = 92  # rapidfuzz ratio of two normalised variants
# A date (15/10, 01/6/2023) or a year: a fact that may go out of date and needs a source.
_DATED = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b20\d\d\b")
_NUMBER = re.compile(r"\d+(?:[./,]\d+)*")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")
_MONTH_YEAR = re.compile(r"^\d{1,2}/(\d{4})$")


def _numbers(text: str) -> set[str]:
    """Facts as numbers, comparable across languages: 1.000 = 1,000; 01/10 = 1/10.

    Small counts and month numbers are left out: English writes them as words
    ("two members", "October 2025")."""
    out: set[str] = set()
    for raw in _NUMBER.findall(text):
        month_year = _MONTH_YEAR.match(raw)
        day_month = _DAY_MONTH.match(raw)
        if month_year:
            out.add(month_year.group(1))
        elif day_month:
            out.add("/".join(str(int(p)) for p in day_month.groups() if p))
        else:
            for part in raw.split("/"):  # document numbers such as 202/2025
                number = re.sub(r"[.,](?=\d{3}\b)", "", part).replace(",", ".")
                if number.count(".") == 1 or (number.isdigit() and int(number) > 12):
                    out.add(number.lstrip("0") or "0")
    return out


def names_differ(a: str, b: str) -> bool:
    """'id.vn có miễn phí không' vs 'biz.vn có miễn phí không': parallel, not duplicates."""
    return any("." in word or word.isdigit() for word in set(a.split()) ^ set(b.split()))


def numbers_differ(text: dict[str, str]) -> tuple[list[str], list[str]]:
    """The numbers only the Vietnamese answer states, and those only the English one does."""
    vi, en = _numbers(text["vi"]), _numbers(text["en"])
    return sorted(vi - en), sorted(en - vi)


def near_duplicate(a: str, b: str) -> bool:
    """Two normalised variants close enough that the matcher cannot keep their topics apart."""
    return bool(a and b) and fuzz.ratio(a, b) >= NEAR_DUPLICATE and not names_differ(a, b)


def must_mention(folder: Path) -> dict[str, list[str]]:
    """The facts each contracted topic's Vietnamese answer must state (required-topics.yaml),
    read again only when the file changed: the console checks every draft against it."""
    required = folder / "required-topics.yaml"
    if not required.is_file():
        return {}
    return _contract(required, required.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _contract(required: Path, _stamp: int) -> dict[str, list[str]]:
    contract = yaml.safe_load(required.read_text(encoding="utf-8")) or {}
    return {str(item["id"]): [str(f) for f in item.get("must_mention") or []]
            for item in contract.get("topics") or []}


def missing_facts(topic: Topic, facts: list[str]) -> list[tuple[str, str]]:
    """(where, fact) for each fact the Vietnamese answer, or a dated answer that stands in
    for it until its day, does not state."""
    texts = [("answer.vi", topic.answer["vi"])]
    texts += [(f"dated_answers[{i}].vi", d.text["vi"]) for i, d in enumerate(topic.dated_answers)]
    return [(where, fact) for where, text in texts for fact in facts
            if fold(fact) not in fold(text)]


def topic_problems(topic: Topic) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one topic beyond what loading checks."""
    errors: list[str] = []
    warnings: list[str] = []
    where = f"{topic.file}: topic {topic.id}"
    if len(topic.id) > MAX_TOPIC_ID:
        errors.append(f"{where}: id: at most {MAX_TOPIC_ID} characters (button payloads)")
    texts = [topic.answer, *(d.text for d in topic.dated_answers)]
    if not topic.source and any(_DATED.search(t["vi"]) for t in texts):
        errors.append(f"{where}: source: the answer states dates; say where they come from")
    for text in texts:
        only_vi, only_en = numbers_differ(text)
        if only_vi or only_en:
            warnings.append(f"{where}: vi and en answers state different numbers: "
                            f"only vi {only_vi}, only en {only_en}")
    for lang, least in MIN_VARIANTS.items():
        have = len(topic.questions.get(lang, []))
        if have < least:
            warnings.append(f"{where}: questions.{lang}: {have} variants, write at least {least}")
    return errors, warnings


def _classifier_problems(topics: dict[str, Topic], refusals: list[str]) -> list[str]:
    """Train (or find cached) the FAQ classifier now, so `run` after a check starts warm."""
    from knowledge.classifier import load_or_train
    from knowledge.kb import training_data

    if load_or_train(*training_data(topics, refusals)) is None:
        return ["the FAQ classifier could not be trained (see the log line above); "
                "the bot would answer with the lexical matcher alone"]
    return []


def check(config: Config) -> int:
    folder = config.knowledge_path
    topics, lexicon, refusals, errors = read_folder(folder)
    if lexicon is not None:
        use_lexicon(lexicon)
    warnings: list[str] = []
    for topic_id, facts in must_mention(folder).items():
        topic = topics.get(topic_id)
        if topic is None:
            errors.append(f"required-topics.yaml: topic {topic_id}: missing from the knowledge "
                          "base")
            continue
        errors += [f"{topic.file}: topic {topic.id}: {where}: must mention {fact!r}"
                   for where, fact in missing_facts(topic, facts)]
    today = local_today(SystemClock(), config.tz)
    for topic in topics.values():
        topic_errors, topic_warnings = topic_problems(topic)
        errors += topic_errors
        warnings += topic_warnings
        if topic.valid_until and topic.valid_until < today:
            warnings.append(f"{topic.file}: topic {topic.id}: expired on {topic.valid_until}")
        if topic.review_by and topic.review_by < today:
            warnings.append(f"{topic.file}: topic {topic.id}: review was due {topic.review_by}")
    variants = [
        (normalise(q), topic.id)
        for topic in topics.values()
        for lang in ("vi", "en")
        for q in topic.questions.get(lang, [])
    ]
    for (a, ta), (b, tb) in combinations(variants, 2):
        if ta != tb and near_duplicate(a, b):
            warnings.append(f"near-duplicate variants in {ta} and {tb}: {a!r} ~ {b!r}")
    known = {a: ta for a, ta in variants}
    for question in refusals:
        if normalise(question) in known:
            errors.append(f"{folder / 'out_of_scope.yaml'}: {question!r} is also a question "
                          f"variant of {known[normalise(question)]}")
    if not errors:
        errors += _classifier_problems(topics, refusals)
    for line in errors:
        print(f"error: {line}")
    for line in warnings:
        print(f"warning: {line}")
    print(f"{len(topics)} topics, {len(errors)} errors, {len(warnings)} warnings", file=sys.stderr)
    return 1 if errors else 0

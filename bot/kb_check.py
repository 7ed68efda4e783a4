"""`laocai-bot kb check`: what staff run after editing the knowledge files."""

from __future__ import annotations

import sys
from itertools import combinations

import yaml
from rapidfuzz import fuzz

from bot.clock import SystemClock, local_today
from bot.config import Config
from knowledge.kb import read_topics
from knowledge.normalise import fold, normalise


def check(config: Config) -> int:
    folder = config.knowledge_path
    topics, errors = read_topics(folder)
    warnings: list[str] = []
    required = folder / "required-topics.yaml"
    if required.is_file():
        contract = yaml.safe_load(required.read_text(encoding="utf-8")) or {}
        for item in contract.get("topics") or []:
            topic = topics.get(item["id"])
            if topic is None:
                errors.append(f"{required}: topic {item['id']}: missing from the knowledge base")
                continue
            answer = fold(topic.answer["vi"])
            for fact in item.get("must_mention") or []:
                if fold(str(fact)) not in answer:
                    errors.append(f"{topic.file}: topic {topic.id}: answer.vi: must mention "
                                  f"{fact!r}")
    today = local_today(SystemClock(), config.tz)
    for topic in topics.values():
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
        if ta != tb and a and b and fuzz.ratio(a, b) >= 92:
            warnings.append(f"near-duplicate variants in {ta} and {tb}: {a!r} ~ {b!r}")
    for line in errors:
        print(f"error: {line}")
    for line in warnings:
        print(f"warning: {line}")
    print(f"{len(topics)} topics, {len(errors)} errors, {len(warnings)} warnings", file=sys.stderr)
    return 1 if errors else 0

"""The knowledge staff edit in the console, laid over the files developers deploy.

Which wins when both changed: a console edit records a fingerprint of the file's
version of that topic (or of the lexicon) it was made over. While the file's version
is unchanged, the console edit is live. Once developers deploy a changed file version
of that topic, the file wins: the console edit stays in its history, shown as set
aside, and staff can restore it over the new file in one click. `laocai-bot kb export`
writes the live knowledge into the files, so committing an export makes both agree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.kb import (
    KnowledgeBase,
    Topic,
    build,
    deployed,
    load_shared,
    parse_topic,
    read_folder,
    read_lexicon_raw,
)
from knowledge.lexicon import Lexicon, lexicon_from_data
from knowledge.normalise import use_lexicon

LEXICON = ":lexicon"  # the subject of lexicon edits; topics are their own id, never ":"
CONSOLE_FILE = "topics/console.yaml"  # where `kb export` puts topics made in the console
SET_ASIDE_FILE_CHANGED = "file_changed"
SET_ASIDE_INVALID = "invalid"


def fingerprint(raw: Any) -> str:
    """Of a topic mapping or lexicon as data; '' for one the files do not have."""
    if raw is None:
        return ""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Edit:
    """The latest console version of a topic or the lexicon, and the file version under it."""

    body: dict[str, Any]
    over: str  # fingerprint of the file's version when the edit was made


@dataclass(frozen=True)
class Edits:
    """Everything staff decided in the console, as the knowledge base takes it."""

    topics: dict[str, Edit] = field(default_factory=dict)
    lexicon: Edit | None = None
    variants: dict[str, list[str]] = field(default_factory=dict)  # topic → questions
    refusals: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.topics or self.lexicon or self.variants or self.refusals)


def console_file(folder: Path) -> str:
    return str(folder / CONSOLE_FILE)


def load_live(folder: Path, edits: Edits) -> KnowledgeBase:
    """FOLDER's knowledge base with the console's edits and decisions; the files are not
    touched. An edit that no longer applies is set aside (kb.set_aside), never fatal."""
    if edits.empty:
        return load_shared(folder)
    base = deployed(folder)
    topics, lexicon, file_refusals, problems = read_folder(folder)
    if problems:
        raise KnowledgeError(problems)
    set_aside: dict[str, str] = {}
    lexicon_raw = read_lexicon_raw(folder)
    if edits.lexicon is not None:
        lexicon, lexicon_raw = _lexicon(edits.lexicon, lexicon, lexicon_raw, set_aside)
    if lexicon is not None:
        use_lexicon(lexicon)
    for subject, edit in edits.topics.items():
        _apply_topic(folder, topics, subject, edit, set_aside)
    _add_variants(topics, edits.variants, base)
    kb = build(topics, None, [*file_refusals, *edits.refusals])
    kb.lexicon, kb.lexicon_raw, kb.set_aside = lexicon, lexicon_raw, set_aside
    return kb


def _lexicon(edit: Edit, lexicon: Lexicon | None, raw: dict[str, Any] | None,
             set_aside: dict[str, str]) -> tuple[Lexicon | None, dict[str, Any] | None]:
    if edit.over != fingerprint(raw):
        set_aside[LEXICON] = SET_ASIDE_FILE_CHANGED
        return lexicon, raw
    edited, problems = lexicon_from_data(edit.body, LEXICON)
    if problems:
        set_aside[LEXICON] = SET_ASIDE_INVALID
        return lexicon, raw
    return edited, edit.body


def _apply_topic(folder: Path, topics: dict[str, Topic], subject: str, edit: Edit,
                 set_aside: dict[str, str]) -> None:
    current = topics.get(subject)
    if edit.over != fingerprint(current.raw if current else None):
        set_aside[subject] = SET_ASIDE_FILE_CHANGED
        return
    topic, problems = parse_topic(edit.body, current.file if current else console_file(folder))
    refs = [] if topic is None else topic.related + [o.topic for o in topic.options if o.topic]
    if topic is None or problems or any(ref not in topics for ref in refs):
        set_aside[subject] = SET_ASIDE_INVALID
        return
    topics[subject] = topic


def _add_variants(topics: dict[str, Topic], variants: dict[str, list[str]],
                  base: KnowledgeBase) -> None:
    """Questions approved in the inbox: more ways to ask a topic, in the language written."""
    for topic_id, texts in variants.items():
        topic = topics.get(topic_id)
        if topic is None:
            continue
        for text in texts:
            lang = "en" if base.detect_language(text) == "en" else "vi"
            if text not in topic.questions[lang]:
                topic.questions = {**topic.questions, lang: [*topic.questions[lang], text]}
                topic.raw = {**topic.raw, "questions": topic.questions}  # what `kb export` writes

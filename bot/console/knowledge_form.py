"""The knowledge editor's forms, both ways: a topic (or a lexicon section) as form values,
and form values as the mapping a topic file would hold. Fields the form does not show
(related topics, audience, valid_until, action) are carried over unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.console.render import form_text
from knowledge.kb import ACTIONS, LANGUAGES
from knowledge.lexicon import SYNONYMS

DATED_ROWS = 3  # dated answers shown, filled ones plus empty ones to add
OPTION_ROWS = 6
MAX_WORDS = 60  # a lexicon key: a word or a short phrase
MAX_MEANING = 300
_SEPARATOR = " = "


def _lines(form: Any, key: str) -> list[str]:
    return [line.strip() for line in form_text(form, key, multiline=True).splitlines()
            if line.strip()]


def _text(form: Any, key: str) -> str:
    return form_text(form, key, multiline=True)


def values_of(raw: dict[str, Any]) -> dict[str, Any]:
    """A topic mapping as its edit form shows it."""
    answer, questions = raw.get("answer") or {}, raw.get("questions") or {}
    values: dict[str, Any] = {"id": raw.get("id", ""), "category": raw.get("category", ""),
                              "source": raw.get("source") or "",
                              "review_by": str(raw.get("review_by") or ""),
                              "keywords": "\n".join(map(str, raw.get("keywords") or []))}
    for lang in LANGUAGES:
        values[f"answer_{lang}"] = answer.get(lang, "")
        values[f"questions_{lang}"] = "\n".join(map(str, questions.get(lang) or []))
    for i, dated in enumerate((raw.get("dated_answers") or [])[:DATED_ROWS]):
        values |= {f"dated_{i}_until": str(dated.get("until") or ""),
                   f"dated_{i}_vi": dated.get("vi", ""), f"dated_{i}_en": dated.get("en", "")}
    for i, option in enumerate((raw.get("options") or [])[:OPTION_ROWS]):
        label = option.get("label") or {}
        target = option.get("topic") or option.get("url") or option.get("action") or ""
        values |= {f"option_{i}_vi": label.get("vi", ""), f"option_{i}_en": label.get("en", ""),
                   f"option_{i}_target": target}
    return values


def topic_from_form(form: Any, current: dict[str, Any], new: bool) -> dict[str, Any]:
    """The topic mapping the form describes, over CURRENT (the live version)."""
    raw = dict(current)
    if new:
        raw["id"], raw["category"] = form_text(form, "id"), form_text(form, "category")
    raw["answer"] = {lang: _text(form, f"answer_{lang}") for lang in LANGUAGES}
    raw["questions"] = {lang: _lines(form, f"questions_{lang}") for lang in LANGUAGES}
    _optional(raw, "keywords", _lines(form, "keywords"))
    _optional(raw, "source", form_text(form, "source"))
    _optional(raw, "review_by", form_text(form, "review_by"))
    _optional(raw, "dated_answers", _dated(form))
    _optional(raw, "options", _options(form))
    return raw


def _optional(raw: dict[str, Any], key: str, value: Any) -> None:
    if value:
        raw[key] = value
    else:
        raw.pop(key, None)


def _dated(form: Any) -> list[dict[str, str]]:
    rows = []
    for i in range(DATED_ROWS):
        row = {"until": form_text(form, f"dated_{i}_until"),
               "vi": _text(form, f"dated_{i}_vi"), "en": _text(form, f"dated_{i}_en")}
        if any(row.values()):
            rows.append(row)
    return rows


def _options(form: Any) -> list[dict[str, Any]]:
    """A target is a topic id, an https:// address or one of the bot's actions."""
    rows = []
    for i in range(OPTION_ROWS):
        label = {lang: form_text(form, f"option_{i}_{lang}") for lang in LANGUAGES}
        target = form_text(form, f"option_{i}_target")
        if not (target or any(label.values())):
            continue
        kind = "url" if "://" in target else "action" if target in ACTIONS else "topic"
        rows.append({"label": label, kind: target})
    return rows


def section_text(raw: dict[str, Any] | None, section: str) -> str:
    """A lexicon section as lines: `word = meaning`, synonyms `meaning = a, b, c`."""
    entries = (raw or {}).get(section) or {}
    if section == SYNONYMS:
        return "\n".join(f"{k}{_SEPARATOR}{', '.join(map(str, v or []))}"
                         for k, v in entries.items())
    return "\n".join(f"{k}{_SEPARATOR}{v}" for k, v in entries.items())


@dataclass
class Section:
    """A lexicon section read back from its lines, with the lines that could not be."""

    entries: dict[str, Any] = field(default_factory=dict)
    bad: list[int] = field(default_factory=list)  # not `word = meaning`, or too long
    repeated: list[tuple[int, str]] = field(default_factory=list)  # (line, word) twice


def section_from_text(text: str, section: str) -> Section:
    out = Section()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if not (sep and key and value) or "=" in value or len(key) > MAX_WORDS \
                or len(value) > MAX_MEANING:
            out.bad.append(number)
        elif key in out.entries:
            out.repeated.append((number, key))
        elif section == SYNONYMS:
            out.entries[key] = [m.strip() for m in value.split(",") if m.strip()]
        else:
            out.entries[key] = value
    return out

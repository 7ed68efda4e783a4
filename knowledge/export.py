"""`laocai-bot kb export`: the live knowledge (files + console edits + inbox decisions)
written back into YAML for version control.

Round-trip YAML (ruamel.yaml) keeps the files' comments, key order and untouched
topics as they were, so the commit shows only what staff changed. Topics created in
the console go to topics/console.yaml; refusals decided in the inbox to a `console`
group of out_of_scope.yaml.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from knowledge.kb import LEXICON_FILE, OUT_OF_SCOPE_FILE, KnowledgeBase, deployed
from knowledge.overlay import CONSOLE_FILE, fingerprint

_DATES = ("review_by", "valid_until")
CONSOLE_GROUP = "console"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # never fold a long answer across lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _as_written(value: Any, key: str = "") -> Any:
    """Multi-line texts as `|` blocks, dates as dates: how people wrote the files."""
    if isinstance(value, dict):
        return {k: _as_written(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    if isinstance(value, str) and key in (*_DATES, "until"):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def export(folder: Path, kb: KnowledgeBase, out: Path) -> list[Path]:
    """Write KB's topics, lexicon and refusals that differ from FOLDER's files into OUT
    (FOLDER itself, or a copy); return the files written."""
    files = deployed(folder)
    yaml = _yaml()
    changed: dict[str, list[dict[str, Any]]] = {}
    for topic in kb.topics.values():
        in_file = files.topics.get(topic.id)
        if fingerprint(topic.raw) != fingerprint(in_file.raw if in_file else None):
            relative = str(Path(in_file.file).relative_to(folder)) if in_file else CONSOLE_FILE
            changed.setdefault(relative, []).append(topic.raw)
    written = [_topics_file(yaml, folder, out, rel, raws) for rel, raws in changed.items()]
    if kb.lexicon_raw is not None and fingerprint(kb.lexicon_raw) != fingerprint(
            files.lexicon_raw):
        written.append(_lexicon_file(yaml, folder, out, kb.lexicon_raw))
    added = [q for q in kb.out_of_scope if q not in set(files.out_of_scope)]
    if added:
        written.append(_refusals_file(yaml, folder, out, added))
    return written


def _load(yaml: YAML, path: Path, empty: Any) -> Any:
    return yaml.load(path.read_text(encoding="utf-8")) if path.is_file() else empty


def _dump(yaml: YAML, data: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return path


def _topics_file(yaml: YAML, folder: Path, out: Path, relative: str,
                 raws: list[dict[str, Any]]) -> Path:
    doc = _load(yaml, folder / relative, {"topics": []})
    by_id = {str(raw["id"]): raw for raw in raws}
    items = doc["topics"]
    for index, item in enumerate(items):
        if item.get("id") in by_id:
            items[index] = _merge(item, by_id.pop(item["id"]))
    items.extend(_as_written(raw) for raw in by_id.values())  # new topics, at the end
    return _dump(yaml, doc, out / relative)


def _same(old: Any, new: Any) -> bool:
    return old == new or (isinstance(old, date) and str(old) == str(new))


def _merge(old: Any, new: Any, key: str = "") -> Any:
    """NEW written over OLD keeping OLD's nodes (their quotes and comments) where equal."""
    if _same(old, new):
        return old
    if isinstance(old, dict) and isinstance(new, dict):
        for gone in [k for k in old if k not in new]:
            del old[gone]
        for k, v in new.items():
            old[k] = _merge(old.get(k), v, k)
        return old
    if isinstance(old, list) and isinstance(new, list):
        kept = [next((o for o in old if _same(o, v)), None) for v in new]
        old[:] = [o if o is not None else _as_written(v) for o, v in zip(kept, new, strict=True)]
        return old
    return _as_written(new, key)


def _lexicon_file(yaml: YAML, folder: Path, out: Path, lexicon: dict[str, Any]) -> Path:
    """Entry by entry, so the comments between entries stay where they were."""
    doc = _load(yaml, folder / LEXICON_FILE, {})
    for section, entries in lexicon.items():
        current = doc.setdefault(section, {})
        for key in [k for k in current if k not in entries]:
            del current[key]
        for key, value in (entries or {}).items():
            if current.get(key) != value:
                current[key] = value
    return _dump(yaml, doc, out / LEXICON_FILE)


def _refusals_file(yaml: YAML, folder: Path, out: Path, added: list[str]) -> Path:
    doc = _load(yaml, folder / OUT_OF_SCOPE_FILE, {})
    group = doc.setdefault(CONSOLE_GROUP, [])
    group.extend(q for q in added if q not in group)
    return _dump(yaml, doc, out / OUT_OF_SCOPE_FILE)

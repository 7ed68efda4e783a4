"""The vocabulary people use, as data: knowledge/lexicon.yaml, edited by staff.

Chat shorthand ("dk" → đăng ký), typing slips ("dnag" → đăng), English words
("domain" → tên miền), document codes (kh → kế hoạch) and groups of phrases that
mean one thing ("ghi danh", "đăng kí" → đăng ký). Entries may be typed with or
without diacritics: they are folded here, so they meet the folded text.

A broken file is reported with its file and line, like the topic files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError, yaml_problem
from knowledge.folding import fold

TOKEN_SECTIONS = ("abbreviations", "spelling", "english")
SYNONYMS = "synonyms"  # canonical → [phrases meaning it]; the other sections map word → meaning
SECTIONS = (*TOKEN_SECTIONS, "document_codes", "phrases", SYNONYMS)


@dataclass(frozen=True)
class Lexicon:
    """Folded lookups built once; `rewrite` applies phrases and synonyms in one pass."""

    tokens: dict[str, tuple[str, ...]] = field(default_factory=dict)
    document_codes: dict[str, str] = field(default_factory=dict)
    # first word → [(the phrase's words, replacement words)], longest phrase first
    rewrites: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(
        default_factory=dict
    )

    def rewrite(self, words: list[str]) -> list[str]:
        """Leftmost-longest replacement of known phrases; a replacement is not rewritten again."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase, replacement in self.rewrites.get(words[i], ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    out.extend(replacement)
                    i += len(phrase)
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    @property
    def size(self) -> int:
        return len(self.tokens) + len(self.document_codes) + sum(map(len, self.rewrites.values()))


def _words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


class _Reader:
    """Walks the YAML node tree so that every problem can name its line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.tokens: dict[str, tuple[str, ...]] = {}
        self.codes: dict[str, str] = {}
        self.rewrites: dict[tuple[str, ...], tuple[str, ...]] = {}

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, where: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{where}: must be a mapping of 'word: meaning'")
            return []
        return list(node.value)

    def text(self, node: yaml.Node, where: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and str(node.value).strip():
            return str(node.value)
        self.problem(node, f"{where}: must be a word or phrase, not {node.tag.split(':')[-1]}")
        return None

    def read(self, root: yaml.Node | None) -> None:
        if root is None:
            self.problems.append(f"{self.path}: empty; expected sections {', '.join(SECTIONS)}")
            return
        for key_node, value in self.mapping(root, "top level"):
            section = str(key_node.value)
            if section in TOKEN_SECTIONS:
                self.token_section(section, value)
            elif section == "document_codes":
                self.code_section(value)
            elif section == "phrases":
                self.phrase_section(value)
            elif section == SYNONYMS:
                self.synonym_section(value)
            else:
                known = ", ".join(SECTIONS)
                self.problem(key_node, f"unknown section {section!r} (known: {known})")

    def token_section(self, section: str, node: yaml.Node) -> None:
        for key_node, value_node in self.mapping(node, section):
            key, value = self.text(key_node, section), self.text(value_node, section)
            if key is None or value is None:
                continue
            folded = fold(key).strip()
            if len(folded.split()) != 1:
                self.problem(key_node,
                             f"{section}: {key!r} must be one word (put phrases under 'phrases')")
                continue
            earlier = self.tokens.get(folded)
            if earlier is not None and earlier != _words(value):
                self.problem(key_node, f"{section}: {key!r} already means {' '.join(earlier)!r}")
                continue
            self.tokens.setdefault(folded, _words(value))

    def code_section(self, node: yaml.Node) -> None:
        for key_node, value_node in self.mapping(node, "document_codes"):
            key = self.text(key_node, "document_codes")
            value = self.text(value_node, "document_codes")
            if key and value:
                self.codes[fold(key).strip()] = " ".join(_words(value))

    def add_rewrite(self, node: yaml.Node, phrase: str, meaning: str, where: str) -> None:
        words, replacement = _words(phrase), _words(meaning)
        if not words:
            self.problem(node, f"{where}: empty phrase")
        elif words == replacement:
            return  # a group may list its own canonical form: harmless
        elif self.rewrites.get(words, replacement) != replacement:
            earlier = " ".join(self.rewrites[words])
            self.problem(node, f"{where}: {phrase!r} already means {earlier!r}")
        else:
            self.rewrites[words] = replacement

    def phrase_section(self, node: yaml.Node) -> None:
        for key_node, value_node in self.mapping(node, "phrases"):
            key, value = self.text(key_node, "phrases"), self.text(value_node, "phrases")
            if key and value:
                self.add_rewrite(key_node, key, value, "phrases")

    def synonym_section(self, node: yaml.Node) -> None:
        for key_node, members in self.mapping(node, SYNONYMS):
            canonical = self.text(key_node, SYNONYMS)
            if canonical is None:
                continue
            where = f"synonyms.{canonical}"
            if not isinstance(members, yaml.SequenceNode) or not members.value:
                self.problem(members, f"{where}: must be a list of phrases with the same meaning")
                continue
            for member in members.value:
                text = self.text(member, where)
                if text:
                    self.add_rewrite(member, text, canonical, where)

    def lexicon(self) -> Lexicon:
        grouped: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for words, replacement in self.rewrites.items():
            grouped.setdefault(words[0], []).append((words, replacement))
        for candidates in grouped.values():
            candidates.sort(key=lambda item: len(item[0]), reverse=True)
        return Lexicon(self.tokens, self.codes, grouped)


def read_lexicon(path: Path) -> tuple[Lexicon, list[str]]:
    """Parse PATH; return the lexicon built from what parsed and every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Lexicon(), [f"{path}: cannot be read ({exc.strerror})"]
    return read_lexicon_text(text, path)


def read_lexicon_text(text: str, name: Path | str) -> tuple[Lexicon, list[str]]:
    """Parse lexicon YAML TEXT (a file, or a console edit named NAME in the problems)."""
    reader = _Reader(Path(name))
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        return Lexicon(), [yaml_problem(name, exc)]
    reader.read(root)
    return reader.lexicon(), reader.problems


def lexicon_from_data(data: dict[str, object], name: str) -> tuple[Lexicon, list[str]]:
    """A lexicon from sections as data (the console's edits)."""
    return read_lexicon_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), name)


def load_lexicon(path: Path) -> Lexicon:
    lexicon, problems = read_lexicon(path)
    if problems:
        raise KnowledgeError(problems)
    return lexicon

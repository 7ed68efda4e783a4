"""The YAML knowledge base: loading, validation and time-aware answers.

Province staff edit these files, so every error names the file, the topic and
the field, and a YAML syntax error names the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from knowledge.classifier import OUT_OF_SCOPE, LearnedScorer, load_or_train
from knowledge.errors import KnowledgeError, yaml_problem
from knowledge.folding import fold, has_vietnamese_marks
from knowledge.lexicon import Lexicon, read_lexicon
from knowledge.matcher import Matcher, Thresholds
from knowledge.normalise import active_lexicon, normalise, use_lexicon
from knowledge.understanding import Policy, Understanding

__all__ = [
    "KnowledgeBase", "KnowledgeError", "Topic", "build", "load", "parse_topic", "read_topics",
]

LANGUAGES = ("vi", "en")
ACTIONS = frozenset({"training.signup", "training.mine", "reminders", "menu", "privacy", "news",
                     "handoff"})
_TOPIC_FIELDS = frozenset(
    {
        "id",
        "category",
        "questions",
        "keywords",
        "answer",
        "dated_answers",
        "options",
        "related",
        "action",
        "valid_until",
        "review_by",
        "source",
        "audience",
    }
)
LEXICON_FILE = "lexicon.yaml"
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNSAFE_IN_URL = re.compile(r"[\s\"'<>\\{}|^`]")
_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class TopicOption:
    label: dict[str, str]
    topic: str | None = None
    url: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class DatedAnswer:
    until: date
    text: dict[str, str]


@dataclass
class Topic:
    id: str
    category: str
    questions: dict[str, list[str]]
    answer: dict[str, str]
    file: str
    keywords: list[str] = field(default_factory=list)
    dated_answers: list[DatedAnswer] = field(default_factory=list)
    options: list[TopicOption] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    action: str | None = None
    valid_until: date | None = None
    review_by: date | None = None
    source: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # as written

    def answer_for(self, lang: str, today: date) -> str:
        """The answer true on TODAY: a dated answer until its date, then the standing one."""
        lang = lang if lang in LANGUAGES else "vi"
        for dated in sorted(self.dated_answers, key=lambda d: d.until):
            if today <= dated.until:
                return dated.text[lang].strip()
        return self.answer[lang].strip()

    def all_variants(self) -> list[str]:
        return [q for lang in LANGUAGES for q in self.questions.get(lang, [])] + self.keywords


@dataclass
class KnowledgeBase:
    topics: dict[str, Topic]
    matcher: Understanding
    english_words: frozenset[str]
    out_of_scope: list[str] = field(default_factory=list)
    lexicon: Lexicon | None = None
    lexicon_raw: dict[str, Any] | None = None  # as written, for the console's editor
    # console edits not live: subject → why (the file changed since, or it no longer loads)
    set_aside: dict[str, str] = field(default_factory=dict)

    def detect_language(self, text: str) -> str:
        """'en' when the message reads as English, else 'vi' (the default)."""
        if has_vietnamese_marks(text):
            return "vi"
        words = re.findall(r"[a-z]+", fold(text))
        if not words:
            return "vi"
        english = sum(1 for w in words if w in self.english_words)
        return "en" if english / len(words) >= 0.5 else "vi"


# Common English words, so that "how do I..." reads as English even when the
# content words are not in the knowledge base.
_ENGLISH_BASE = frozenset(
    """
    what is are the a an of to in for on do does did i my me you your can could how when
    where who which it this that be please tell about and or with there any get got have
    has much many free domain domains register registration sign up training course day
    days resolution law event events cancel remind reminder help thanks thank hello hi
    hey bot need needs want would like should will why if from by at as its is it's our
    we they them
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        if not _ISO_DAY.fullmatch(str(value)):  # 3.11 would also take 20251231
            raise ValueError(value)
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date like 2025-12-31")
        return None


def _web_address(url: str) -> bool:
    """https, a host, and nothing a chat platform's button would refuse (spaces, quotes)."""
    parts = urlsplit(url)
    return (parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc
            and not _UNSAFE_IN_URL.search(url))


def _texts(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where}: must have 'vi' and 'en' texts")
        return {}
    out: dict[str, str] = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{lang}: missing or empty")
        else:
            out[lang] = text
    return out


def _questions(value: Any, where: str, problems: list[str]) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    if not isinstance(value, dict):
        problems.append(f"{where}: questions: must have 'vi' and 'en' lists")
        return parsed
    for lang in LANGUAGES:
        items = value.get(lang)
        if not isinstance(items, list) or not items:
            problems.append(f"{where}: questions.{lang}: missing or empty")
        elif not all(isinstance(q, str) and q.strip() for q in items):
            problems.append(f"{where}: questions.{lang}: every question must be text")
        else:
            parsed[lang] = [str(q) for q in items]
    return parsed


def _dated_answers(items: list[Any], where: str, problems: list[str]) -> list[DatedAnswer]:
    dated: list[DatedAnswer] = []
    for i, item in enumerate(items):
        spot = f"{where}: dated_answers[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{spot}: must be a mapping with until, vi, en")
            continue
        until = _date(item.get("until"), f"{spot}.until", problems)
        texts = _texts(item, spot, problems)
        if until is None and "until" not in item:
            problems.append(f"{spot}.until: missing")
        if until and len(texts) == 2:
            dated.append(DatedAnswer(until, texts))
    return dated


def _options(items: list[Any], where: str, problems: list[str]) -> list[TopicOption]:
    options: list[TopicOption] = []
    for i, item in enumerate(items):
        spot = f"{where}: options[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{spot}: must be a mapping")
            continue
        label = _texts(item.get("label"), f"{spot}.label", problems)
        kinds = [k for k in ("topic", "url", "action") if item.get(k)]
        if len(kinds) != 1:
            problems.append(f"{spot}: needs exactly one of topic, url, action")
            continue
        if item.get("action") and item["action"] not in ACTIONS:
            problems.append(f"{spot}.action: unknown action {item['action']!r}")
        if item.get("url") and not _web_address(str(item["url"])):
            problems.append(f"{spot}.url: must be a web address like https://example.vn/page")
        options.append(TopicOption(label, item.get("topic"), item.get("url"), item.get("action")))
    return options


def _topic(raw: Any, file: str, problems: list[str]) -> Topic | None:
    if not isinstance(raw, dict):
        problems.append(f"{file}: every item under 'topics' must be a mapping")
        return None
    tid = raw.get("id")
    if not isinstance(tid, str) or not _ID.match(tid):
        problems.append(f"{file}: topic {tid!r}: id: must look like 'domain.idvn.free'")
        return None
    where = f"{file}: topic {tid}"
    for key in raw:
        if key not in _TOPIC_FIELDS:
            problems.append(f"{where}: {key}: unknown field")
    category = raw.get("category")
    if not isinstance(category, str):
        problems.append(f"{where}: category: missing")
    parsed_questions = _questions(raw.get("questions"), where, problems)
    answer = _texts(raw.get("answer"), f"{where}: answer", problems)
    dated = _dated_answers(raw.get("dated_answers") or [], where, problems)
    options = _options(raw.get("options") or [], where, problems)
    action = raw.get("action")
    if action is not None and action not in ACTIONS:
        problems.append(f"{where}: action: unknown action {action!r}")
    related = raw.get("related") or []
    keywords = raw.get("keywords") or []
    if not isinstance(related, list) or not isinstance(keywords, list):
        problems.append(f"{where}: related and keywords must be lists")
        related, keywords = [], []
    if not (isinstance(category, str) and len(parsed_questions) == 2 and len(answer) == 2):
        return None
    return Topic(
        id=tid,
        category=category,
        questions=parsed_questions,
        answer=answer,
        file=file,
        keywords=[str(k) for k in keywords],
        dated_answers=dated,
        options=options,
        related=[str(r) for r in related],
        action=action,
        valid_until=_date(raw.get("valid_until"), f"{where}: valid_until", problems),
        review_by=_date(raw.get("review_by"), f"{where}: review_by", problems),
        source=raw.get("source"),
        raw=raw,
    )


def parse_topic(raw: Any, file: str) -> tuple[Topic | None, list[str]]:
    """One topic mapping as a file would hold it (the console's drafts), with its problems."""
    problems: list[str] = []
    return _topic(raw, file, problems), problems


def topic_files(folder: Path) -> list[Path]:
    return sorted((folder / "topics").glob("*.yaml"))


def read_topics(folder: Path) -> tuple[dict[str, Topic], list[str]]:
    """Parse every topic file; return what parsed and the list of problems."""
    problems: list[str] = []
    topics: dict[str, Topic] = {}
    files = topic_files(folder)
    if not files:
        problems.append(f"{folder / 'topics'}: no topic files (*.yaml) found")
    for path in files:
        name = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(yaml_problem(name, exc))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
            problems.append(f"{name}: must contain a 'topics:' list")
            continue
        for raw in data["topics"]:
            topic = _topic(raw, name, problems)
            if topic is None:
                continue
            if topic.id in topics:
                problems.append(
                    f"{name}: topic {topic.id}: id: also defined in {topics[topic.id].file}"
                )
                continue
            topics[topic.id] = topic
    for topic in topics.values():
        for ref in topic.related + [o.topic for o in topic.options if o.topic]:
            if ref not in topics:
                problems.append(f"{topic.file}: topic {topic.id}: related: unknown topic {ref}")
    return topics, problems


def read_out_of_scope(folder: Path) -> tuple[list[str], list[str]]:
    """Questions the bot must refuse (knowledge/out_of_scope.yaml), grouped by kind."""
    path = folder / OUT_OF_SCOPE_FILE
    if not path.is_file():
        return [], []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [], [yaml_problem(path, exc)]
    if not isinstance(data, dict):
        return [], [f"{path}: must map group names to lists of questions"]
    questions: list[str] = []
    problems: list[str] = []
    for group, items in data.items():
        if not isinstance(items, list) or not all(isinstance(q, str) and q.strip() for q in items):
            problems.append(f"{path}: {group}: must be a list of questions (text)")
            continue
        questions.extend(items)
    return questions, problems


def read_folder(folder: Path) -> tuple[dict[str, Topic], Lexicon | None, list[str], list[str]]:
    """Topics, lexicon and refusals of FOLDER, with every problem found in any of them."""
    topics, problems = read_topics(folder)
    lexicon: Lexicon | None = None
    if (folder / LEXICON_FILE).is_file():
        lexicon, lexicon_problems = read_lexicon(folder / LEXICON_FILE)
        problems += lexicon_problems
    refusals, refusal_problems = read_out_of_scope(folder)
    return topics, lexicon, refusals, problems + refusal_problems


def read_lexicon_raw(folder: Path) -> dict[str, Any] | None:
    """The lexicon file as data (sections of words), or None where there is none."""
    path = folder / LEXICON_FILE
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def training_data(topics: dict[str, Topic], refusals: list[str]) -> tuple[list[str], list[str]]:
    """(normalised texts, labels) the learned scorer is fitted on."""
    docs: list[str] = []
    labels: list[str] = []
    for topic in topics.values():
        for text in topic.all_variants():
            docs.append(normalise(text))
            labels.append(topic.id)
    for text in refusals:
        docs.append(normalise(text))
        labels.append(OUT_OF_SCOPE)
    return docs, labels


def lexical_matcher(topics: dict[str, Topic], thresholds: Thresholds | None = None) -> Matcher:
    return Matcher(
        ((t.id, t.all_variants(), list(t.answer.values())) for t in topics.values()), thresholds
    )


def build(topics: dict[str, Topic], thresholds: Thresholds | None = None,
          refusals: list[str] | None = None, learned: bool = True,
          policy: Policy | None = None) -> KnowledgeBase:
    lexical = lexical_matcher(topics, thresholds)
    scorer: LearnedScorer | None = None
    if learned:
        scorer = load_or_train(*training_data(topics, refusals or []))
    vi_words = {w for t in topics.values() for q in t.questions["vi"] for w in fold(q).split()}
    en_words = {
        w
        for t in topics.values()
        for q in t.questions["en"]
        for w in re.findall(r"[a-z]+", fold(q))
    }
    english = frozenset(_ENGLISH_BASE | (en_words - vi_words))
    return KnowledgeBase(topics=topics, matcher=Understanding(lexical, scorer, policy),
                         english_words=english, out_of_scope=list(refusals or []))


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    files = [*topic_files(folder), folder / LEXICON_FILE, folder / OUT_OF_SCOPE_FILE]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())


_LOADED: dict[tuple[object, ...], KnowledgeBase] = {}


def load_shared(folder: Path) -> KnowledgeBase:
    """`load`, reused while no file in FOLDER changed: the knowledge base is read-only.

    Tests and CLI commands build many apps in one process; each would otherwise
    rebuild the index and reload the classifier.
    """
    kb = _cached(folder)
    if kb.lexicon is not None:
        use_lexicon(kb.lexicon)
    return kb


def deployed(folder: Path) -> KnowledgeBase:
    """FOLDER's files as deployed (cached while unchanged), for comparing the console's
    edits with them, leaving the lexicon in use alone (a console edit of it may be live)."""
    active = active_lexicon()
    kb = _cached(folder)
    if active is not None:
        use_lexicon(active)
    return kb


def _cached(folder: Path) -> KnowledgeBase:
    key = (folder.resolve(), _stamp(folder))
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load(folder)
    return _LOADED[key]


def load(folder: Path, thresholds: Thresholds | None = None, learned: bool = True) -> KnowledgeBase:
    """Load and validate; raise KnowledgeError listing every problem."""
    topics, lexicon, refusals, problems = read_folder(folder)
    if problems:
        raise KnowledgeError(problems)
    if lexicon is not None:
        use_lexicon(lexicon)
    kb = build(topics, thresholds, refusals, learned)
    kb.lexicon = lexicon
    kb.lexicon_raw = read_lexicon_raw(folder)
    return kb

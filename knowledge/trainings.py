"""Training sessions as data (knowledge/trainings.yaml), validated like the topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from knowledge.audience import SESSION_AUDIENCES, Audience
from knowledge.errors import KnowledgeError, yaml_problem

AUDIENCES = tuple(SESSION_AUDIENCES)
FIELD_TYPES = ("text", "number", "choice")
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """'2026-12-05 08:00', '…:SS' or ISO 8601, in local time → aware datetime."""
    text = str(text).strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    moment = datetime.fromisoformat(text)  # raises ValueError with a clear message
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@dataclass(frozen=True)
class SessionSpec:
    id: str
    title: dict[str, str]
    audience: str
    description: dict[str, str]
    start: datetime
    end: datetime
    place: str
    capacity: int
    link: str | None = None
    commune: str | None = None
    deadline: datetime | None = None
    extra_fields: list[dict[str, Any]] = field(default_factory=list)


def _field_problems(where: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict) or not spec.get("key"):
        return [f"{where}: needs a key"]
    problems = []
    label = spec.get("label")
    if not isinstance(label, dict) or not label.get("vi") or not label.get("en"):
        problems.append(f"{where}.label: needs vi and en")
    if spec.get("type") not in FIELD_TYPES:
        problems.append(f"{where}.type: must be one of {', '.join(FIELD_TYPES)}")
    if spec.get("type") == "choice" and not spec.get("choices"):
        problems.append(f"{where}.choices: a choice field needs choices")
    return problems


def load_sessions(path: Path, tz: ZoneInfo) -> list[SessionSpec]:
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError([yaml_problem(path, exc)]) from None
    problems: list[str] = []
    specs: list[SessionSpec] = []
    for raw in data.get("sessions") or []:
        sid = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path}: session {sid}"
        if not isinstance(sid, str) or not sid or len(sid) > 40:
            problems.append(f"{path}: every session needs an id of at most 40 characters")
            continue
        try:
            start = parse_local(raw["start"], tz)
            end = parse_local(raw["end"], tz)
            deadline = parse_local(raw["deadline"], tz) if raw.get("deadline") else None
        except (KeyError, ValueError) as exc:
            problems.append(f"{where}: start/end/deadline: {exc}")
            continue
        if raw.get("audience", Audience.ALL) not in AUDIENCES:
            problems.append(f"{where}: audience: must be youth, business or all")
        for i, extra in enumerate(raw.get("extra_fields") or []):
            problems += _field_problems(f"{where}: extra_fields[{i}]", extra)
        title, description = raw.get("title") or {}, raw.get("description") or {}
        if not title.get("vi") or not title.get("en"):
            problems.append(f"{where}: title: needs vi and en")
        specs.append(SessionSpec(
            id=sid, title=title, audience=raw.get("audience", Audience.ALL),
            description={"vi": description.get("vi", ""), "en": description.get("en", "")},
            start=start, end=end, place=str(raw.get("place", "")),
            capacity=int(raw.get("capacity", 0)), link=raw.get("link"),
            commune=raw.get("commune"), deadline=deadline,
            extra_fields=list(raw.get("extra_fields") or []),
        ))
    if problems:
        raise KnowledgeError(problems)
    return specs

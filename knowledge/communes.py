"""The 99 communes and wards, found from whatever name a person types.

People still use the names of the units that existed before 07/2025 ("thị trấn
Sa Pa", "Bản Phiệt", "xa Kim Noi"), type without diacritics, with typos, with or
without "xã/phường". Every new unit is indexed under its own name and the names
of the old units it was formed from, all folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from knowledge.normalise import fold

# Unit-type words typed before a name; folded, longest first.
_PREFIXES = (
    "thi tran", "thi xa", "thanh pho", "phuong", "huyen", "xa", "tt", "tx", "tp", "p", "x",
)
_PREFIX = re.compile(r"^(?:" + "|".join(p.replace(" ", r"\s+") for p in _PREFIXES) + r")[\s.]+")
_GSO = re.compile(r"\[GSO list: ([^\]]+)\]")
_TYPE_WORDS = {"xa": "xa", "phuong": "phuong", "p": "phuong", "x": "xa"}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # "Phường Cam Đường"
    type: str  # xa | phuong
    formed_from: str
    old_names: tuple[str, ...] = field(default=())

    @property
    def bare_name(self) -> str:
        return re.sub(r"^(Xã|Phường)\s+", "", self.name)


def _bare(folded: str) -> str:
    return _PREFIX.sub("", folded.strip()).strip()


def _old_units(formed_from: str) -> list[str]:
    """'Xã A, Xã B (huyện X, tỉnh Y); Phường C (…)' → ['Xã A', 'Xã B', 'Phường C', …]."""
    text = formed_from.replace("Không sắp xếp (giữ nguyên):", "")
    names: list[str] = []
    for alt in _GSO.findall(text):
        names.append(alt.strip())
    text = _GSO.sub("", text)
    text = re.sub(r"\([^)]*\)", "", text)
    for part in re.split(r"[;,]", text):
        part = part.strip()
        if re.match(r"^(Xã|Phường|Thị trấn)\s", part):
            names.append(part)
    return names


def load_communes(path: Path) -> list[Commune]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for unit in data["units"]:
        formed = str(unit.get("formed_from", ""))
        out.append(
            Commune(
                code=str(unit["code"]),
                name=str(unit["name"]),
                type=str(unit["type"]),
                formed_from=formed,
                old_names=tuple(_old_units(formed)),
            )
        )
    return out


@dataclass(frozen=True)
class PickResult:
    """One commune when sure; several to choose from; none when nothing is close."""

    communes: list[Commune]
    via_old_name: dict[str, str] = field(default_factory=dict)  # code → old name matched

    @property
    def sure(self) -> bool:
        return len(self.communes) == 1


class CommunePicker:
    def __init__(self, communes: list[Commune]) -> None:
        self.communes = communes
        self.by_code = {c.code: c for c in communes}
        # (folded bare name, code, is_current_name, typed unit type)
        self.entries: list[tuple[str, str, bool, str]] = []
        for c in communes:
            self.entries.append((_bare(fold(c.name)), c.code, True, c.type))
            for old in c.old_names:
                kind = "phuong" if old.startswith("Phường") else "xa"
                self.entries.append((_bare(fold(old)), c.code, False, kind))
        self.names = [e[0] for e in self.entries]

    def get(self, code: str) -> Commune | None:
        return self.by_code.get(code)

    def search(self, text: str, limit: int = 5) -> PickResult:
        # "Tú Lệ, Văn Chấn": what follows a comma is the old district or province.
        first = fold(text).split(",", 1)[0]
        folded = " ".join(re.sub(r"[^\w\s.]", " ", first).split())
        typed_kind = None
        words = folded.split(" ")
        if len(words) > 1 and words[-1] in _TYPE_WORDS:  # "nghia lo phuong"
            folded = " ".join([words[-1], *words[:-1]])
        head = folded.split(" ", 1)[0].rstrip(".")
        if head in _TYPE_WORDS and " " in folded:
            typed_kind = _TYPE_WORDS[head]
        query = _bare(folded)
        query = re.sub(r"\b(tinh )?(lao cai|yen bai)$", "", query).strip() or query
        if len(query) < 2:
            return PickResult([])

        exact = [e for e in self.entries if e[0] == query]
        if exact:
            return self._result(exact, typed_kind)

        found = process.extract(query, self.names, scorer=fuzz.ratio, limit=12, score_cutoff=72)
        if not found:
            return PickResult([])
        best = found[0][1]
        close = [self.entries[i] for _, score, i in found if score >= best - 6]
        result = self._result(close, typed_kind)
        if best >= 88 and len(result.communes) > 1:
            top_code = self.entries[found[0][2]][1]
            runner = max(
                (s for _, s, i in found if self.entries[i][1] != top_code), default=0
            )
            if best - runner >= 8:
                return PickResult([self.by_code[top_code]], result.via_old_name)
        return PickResult(result.communes[:limit], result.via_old_name)

    def _result(self, entries: list[tuple[str, str, bool, str]], kind: str | None) -> PickResult:
        if kind:
            typed = [e for e in entries if e[3] == kind]
            entries = typed or entries
        codes: list[str] = []
        via: dict[str, str] = {}
        by_current = {e[1] for e in entries if e[2]}
        for name, code, current, _ in entries:
            if code not in codes:
                codes.append(code)
            if not current and code not in via and code not in by_current:
                via[code] = name
        # A current name matching exactly is listed first.
        codes.sort(key=lambda c: 0 if any(e[1] == c and e[2] for e in entries) else 1)
        return PickResult([self.by_code[c] for c in codes], via)

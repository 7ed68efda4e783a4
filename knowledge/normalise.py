"""Text normalisation shared by the FAQ matcher, the classifier and the commune picker.

Users type Vietnamese with or without diacritics, in chat shorthand, with
typos, or in English. Both the knowledge base (at load) and every message go
through the same steps, so they meet in one folded, expanded vocabulary:

NFC → lowercase → drop invisible characters → fold diacritics (đ→d) → squeeze
repeated letters → tokenise (keeping id.vn, 10/10, 57-nq/tw recognisable) →
expand shorthand, typing slips and English words (knowledge/lexicon.yaml) →
numbers written as words → spoken dates → phrases and synonym groups.

The vocabulary is data (`knowledge/lexicon.yaml`); the grammar of numbers,
dates and ages is code, below.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from knowledge.folding import clean_text, fold, has_vietnamese_marks, squeeze_repeats
from knowledge.lexicon import Lexicon, load_lexicon

__all__ = ["clean_text", "fold", "has_vietnamese_marks", "normalise", "tokens", "use_lexicon"]

PACKAGE_LEXICON = Path(__file__).resolve().parent / "lexicon.yaml"

_TOKEN = re.compile(r"[a-z0-9]+(?:[./&-][a-z0-9]+)*")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(?:\.[a-z]{2,})+$")
_AGE = re.compile(r"^(\d{1,2})(?:t|tuoi|y|yo)$")
_ABBR_NUMBER = re.compile(r"^(nq|kh|qd|tt)(\d{1,4})$")
# "ngày 15 tháng 10", "mùng 1 tháng 10", "15 thang 10" → 15/10
_SPOKEN_DATE = re.compile(r"\b(?:(?:ngay|mung|hom) )?(\d{1,2}) thang (\d{1,2})\b")

# Numbers written as words (folded): "mười chín tuổi" → 19 tuoi, "hai mươi mốt" → 21.
# Folded, many number words are also other words (từ/tư, sau/sáu, bay/bảy, làm/lăm,
# tám/tâm), so a lone word counts only where it cannot be anything else.
_DIGITS = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
           "sau": 6, "bay": 7, "tam": 8, "chin": 9}
_LEADING = frozenset(["mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin"])  # "<x> mươi"
_TRAILING = frozenset(_DIGITS) - {"khong"}  # "mươi <x>", "mười <x>"
_LONE = frozenset(["mot", "hai", "ba", "bon", "nam", "chin"])  # alone, before a counted word
_TENS = "muoi"
_COUNTED = frozenset(["tuoi", "nam", "thang", "trieu", "nghin", "ngan"])

class _Active:
    lexicon: Lexicon | None = None


def use_lexicon(lexicon: Lexicon) -> None:
    """Install LEXICON for every later normalisation (the knowledge base's own file)."""
    if _Active.lexicon is lexicon:
        return
    _Active.lexicon = lexicon
    normalise.cache_clear()


def active_lexicon() -> Lexicon | None:
    return _Active.lexicon


def _lexicon() -> Lexicon:
    if _Active.lexicon is None:
        _Active.lexicon = load_lexicon(PACKAGE_LEXICON)
    return _Active.lexicon


def _spoken_date(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), int(match.group(2))
    if 1 <= day <= 31 and 1 <= month <= 12:
        return f"{day}/{month}"
    return match.group(0)


def _expand_token(token: str, lexicon: Lexicon) -> list[str]:
    if _DOMAIN.match(token) and "." in token:
        return [token]
    date = _DATE.match(token)
    if date:
        day, month, year = date.groups()
        parts = [str(int(day)), str(int(month))] + ([year] if year else [])
        return ["/".join(parts)]
    age = _AGE.match(token)
    if age:
        return [age.group(1), "tuoi"]
    numbered = _ABBR_NUMBER.match(token)
    if numbered and numbered.group(1) in lexicon.document_codes:
        return [*lexicon.document_codes[numbered.group(1)].split(), numbered.group(2)]
    if token in lexicon.tokens:
        return list(lexicon.tokens[token])
    if any(sep in token for sep in "/-&."):
        out: list[str] = []
        for piece in re.split(r"[./&-]", token):
            if piece:
                code = lexicon.document_codes.get(piece)
                out.extend(code.split() if code else lexicon.tokens.get(piece, (piece,)))
        return out
    return [token]


def _numbers(words: list[str]) -> list[str]:
    """Replace numbers written as words by digits, where they are clearly numbers."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        after = words[i + 2] if i + 2 < len(words) else ""
        if word == _TENS and nxt in _TRAILING:  # mười chín → 19
            out.append(str(10 + _DIGITS[nxt]))
            i += 2
        elif word in _LEADING and nxt == _TENS:  # hai mươi (mốt) → 20 (21)
            tail = _DIGITS[after] if after in _TRAILING else 0
            out.append(str(_DIGITS[word] * 10 + tail))
            i += 3 if tail else 2
        elif (word == _TENS or word in _LONE) and nxt in _COUNTED and word != nxt:
            out.append("10" if word == _TENS else str(_DIGITS[word]))  # ba tuổi → 3
            i += 1
        else:
            out.append(word)
            i += 1
    return out


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """The matcher's canonical form of TEXT (folded, tokenised, expanded)."""
    lexicon = _lexicon()
    folded = squeeze_repeats(fold(text))
    words: list[str] = []
    for token in _TOKEN.findall(folded):
        words.extend(_expand_token(token, lexicon))
    joined = _SPOKEN_DATE.sub(_spoken_date, " ".join(_numbers(words)))
    if not joined:
        return ""
    return " ".join(lexicon.rewrite(joined.split()))


def tokens(text: str) -> list[str]:
    return normalise(text).split()

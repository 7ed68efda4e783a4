"""Folding Vietnamese text: the character-level steps every comparison starts with."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and direction marks that phones and copy-paste leave behind.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)
_REPEATS = re.compile(r"([a-z])\1{2,}")


def fold(text: str) -> str:
    """Lowercase and strip Vietnamese diacritics, mapping đ→d (NFKD alone deletes đ)."""
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE).lower()
    text = text.replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squeeze_repeats(folded: str) -> str:
    """'duocccc' → 'duoc': no Vietnamese or English word has a letter three times running."""
    return _REPEATS.sub(r"\1", folded)


def has_vietnamese_marks(text: str) -> bool:
    lowered = unicodedata.normalize("NFC", text).lower()
    return "đ" in lowered or fold(lowered) != lowered.translate(INVISIBLE)


def clean_text(text: str) -> str:
    """NFC, no invisible characters, collapsed white space: what handlers see."""
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    return " ".join(text.split())

"""One message catalogue per language; Vietnamese is the default and the fallback."""

from __future__ import annotations

from bot.catalogue import en, vi

CATALOGUES: dict[str, dict[str, str]] = {"vi": vi.MESSAGES, "en": en.MESSAGES}
LANGUAGES = tuple(CATALOGUES)


def text(lang: str, key: str, **values: object) -> str:
    catalogue = CATALOGUES.get(lang, vi.MESSAGES)
    template = catalogue.get(key) or vi.MESSAGES[key]
    return template.format(**values) if values else template


def name_of(lang: str, prefix: str, code: str) -> str:
    """A stored code's name (the key PREFIX + CODE), or the code itself when it has none."""
    return CATALOGUES.get(lang, vi.MESSAGES).get(prefix + code) or code

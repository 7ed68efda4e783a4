"""The knowledge base's light markup (**bold**, '- ' lists, bare https links) per channel."""

from __future__ import annotations

import html
import re

BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_LINK = re.compile(r"(https://[^\s<>\"')]+[^\s<>\"').,;:!?])")


def to_plain(text: str) -> str:
    return BOLD.sub(r"\1", text)


def to_html(text: str) -> str:
    """Escape everything first, so user or staff text can never inject markup."""
    escaped = html.escape(text, quote=True)
    escaped = BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _LINK.sub(r'<a href="\1" target="_blank" rel="noopener">\1</a>', escaped)
    return escaped.replace("\n", "<br>")


def to_telegram_html(text: str) -> str:
    """Escape everything, then the knowledge base's **bold**; Telegram links bare URLs itself."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph boundaries (then lines, then words), each piece under LIMIT.

    Every channel with a length limit uses this: Telegram 4,096, Zalo 2,000.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for part in text.split("\n\n"):
        while len(part) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = part.rfind("\n", 0, limit)
            cut = cut if cut > limit // 2 else part.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(part[:cut])
            part = part[cut:].lstrip()
        candidate = f"{current}\n\n{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return pieces

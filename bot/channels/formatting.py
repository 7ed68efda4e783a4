"""The knowledge base's light markup (**bold**, '- ' lists, bare https links) per channel."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_LINK = re.compile(r"(https://[^\s<>\"')]+[^\s<>\"').,;:!?])")


def to_plain(text: str) -> str:
    return _BOLD.sub(r"\1", text)


def to_html(text: str) -> str:
    """Escape everything first, so user or staff text can never inject markup."""
    escaped = html.escape(text, quote=True)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _LINK.sub(r'<a href="\1" target="_blank" rel="noopener">\1</a>', escaped)
    return escaped.replace("\n", "<br>")

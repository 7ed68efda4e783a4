"""Channel-neutral message types: what every channel turns updates into and renders from.

Every channel builds an `Incoming`, so that is where text is made safe, once:
whatever a platform or a hostile client sends, the core, the database, the
question log, an echo in a reply and a staff export only ever see valid,
printable Unicode.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, fields

# Unicode categories dropped from incoming text: controls (but see _KEPT), format
# characters (bidi overrides and isolates, zero-width marks), lone surrogates,
# private use and unassigned code points.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_KEPT = {"\n": "\n", "\t": " ", "\r": "\n", "\u200d": "\u200d"}  # ZWJ joins emoji


def clean_incoming(text: str) -> str:
    """Valid NFC Unicode without NUL, control, bidi-override or surrogate characters."""
    text = text.replace("\r\n", "\n")
    if text.isascii() and text.isprintable():
        return text
    kept = "".join(
        _KEPT.get(ch, "") if ch in _KEPT or unicodedata.category(ch) in _DROPPED_CATEGORIES
        else ch
        for ch in text
    )
    return unicodedata.normalize("NFC", kept)


@dataclass(frozen=True)
class Incoming:
    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    payload: str | None = None  # an option's payload (button press)
    language_hint: str | None = None
    display_name: str | None = None
    unsupported: bool = False  # sticker, photo, voice… anything without text
    phone: str | None = None  # a shared contact (Telegram's one-tap phone button)
    message_id: str | None = None  # set by channels that may deliver an update twice
    reply_to: str | None = None  # the text of the bot's own message this one replies to

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value and not (value.isascii() and value.isprintable()):
                object.__setattr__(self, name, clean_incoming(value))


# The string fields (annotations are strings here, from __future__): cleaned once each.
_TEXT_FIELDS = tuple(f.name for f in fields(Incoming) if f.type in ("str", "str | None"))


@dataclass(frozen=True)
class Option:
    label: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str
    text_fallback: str  # for channels that cannot send files


@dataclass
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)
    attachment: Attachment | None = None
    request_phone: bool = False
    lang: str = "vi"  # the language the reply is in, for channel-side hints
    secret_link: bool = False  # no link preview: the platform must not fetch the link

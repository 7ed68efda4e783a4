"""Channel-neutral message types: what every channel turns updates into and renders from."""

from __future__ import annotations

from dataclasses import dataclass, field


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

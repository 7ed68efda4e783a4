"""Every option payload is built and taken apart here, within Telegram's 64 bytes.

Kinds: `m:<action>` a menu action, `f:<topic>` a knowledge topic, `d:<nonce>:<value>`
a choice valid only for the dialog step that offered it (a list's items are
`item(kind letter, key)` values, read back with `item_key`); features may own more
kinds (the FAQ's `s:` and `v:` follow-ups) through `Conversation.payload_kind`.
Actions are an enum, so a misspelt one fails at import, not in production as
"this choice is no longer valid".
"""

from __future__ import annotations

from enum import StrEnum

MAX_BYTES = 64  # Telegram's callback_data limit, the tightest of the channels
MENU_KIND = "m"
TOPIC_KIND = "f"
DIALOG_KIND = "d"
DIALOG_PREFIX = f"{DIALOG_KIND}:"


class Action(StrEnum):
    """Menu actions: what `m:<action>` options start."""

    MENU = "menu"
    FAQ = "faq"
    TRAINING = "training"
    MINE = "mine"
    BROADCAST = "broadcast"
    EVENTS = "events"
    MY_REMINDERS = "myreminders"
    NEWS = "news"
    STOP_NEWS = "stopnews"
    PRIVACY = "privacy"
    MY_DATA = "mydata"
    FORGET = "forget"
    HANDOFF = "human"  # ask a person: what is your question?
    HANDOFF_LAST = "humanlast"  # send the question just asked to a person


def checked(payload: str) -> str:
    """PAYLOAD, or ValueError if a channel could not carry it."""
    if len(payload.encode()) > MAX_BYTES:
        raise ValueError(f"option payload over {MAX_BYTES} bytes: map it to a short key")
    return payload


def action(name: Action) -> str:
    return checked(f"{MENU_KIND}:{name.value}")


def topic(topic_id: str) -> str:
    return checked(f"{TOPIC_KIND}:{topic_id}")


def dialog(nonce: str, value: str) -> str:
    return checked(f"{DIALOG_PREFIX}{nonce}:{value}")


def item(kind: str, key: object) -> str:
    """A dialog value naming one item of a list, KIND one letter: item("b", 17) → "b17"."""
    if len(kind) != 1:
        raise ValueError("an item kind is one letter")
    return f"{kind}{key}"


def item_key(value: str | None, kind: str) -> str | None:
    """The key of an item value of KIND ("b17" → "17"); None for any other value."""
    if value and len(value) > 1 and value[0] == kind:
        return value[1:]
    return None


def item_index(value: str | None, kind: str, count: int) -> int | None:
    """An item value naming a place in a list of COUNT ("s2" → 2); None if out of it."""
    key = item_key(value, kind)
    return int(key) if key is not None and key.isdigit() and int(key) < count else None


def split(payload: str) -> tuple[str, str]:
    """(kind, the rest): 'm:mine' → ('m', 'mine')."""
    kind, _, rest = payload.partition(":")
    return kind, rest


def split_dialog(payload: str) -> tuple[str, str]:
    """(nonce, value) of a dialog payload; empty strings when malformed."""
    _, nonce, value = ([*payload.split(":", 2), "", ""])[:3]
    return nonce, value

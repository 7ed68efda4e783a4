"""One chat's messages are handled in order, different chats concurrently."""

from __future__ import annotations

import asyncio
from weakref import WeakValueDictionary


class ChatLocks:
    """A lock per chat, forgotten once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def __call__(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

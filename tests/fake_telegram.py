"""A fake Telegram Bot API on 127.0.0.1 for tests and benchmarks.

It records every call, serves queued updates to getUpdates long polls, and can
answer 429 (with retry_after) or 403 for chosen chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import Counter, deque
from typing import Any

from aiohttp import web

from tests.local_server import Call, LocalServer

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Lào Cai", "username": "laocai_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


def plain(html_text: str) -> str:
    """What Telegram gives back of a message sent as HTML: its text, marks gone."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


class TelegramCall(Call):
    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class FakeTelegram(LocalServer):
    def __init__(self, token: str = "123:TEST") -> None:
        self.token = token
        self.calls: list[TelegramCall] = []
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1000)
        self.new_update = asyncio.Event()
        self.forbidden_chats: set[int] = set()
        self.too_many: int = 0  # answer this many sends with 429 first
        self.broken: int = 0  # drop the connection on this many sends first (network error)
        self.retry_after = 1
        self.port = 0
        self.sent = asyncio.Event()
        self.max_per_second: int | None = None  # enforce a Telegram-like bot-wide limit
        self.recent_sends: deque[float] = deque()
        self.rejected_429 = 0
        self.record = True  # benchmarks keep counts only
        self.per_chat: Counter[str] = Counter()
        self.first_send = self.last_send = 0.0

    # -- server -----------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_get("/bot{token}/{method}", self.handle)
        app.router.add_get("/stats", self.stats)
        await self.serve(app)
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    params[key] = {"filename": value.filename, "content": value.file.read()}
                    continue
                try:
                    params[key] = json.loads(value)
                except (TypeError, ValueError):
                    params[key] = value
        elif request.can_read_body:
            params = await request.json()
        if method != "getUpdates" and self.record:
            self.calls.append(TelegramCall(method, params))
        chat = params.get("chat_id")
        if method.startswith("send") and method != "sendChatAction":
            if chat is not None and int(chat) in self.forbidden_chats:
                return web.json_response({"ok": False, "error_code": 403,
                                          "description": "Forbidden: bot was blocked by the user"},
                                         status=403)
            now = time.monotonic()
            if self.max_per_second is not None:
                while self.recent_sends and now - self.recent_sends[0] >= 1.0:
                    self.recent_sends.popleft()
                if len(self.recent_sends) >= self.max_per_second:
                    self.rejected_429 += 1
                    return web.json_response(
                        {"ok": False, "error_code": 429,
                         "description": "Too Many Requests: retry after 1",
                         "parameters": {"retry_after": 1}}, status=429)
                self.recent_sends.append(now)
            if self.broken > 0:
                self.broken -= 1
                assert request.transport is not None
                request.transport.close()  # the client sees the connection reset
                return web.Response(status=502)
            if self.too_many > 0:
                self.too_many -= 1
                return web.json_response(
                    {"ok": False, "error_code": 429,
                     "description": f"Too Many Requests: retry after {self.retry_after}",
                     "parameters": {"retry_after": self.retry_after}}, status=429)
        result = await getattr(self, f"api_{method}", self.api_true)(params)
        if method.startswith("send"):
            self.sent.set()
            if method == "sendMessage":
                self.per_chat[str(chat)] += 1
                self.first_send = self.first_send or time.monotonic()
                self.last_send = time.monotonic()
        return web.json_response({"ok": True, "result": result})

    async def stats(self, _request: web.Request) -> web.Response:
        """Counts for benchmarks that run the fake in another process."""
        total = sum(self.per_chat.values())
        return web.json_response({
            "sent": total, "chats": len(self.per_chat),
            "duplicates": total - len(self.per_chat), "rejected_429": self.rejected_429,
            "seconds": self.last_send - self.first_send})

    # -- methods ----------------------------------------------------------------

    async def api_true(self, _params: dict[str, Any]) -> bool:
        return True

    async def api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 0.5)
        while True:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if self.updates or time.monotonic() >= deadline:
                batch = self.updates[:100]
                return batch
            self.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_update.wait(), deadline - time.monotonic())

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {"message_id": next(self.message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER, **extra}

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params.get("text", ""))

    async def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, document={"file_id": "f1", "file_unique_id": "u1"})

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._message(params, text=params.get("text", "")) if "chat_id" in params else True

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._message(params, text="") if "chat_id" in params else True

    # -- helpers for tests --------------------------------------------------------

    def push(self, **update: Any) -> int:
        update_id = next(self.update_ids)
        self.updates.append({"update_id": update_id, **update})
        self.new_update.set()
        return update_id

    @staticmethod
    def user(user_id: int, lang: str = "vi") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}",
                "language_code": lang}

    def push_text(self, user_id: int, text: str, chat_id: int | None = None,
                  chat_type: str = "private", lang: str = "vi",
                  reply_to: Call | None = None) -> int:
        """A message from USER_ID; REPLY_TO: the bot's sent message it swipe-replies to."""
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{user_id}"
        else:
            chat["title"] = "Nhóm xã"
        message = {"message_id": next(self.message_ids), "date": int(time.time()),
                   "chat": chat, "from": self.user(user_id, lang), "text": text}
        if reply_to is not None:
            message["reply_to_message"] = {"message_id": next(self.message_ids),
                                           "date": int(time.time()), "chat": chat,
                                           "from": BOT_USER, "text": plain(reply_to.text)}
        return self.push(message=message)

    def push_sticker(self, user_id: int) -> int:
        return self.push(message={
            "message_id": next(self.message_ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": self.user(user_id),
            "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
                        "width": 512, "height": 512, "is_animated": False,
                        "is_video": False}})

    def push_callback(self, user_id: int, data: str) -> int:
        message = {"message_id": next(self.message_ids), "date": int(time.time()),
                   "chat": {"id": user_id, "type": "private", "first_name": "U"},
                   "from": BOT_USER, "text": "…"}
        return self.push(callback_query={"id": str(next(self.message_ids)),
                                         "from": self.user(user_id), "chat_instance": "ci",
                                         "message": message, "data": data})

    def push_blocked(self, user_id: int, blocked: bool = True) -> int:
        member = {"user": BOT_USER, "status": "kicked" if blocked else "member"}
        if blocked:
            member["until_date"] = 0
        old = {"user": BOT_USER, "status": "member" if blocked else "kicked"}
        if not blocked:
            old["until_date"] = 0
        return self.push(my_chat_member={
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": self.user(user_id), "date": int(time.time()),
            "old_chat_member": old, "new_chat_member": member})

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and int(c.params["chat_id"]) == chat_id]

    async def wait_for(self, predicate, limit_seconds: float = 10.0) -> Call:
        deadline = time.monotonic() + limit_seconds
        while time.monotonic() < deadline:
            for call in self.calls:
                if predicate(call):
                    return call
            self.sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sent.wait(), 0.2)
        seen = [(c.method, c.text[:40]) for c in self.calls]
        raise AssertionError(f"no matching call; calls: {seen}")

    async def wait_text(self, chat_id: int, fragment: str, after: int = 0,
                        limit_seconds: float = 10.0) -> Call:
        """The first sendMessage to CHAT_ID, among calls from index AFTER, containing FRAGMENT."""
        def match(call: Call) -> bool:
            return (call.method == "sendMessage" and int(call.params.get("chat_id", 0)) == chat_id
                    and fragment in call.text and self.calls.index(call) >= after)
        return await self.wait_for(match, limit_seconds)

"""A fake Zalo Bot Platform API on 127.0.0.1 for tests.

Like the real edge as integrators describe it: one update per getUpdates call,
408 when a long poll ends idle, 429 "Quota exceeded" when told to, ids as
strings, dates in milliseconds, and two `Server` headers on every response.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web

from tests.local_server import Call, LocalServer, wait_for_text


class FakeZalo(LocalServer):
    def __init__(self, token: str = "zalo-token-123") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ids = itertools.count(1)
        self.quota_errors = 0
        self.forbidden_chats: set[str] = set()  # people who blocked the bot: 403
        self.wrap = True  # {ok, result} envelope on updates, or bare
        self.port = 0
        self.sent = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        await self.serve(app)
        return f"http://127.0.0.1:{self.port}/bot"

    @staticmethod
    def reply(body: dict[str, Any], status: int = 200) -> web.Response:
        response = web.json_response(body, status=status)
        response.headers.add("Server", "ZaloEdge")
        response.headers.add("Server", "nginx")  # the duplicate integrators report
        return response

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self.reply({"ok": False, "error_code": 401, "description": "Unauthorized"},
                              401)
        method = request.match_info["method"]
        params = await request.json() if request.can_read_body else {}
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        if method == "getMe":
            return self.reply({"ok": True, "result": {"id": "bot1", "account_name": "laocai_bot",
                                                      "display_name": "Lào Cai"}})
        if method == "getUpdates":
            wait = min(float(params.get("timeout") or 0), 0.5)
            try:
                update = await asyncio.wait_for(self.queue.get(), wait)
            except TimeoutError:
                return self.reply({"ok": False, "error_code": 408,
                                   "description": "Request timeout"}, 408)
            return self.reply({"ok": True, "result": update} if self.wrap else update)
        if method == "sendMessage":
            if str(params.get("chat_id")) in self.forbidden_chats:
                return self.reply({"ok": False, "error_code": 403,
                                   "description": "User has blocked the bot"}, 403)
            if self.quota_errors > 0:
                self.quota_errors -= 1
                return self.reply({"ok": False, "error_code": 429,
                                   "description": "Quota exceeded"}, 429)
            self.sent.set()
            return self.reply({"ok": True, "result": {"message_id": f"m{next(self.ids)}",
                                                      "date": int(time.time() * 1000)}})
        return self.reply({"ok": True, "result": True})

    # -- helpers ------------------------------------------------------------------

    def update(self, user: str, text: str | None = None, event: str = "message.text.received",
               message_id: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id or f"in{next(self.ids)}",
            "date": int(time.time() * 1000),
            "from": {"id": user, "display_name": f"Người {user}", "is_bot": False},
            "chat": {"id": user, "chat_type": "PRIVATE"},
        }
        if text is not None:
            message["text"] = text
        return {"event_name": event, "message": message}

    def push(self, user: str, text: str | None = None, **kw: Any) -> dict[str, Any]:
        update = self.update(user, text, **kw)
        self.queue.put_nowait(update)
        return update

    def sent_to(self, user: str) -> list[Call]:
        return [c for c in self.calls if c.method == "sendMessage" and c.params["chat_id"] == user]

    async def wait_text(self, user: str, fragment: str, after: int = 0,
                        limit_seconds: float = 10.0) -> Call:
        return await wait_for_text(lambda: self.sent_to(user), self.sent, fragment, after,
                                   limit_seconds, user)

"""Every platform channel is the same small thing to the rest of the bot."""

from __future__ import annotations

import inspect

from bot.channels.base import PLATFORMS, Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel


def test_each_platform_channel_has_the_protocols_name_start_stop_and_deliver() -> None:
    for cls, name in ((TelegramChannel, "telegram"), (ZaloChannel, "zalo")):
        assert cls.name == name
        for method in ("start", "stop", "deliver"):
            assert inspect.iscoroutinefunction(getattr(cls, method)), (cls, method)
        assert "receive" in inspect.signature(cls.start).parameters
        assert set(inspect.signature(cls.deliver).parameters) >= {"chat_id", "reply"}


def test_run_starts_channels_from_one_table() -> None:
    assert set(PLATFORMS) == {"telegram", "zalo"}
    assert Channel.__name__ == "Channel"

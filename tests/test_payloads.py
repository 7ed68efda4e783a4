"""Option payloads: built in one module, within 64 bytes, and every menu action has a handler."""

from __future__ import annotations

import pytest

from bot.core import payloads
from bot.core.payloads import Action


def test_every_menu_action_has_a_handler(app) -> None:
    assert set(Action) <= set(app.conversation.actions)


def test_payloads_round_trip() -> None:
    assert payloads.split(payloads.action(Action.MINE)) == ("m", "mine")
    assert payloads.split(payloads.topic("domain.idvn.free")) == ("f", "domain.idvn.free")
    assert payloads.split_dialog(payloads.dialog("abcdef", "s0")) == ("abcdef", "s0")
    assert payloads.split_dialog("d:") == ("", "")


def test_a_payload_a_channel_cannot_carry_fails_when_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        payloads.topic("t" * 63)


def test_a_misspelt_action_fails_at_once() -> None:
    with pytest.raises(AttributeError):
        _ = Action.MINEE  # type: ignore[attr-defined]


def test_a_list_item_is_named_by_one_letter_and_read_back_only_for_that_letter() -> None:
    assert payloads.item("b", 17) == "b17"
    assert payloads.item_key("b17", "b") == "17"
    assert payloads.item_key("s17", "b") is None  # another list's item
    assert payloads.item_key("b", "b") is None and payloads.item_key(None, "b") is None
    assert payloads.item_index("s2", "s", 3) == 2
    assert payloads.item_index("s3", "s", 3) is None  # past the list
    assert payloads.item_index("s-1", "s", 3) is None and payloads.item_index("sx", "s", 3) is None
    with pytest.raises(ValueError):
        payloads.item("bb", 1)

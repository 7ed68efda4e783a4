"""Both message catalogues say the same things: same keys, same placeholders."""

from __future__ import annotations

import string

from bot.catalogue import en, vi


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_vietnamese_and_english_have_the_same_keys() -> None:
    assert set(vi.MESSAGES) - set(en.MESSAGES) == set()
    assert set(en.MESSAGES) - set(vi.MESSAGES) == set()


def test_every_message_has_the_same_placeholders_in_both_languages() -> None:
    differing = {key: (_placeholders(vi.MESSAGES[key]), _placeholders(en.MESSAGES[key]))
                 for key in vi.MESSAGES.keys() & en.MESSAGES.keys()
                 if _placeholders(vi.MESSAGES[key]) != _placeholders(en.MESSAGES[key])}
    assert differing == {}


def test_every_command_in_the_menus_is_described_in_both_languages(app) -> None:
    menu = app.conversation.menu_commands
    assert {"start", "help", "cancel", "mydata", "forget", "dangky"} <= set(menu)
    assert "broadcast" not in menu  # staff commands stay out of the public menu
    for command in menu:
        assert command in app.conversation.commands
        assert f"cmd_{command}" in vi.MESSAGES and f"cmd_{command}" in en.MESSAGES

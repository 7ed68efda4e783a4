"""Deep links from posters (`/start c_02671`): the prefixes, defined once.

The QR posters build them and onboarding reads them, so a new kind of poster is
one more member here and one more entry in onboarding's table.
"""

from __future__ import annotations

from enum import StrEnum


class DeepLink(StrEnum):
    COMMUNE = "c_"  # pre-selects the commune
    TRAINING = "t_"  # opens the sign-up for one session
    EVENT = "e_"  # sets the reminder for one event

    def link(self, value: str) -> str:
        return f"{self.value}{value}"


def parse(payload: str) -> tuple[DeepLink | None, str]:
    """(kind, value) of a /start payload; (None, payload) when it is no deep link."""
    for kind in DeepLink:
        if payload.startswith(kind.value):
            return kind, payload[len(kind.value):]
    return None, payload

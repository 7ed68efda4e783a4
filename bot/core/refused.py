"""A staff action refused, named by the catalogue key of its reason: each front end (the
CLI, the console) says it in its own words and language."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

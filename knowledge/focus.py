"""The question inside a message: split it into clauses and tell the asking part apart.

Parents, shop owners and commune officers write the way they talk: a greeting,
who they are, some context, then the question — or two. Matching the whole
message lets the greeting and the story outweigh the question. Here a message
becomes clauses, each marked as a question, context, or social filler
(greetings, thanks, "cho hỏi"). The matcher scores the questions first and
uses the context as weaker evidence; filler neither answers nor blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from knowledge.folding import fold

MAX_QUESTIONS = 4  # a long message keeps its first two and last two questions

# Sentence ends, line breaks, commas and semicolons, and before "cho hỏi" / "xin hỏi"
# in mid-sentence; not the dots inside id.vn, 1.000 or 57-NQ/TW.
_SPLIT = re.compile(
    r"(?<=[?!])\s*|[\n;]+|\.+(?=\s|$)\s*|,\s+|\s(?=(?:cho|xin)\s(?:\w+\s)?h[oỏ]i\b)",
    re.IGNORECASE,
)


class Kind(StrEnum):
    QUESTION = "question"
    CONTEXT = "context"
    FILLER = "filler"


@dataclass(frozen=True)
class Clause:
    text: str
    kind: Kind


@dataclass(frozen=True)
class Focus:
    """The parts of a message: its questions (in order) and the context around them."""

    questions: tuple[str, ...]
    context: str
    only_filler: bool

    @property
    def main(self) -> str:
        """The text to score first: the questions, or the whole message if none stands out."""
        return " ".join(self.questions) or self.context


# Folded phrases that mark a clause as asking something (Vietnamese and English).
_ASKING = re.compile(
    r"\b(cho (?:\w+ )?hoi|xin hoi|muon (?:hoi|biet|tim hieu)|hoi (?:ve|thu)|la gi|la j|"
    r"the nao|ntn|nhu nao|bao nhieu|bn|bao gio|bao lau|khi nao|luc nao|may gio|ngay nao|"
    r"o dau|cho nao|dau vay|tai sao|vi sao|sao lai|lam sao|lam the nao|co phai|phai khong|"
    r"duoc khong|dc ko|duoc ko|co .{1,40} (?:khong|ko|k|hong|hok|chua)$|"
    r"(?:khong|ko|k|hok|chua)(?: (?:a|ad|ah|nhi|vay|z))?$|"
    r"ai (?:la|phu trach|to chuc)|gi(?: (?:a|vay|the|z|ha))?$|huong dan|chi (?:giup|cho|dum)|"
    r"giup (?:toi|em|minh|chau|bac|voi)|cho (?:toi|em|minh|chau) biet|giai thich|"
    r"can (?:gi|nhung gi)|"
    r"what|how|when|where|who|why|which|can i|could|is it|is there|are there|do i|does|"
    r"please|tell me|explain)\b"
)
# Folded clauses that carry no question: greetings, thanks, polite openers, sign-offs.
_FILLER = re.compile(
    r"^(?:(?:xin )?chao(?: \w+){0,3}|alo+|hello+|hi+|hey|dear \w+|"
    r"good (?:morning|afternoon|evening)|"
    r"(?:xin )?cam on(?: \w+){0,4}|thanks?(?: \w+){0,3}|thank you(?: \w+){0,3}|tks|thx|"
    r"cho (?:\w+ )?hoi(?: chut| xiu| ti| voi)?|xin hoi|em hoi|hoi chut|"
    r"(?:a|ad|admin|bot|anh|chi|em|ban|oi|a oi|ad oi|nhe|nha|vang|da|ok|oke)(?: \w+){0,1})$"
)


def _kind(clause: str) -> Kind:
    folded = " ".join(re.findall(r"[a-z0-9./]+", fold(clause)))
    if not folded:
        return Kind.FILLER
    if clause.rstrip().endswith("?") or _ASKING.search(folded):
        return Kind.QUESTION
    if _FILLER.match(folded):
        return Kind.FILLER
    return Kind.CONTEXT


def clauses(text: str) -> list[Clause]:
    parts = [p.strip(" .,-–:") for p in _SPLIT.split(text) if p and p.strip(" .,-–:")]
    return [Clause(p, _kind(p)) for p in parts]


def focus(text: str) -> Focus:
    """Split TEXT into its question clauses and its context (filler dropped)."""
    found = clauses(text)
    questions = tuple(c.text for c in found if c.kind is Kind.QUESTION)
    if len(questions) > MAX_QUESTIONS:
        questions = questions[:2] + questions[-2:]
    context = " ".join(c.text for c in found if c.kind is not Kind.FILLER)
    only_filler = bool(found) and all(c.kind is Kind.FILLER for c in found)
    return Focus(questions, context, only_filler)

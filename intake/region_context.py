"""The words around a place name: is it a street, a person, an ordinary word, where the writer
lives, or part of an organisation's quoted name?"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from intake.gazetteer import (
    COMMON_WORDS,
    GENERIC_KEYS,
    PERSON_NAMES,
    TokenKeys,
    is_common_word,
    lemmas,
)
from intake.translit import fold

RESIDENCE_WEIGHT = 0.25  # "я живу в Алматы, но в Таразе…": the writer's home is not the case
QUOTED_WEIGHT = 0.5  # a place inside «…» names an organisation more than a location
SHORT_NAME = 4  # names this short count only when capitalised (Шу, Чу)

GENERIC_TAGS = frozenset(GENERIC_KEYS.values())
_STREET_GAP = re.compile(r"\s*\.?\s*")  # "ул. Абая", "ул.Абая", "Абай көшесі"
_NAME_GAP = re.compile(r"[ \t\u00a0]+")
_ABBREVIATION_GAP = re.compile(r"\.\s*")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_QUOTED = re.compile(r"«[^»\n]{0,200}»|\"[^\"\n]{0,200}\"|“[^”\n]{0,200}[”“]")
_RESIDENCE_BEFORE = frozenset(fold(w) for w in ("жить", "проживать", "родом", "live", "lives"))
_RESIDENCE_AFTER = ("турамин", "турамиз", "туратин")


@dataclass(slots=True)
class TextView:
    """A text split into tokens, with each token's gazetteer keys."""

    text: str
    tokens: list[re.Match[str]]
    keys: list[TokenKeys]
    joins: list[bool] = field(default_factory=list)  # may token k and k+1 be one name?

    def __post_init__(self) -> None:
        # Words of one name are separated by spaces only, or by a period after an
        # abbreviation ("г. Астана", "им. Казыбек би"); "Астана, район Байконур" is two names.
        self.joins = [
            bool(
                _NAME_GAP.fullmatch(self.gap(k, k + 1))
                or (
                    len(self.tokens[k].group()) <= 4
                    and _ABBREVIATION_GAP.fullmatch(self.gap(k, k + 1))
                )
            )
            for k in range(len(self.tokens) - 1)
        ]

    def gap(self, left: int, right: int) -> str:
        """The characters between token `left` and token `right`."""
        return self.text[self.tokens[left].end() : self.tokens[right].start()]

    def sentence_start(self, k: int) -> bool:
        return k == 0 or bool(_SENTENCE_END.search(self.gap(k - 1, k)))


def _is_street(doc: TextView, start: int, end: int) -> bool:
    """A name right after a street word ("ул. Абая") or right before one ("Абай көшесі")."""
    if (
        start > 0
        and doc.keys[start - 1].street
        and _STREET_GAP.fullmatch(doc.gap(start - 1, start))
    ):
        return True
    return end < len(doc.tokens) and doc.keys[end].street and doc.gap(end - 1, end).strip() == ""


def plausible(doc: TextView, start: int, length: int, typed: bool) -> bool:
    """Reject hits that are likely a street, a person or an ordinary word."""
    if not typed and _is_street(doc, start, start + length):
        return False
    if length > 1:
        return True
    word = doc.tokens[start].group()
    keys = doc.keys[start]
    if keys.keys & PERSON_NAMES:
        return False
    if keys.keys & COMMON_WORDS and not typed:
        return word[:1].isupper() and not doc.sentence_start(start)
    if word[:1].isupper():
        return True
    # Lower case: a long, non-dictionary word, not reached by stripping a short stem off.
    if len(word) <= SHORT_NAME or is_common_word(word):
        return False
    return bool(keys.exact - GENERIC_TAGS) or min(map(len, keys.keys)) > SHORT_NAME


def _is_residence(doc: TextView, start: int, end: int) -> bool:
    """The place is where the writer lives: "живу в X", "я из X", "X-да тұрамын"."""
    for j in range(start - 1, max(-1, start - 4), -1):
        if _SENTENCE_END.search(doc.gap(j, j + 1)):
            break
        word = doc.tokens[j].group()
        if fold(word) in _RESIDENCE_BEFORE or lemmas(word) & _RESIDENCE_BEFORE:
            return True
        if word.lower() == "из" and j > 0 and doc.tokens[j - 1].group().lower() == "я":
            return True
    for j in range(end, min(len(doc.tokens), end + 2)):
        if _SENTENCE_END.search(doc.gap(j - 1, j)):
            break
        if fold(doc.tokens[j].group()).startswith(_RESIDENCE_AFTER):
            return True
    return False


def context_factor(doc: TextView, start: int, end: int) -> float:
    """How much a name at tokens [start, end) counts: less inside quotes or as a home."""
    factor = 1.0
    at = doc.tokens[start].start()
    if any(m.start() < at < m.end() for m in _QUOTED.finditer(doc.text)):
        factor *= QUOTED_WEIGHT
    if _is_residence(doc, start, end):
        factor *= RESIDENCE_WEIGHT
    return factor

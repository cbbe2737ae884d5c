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
    is_adjective,
    is_common_word,
    lemmas,
)
from intake.translit import fold, is_cyrillic

RESIDENCE_WEIGHT = 0.25  # "я живу в Алматы, но в Таразе…": the writer's home is not the case
ORIGIN_WEIGHT = 0.5  # "приехали из Караганды в Темиртау": where someone came from
QUOTED_WEIGHT = 0.5  # a place inside «…» names an organisation more than a location
ASIDE_WEIGHT = 0.5  # "(Android, Алматы, по IP)": a remark in brackets, not the scene
ADJECTIVE_WEIGHT = 0.5  # "студент Южно-Казахстанского университета в Шымкенте": the adjective
# of a name qualifies an organisation; the place named as such says where it happened
SHORT_NAME = 4  # names this short count only when capitalised (Шу, Чу)

GENERIC_TAGS = frozenset(GENERIC_KEYS.values())
_STREET_GAP = re.compile(r"\s*\.?\s*")  # "ул. Абая", "ул.Абая", "Абай көшесі"
_NAME_GAP = re.compile(r"[ \t\u00a0]+")
_ABBREVIATION_GAP = re.compile(r"\.\s*")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_CLAUSE_END = re.compile(r"[.!?;\n,:—–()]")  # what the writer says about a place stays in its clause
_QUOTED = re.compile(r"«[^»\n]{0,200}»|\"[^\"\n]{0,200}\"|“[^”\n]{0,200}[”“]")
_BRACKETS = re.compile(r"\([^()\n]{0,200}\)")
_RESIDENCE_BEFORE = frozenset(
    fold(w) for w in ("жить", "проживать", "родом", "находиться", "live", "lives")
)
# After the place: тұрамын/тұрамыз/тұратын/тұрады (live), едім/едік (I/we was there), болдым.
_RESIDENCE_AFTER = ("турамин", "турамиз", "туратин", "турад", "едим", "едик", "болдим", "болдик")
_WORKS = ("жумис", "исте")  # "Алматыда жұмыс істейді": works there
_I = frozenset({"я", "мы", "i", "we"})
_BEING = frozenset(fold(w) for w in ("быть", "находиться", "am", "was", "were"))
# "он был на вахте в Атырау", "которые были на практике в Алматы": someone's whereabouts
_SOMEONE = frozenset({"я", "мы", "он", "она", "они", "ты", "вы", "he", "she", "they"})
_WHO = frozenset({fold("который")})
# Kazakh: a place in the ablative or locative, or its demonym, with a personal ending says
# where the writer is from or is: Талдықорғаннанмын, Алматыдамын, Семейденбіз, алматылықпын.
_PERSONAL = ("мин", "пин", "бин", "миз", "пиз", "биз")
_FROM_OR_AT = ("дан", "ден", "тан", "тен", "нан", "нен", "да", "де", "та", "те", "лик", "дик", "тик")
_ABLATIVE = ("дан", "ден", "тан", "тен", "нан", "нен")
_FROM = frozenset({"из", "from"})


def _joins(left: str, gap: str) -> bool:
    return (
        gap == " "  # the usual gap, which `_NAME_GAP` matches: no regex call for it
        or bool(_NAME_GAP.fullmatch(gap))
        or (len(left) <= 4 and bool(_ABBREVIATION_GAP.fullmatch(gap)))
    )


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
        text, tokens = self.text, self.tokens
        self.joins = [
            _joins(left.group(), text[left.end() : right.start()])
            for left, right in zip(tokens, tokens[1:], strict=False)
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
        # Capitalised mid-sentence, or alone as a heading ("Есик. Нас заставили…").
        return word[:1].isupper() and (not doc.sentence_start(start) or _heading(doc, start))
    if word[:1].isupper():
        return True
    if keys.common_noun:
        return _plain_common_noun(doc, start)
    if keys.adjective:  # "в шымкентском колледже": the adjective of a name is not ambiguous
        return True
    # Lower case: a long, non-dictionary word, not reached by stripping a short stem off.
    if len(word) <= SHORT_NAME or is_common_word(word):
        return False
    return bool(keys.exact - GENERIC_TAGS) or min(map(len, keys.keys)) > SHORT_NAME


def _inflected(doc: TextView, k: int) -> str | None:
    """The folded token k when it carries a Kazakh ending (not the bare name itself)."""
    if doc.keys[k].exact - GENERIC_TAGS:
        return None
    return fold(doc.tokens[k].group())


def _before(doc: TextView, start: int, span: int = 3) -> list[str]:
    """The words of the same clause just before token `start`, nearest first."""
    words = []
    for j in range(start - 1, max(-1, start - 1 - span), -1):
        if _CLAUSE_END.search(doc.gap(j, j + 1)):
            break
        words.append(doc.tokens[j].group())
    return words


def _after(doc: TextView, end: int, span: int = 2) -> list[str]:
    words = []
    for j in range(end, min(len(doc.tokens), end + span)):
        if _CLAUSE_END.search(doc.gap(j - 1, j)):
            break
        words.append(fold(doc.tokens[j].group()))
    return words


def _heading(doc: TextView, k: int) -> bool:
    """Token k is a sentence of its own at the very start: "Есик. …", "Есик: …"."""
    return k == 0 and (len(doc.tokens) == 1 or doc.gap(0, 1).strip()[:1] in (".", ":", "!"))


def _plain_common_noun(doc: TextView, k: int) -> bool:
    """"в столице" names the capital, but not "в северной столице" (another city: the longer
    aliases, "южная столица", are matched before this) nor "столица области" (a region's
    centre)."""
    if k > 0 and doc.joins[k - 1] and is_adjective(doc.tokens[k - 1].group()):
        return False
    if k + 1 < len(doc.tokens) and doc.joins[k]:
        following = doc.keys[k + 1]
        return not (following.keys & GENERIC_TAGS or following.keys - GENERIC_TAGS)
    return True


def _is_residence(doc: TextView, start: int, end: int) -> bool:
    """The place is where the writer lives, is from or was: "живу в X", "я из X", "я был в X",
    "X-да тұрамын", "X-танмын", "X-да едім"."""
    before = _before(doc, start, 5)
    lowered = [w.lower() for w in before]
    for n, word in enumerate(before):
        if fold(word) in _RESIDENCE_BEFORE or lemmas(word) & _RESIDENCE_BEFORE:
            return True
        # я из X, я был в X, I am from X, we were in X
        subject = n + 1 < len(before) and lowered[n + 1] in _I
        if subject and (lowered[n] in _FROM or lemmas(word) & _BEING):
            return True
        if n + 1 < len(before) and lemmas(word) & _BEING and _is_someone(before[n + 1]):
            return True
    inflected = _inflected(doc, end - 1)
    if inflected and inflected.endswith(_PERSONAL):
        return inflected[:-3].endswith(_FROM_OR_AT)
    # "Алматыда тұрамын", "Almatyda oqu kursynda boldym", "в Алмате живёт"
    after = _after(doc, end, 3)
    if any(word.startswith(_RESIDENCE_AFTER) for word in after):
        return True
    if after and lemmas(doc.tokens[end].group()) & _RESIDENCE_BEFORE:
        return True
    return after[:1] == [_WORKS[0]] and len(after) > 1 and after[1].startswith(_WORKS[1])


def _is_place_adjective(word: str) -> bool:
    """A Russian adjective (шымкентского, Карагандинский), not a name in its own right."""
    return is_cyrillic(word) and any(lemma.endswith(("скии", "цкии")) for lemma in lemmas(word))


def _is_someone(word: str) -> bool:
    return word.lower() in _SOMEONE or bool(lemmas(word) & _WHO)


def _is_origin(doc: TextView, start: int, end: int) -> bool:
    """Where someone came from: "из Караганды", "from Almaty", "Астанадан"."""
    before = _before(doc, start, 1)
    if before and before[0].lower() in _FROM:
        return True
    inflected = _inflected(doc, end - 1)
    return bool(inflected and inflected.endswith(_ABLATIVE))


def context_factor(doc: TextView, start: int, end: int) -> float:
    """How much a name at tokens [start, end) counts: less inside quotes, as the writer's home
    or whereabouts, or as where someone came from; the place of the event counts in full."""
    factor = 1.0
    at = doc.tokens[start].start()
    if any(m.start() < at < m.end() for m in _QUOTED.finditer(doc.text)):
        factor *= QUOTED_WEIGHT
    if any(m.start() < at < m.end() for m in _BRACKETS.finditer(doc.text)):
        factor *= ASIDE_WEIGHT
    if end - start == 1 and _is_place_adjective(doc.tokens[start].group()):
        factor *= ADJECTIVE_WEIGHT
    if _is_residence(doc, start, end):
        factor *= RESIDENCE_WEIGHT
    elif _is_origin(doc, start, end):
        factor *= ORIGIN_WEIGHT
    return factor

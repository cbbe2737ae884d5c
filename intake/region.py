"""Which region a text is about, from the places it names.

Names found in several regions (Жамбылский район, Есильский район, Акмола…) are settled by the
other places the text names; when nothing settles them, or two regions are named about equally,
the answer is `None` (central triage) rather than a guess. A name right after or before a street
word (ул. Абая, Сәтбаев көшесі) is a street; a bare "Абай" or "Жамбыл" is a person; a place the
writer only lives in ("я живу в Алматы, но…", "Алматыда тұрамын") or that sits inside an
organisation's quoted name counts for less than the place the report is about.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from intake.gazetteer import (
    COMMON_WORDS,
    GENERIC_KEYS,
    PERSON_NAMES,
    Gazetteer,
    Place,
    TokenKeys,
    is_common_word,
    lemmas,
    load,
    token_keys,
    tokenize,
)
from intake.translit import fold

CORE_WEIGHT = 0.8
RESIDENCE_WEIGHT = 0.25  # "я живу в Алматы, но в Таразе…": the writer's home is not the case
QUOTED_WEIGHT = 0.5  # a place inside «…» names an organisation more than a location
SHORT_NAME = 4  # names this short count only when capitalised (Шу, Чу)
LEAD_RATIO = 2.0  # the winning region needs this much more weight than the runner-up
MAX_CHARS = 50_000

_GENERIC_TAGS = frozenset(GENERIC_KEYS.values())
_STREET_GAP = re.compile(r"\s*\.?\s*")  # "ул. Абая", "ул.Абая", "Абай көшесі"
_NAME_GAP = re.compile(r"[ \t\u00a0]+")
_ABBREVIATION_GAP = re.compile(r"\.\s*")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_QUOTED = re.compile(r"«[^»\n]{0,200}»|\"[^\"\n]{0,200}\"|“[^”\n]{0,200}[”“]")
_RESIDENCE_BEFORE = frozenset(fold(w) for w in ("жить", "проживать", "родом", "live", "lives"))
_RESIDENCE_AFTER = ("турамин", "турамиз", "туратин")


@dataclass(slots=True)
class Span:
    start: int
    end: int
    text: str
    regions: list[str]
    kind: str

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "regions": self.regions,
            "kind": self.kind,
        }


@dataclass(slots=True)
class RegionResult:
    region: str | None
    district: str | None
    confidence: float
    spans: list[Span] = field(default_factory=list)


@dataclass(slots=True)
class _Match:
    start_token: int
    length: int
    core: bool
    places: list[Place]
    factor: float = 1.0

    @property
    def regions(self) -> set[str]:
        return {p.region for p in self.places}

    @property
    def weight(self) -> float:
        base = max(p.weight for p in self.places)
        return base * (CORE_WEIGHT if self.core else 1.0) * self.factor


@dataclass(slots=True)
class _Text:
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


def _is_street(doc: _Text, start: int, end: int) -> bool:
    """A name right after a street word ("ул. Абая") or right before one ("Абай көшесі")."""
    if (
        start > 0
        and doc.keys[start - 1].street
        and _STREET_GAP.fullmatch(doc.gap(start - 1, start))
    ):
        return True
    return end < len(doc.tokens) and doc.keys[end].street and doc.gap(end - 1, end).strip() == ""


def _sentence_start(doc: _Text, k: int) -> bool:
    return k == 0 or bool(_SENTENCE_END.search(doc.gap(k - 1, k)))


def _plausible(doc: _Text, start: int, length: int, typed: bool) -> bool:
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
        return word[:1].isupper() and not _sentence_start(doc, start)
    if word[:1].isupper():
        return True
    # Lower case: a long, non-dictionary word, not reached by stripping a short stem off.
    if len(word) <= SHORT_NAME or is_common_word(word):
        return False
    return bool(keys.exact - _GENERIC_TAGS) or min(map(len, keys.keys)) > SHORT_NAME


def _hits_at(gaz: Gazetteer, doc: _Text, i: int) -> dict[tuple[int, bool, bool], list[Place]]:
    """Every name starting at token i, keyed by (length, is a core, has a generic word)."""
    hits: dict[tuple[int, bool, bool], list[Place]] = defaultdict(list)
    for offset in range(min(gaz.max_anchor, len(doc.keys) - 1 - i) + 1):
        for key in doc.keys[i + offset].keys:
            for entry in gaz.by_anchor.get((offset, key), ()):
                n = len(entry.tokens)
                if i + n > len(doc.keys) or not all(doc.joins[i : i + n - 1]):
                    continue
                if all(doc.keys[i + j].keys & token for j, token in enumerate(entry.tokens)):
                    hits[(n, entry.core, entry.typed)].extend(entry.places)
    return hits


def _find_matches(gaz: Gazetteer, doc: _Text) -> list[_Match]:
    found: list[_Match] = []
    # Only tokens near one that could be part of a name are worth looking at.
    near = [bool(k.keys) for k in doc.keys] + [False] * (gaz.max_anchor + 1)
    i = 0
    while i < len(doc.tokens):
        if not any(near[i : i + gaz.max_anchor + 1]):
            i += 1
            continue
        hits = _hits_at(gaz, doc, i)
        # Longest name wins; at equal length a full name beats a bare core.
        best = sorted(hits, key=lambda k: (k[0], not k[1], k[2]), reverse=True)
        chosen = next((k for k in best if _plausible(doc, i, k[0], k[2])), None)
        if chosen is None:
            i += 1
            continue
        places = list(dict.fromkeys(hits[chosen]))
        found.append(_Match(i, chosen[0], chosen[1], places))
        i += chosen[0]
    return found


def _is_residence(doc: _Text, match: _Match) -> bool:
    """The place is where the writer lives: "живу в X", "я из X", "X-да тұрамын"."""
    start, end = match.start_token, match.start_token + match.length
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


def _weigh(doc: _Text, matches: list[_Match]) -> None:
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(doc.text)]
    for match in matches:
        start = doc.tokens[match.start_token].start()
        if any(a < start < b for a, b in quoted):
            match.factor *= QUOTED_WEIGHT
        if _is_residence(doc, match):
            match.factor *= RESIDENCE_WEIGHT


def _score(matches: list[_Match]) -> tuple[dict[str, float], list[_Match]]:
    scores: dict[str, float] = defaultdict(float)
    settled: list[_Match] = []
    ambiguous = []
    for match in matches:
        if len(match.regions) == 1:
            scores[next(iter(match.regions))] += match.weight
            settled.append(match)
        else:
            ambiguous.append(match)
    for match in ambiguous:
        supported = [r for r in match.regions if scores.get(r, 0) > 0]
        if len(supported) == 1:
            region = supported[0]
            places = [p for p in match.places if p.region == region]
            narrowed = _Match(match.start_token, match.length, match.core, places, match.factor)
            scores[region] += narrowed.weight
            settled.append(narrowed)
    return scores, settled


def _district(settled: list[_Match], region: str) -> str | None:
    specific = [
        (p, m.weight)
        for m in settled
        for p in m.places
        if p.region == region and p.kind not in ("region", "city")
    ]
    if not specific:
        return None
    return max(specific, key=lambda pw: pw[1])[0].name_ru


def _spans(doc: _Text, matches: list[_Match]) -> list[Span]:
    spans = []
    for m in matches:
        start = doc.tokens[m.start_token].start()
        end = doc.tokens[m.start_token + m.length - 1].end()
        spans.append(Span(start, end, doc.text[start:end], sorted(m.regions), m.places[0].kind))
    return spans


def detect_region(text: str, gaz: Gazetteer | None = None) -> RegionResult:
    """The region a text is about, the most specific place in it, a confidence and the spans."""
    gaz = gaz or load()
    text = text[:MAX_CHARS]
    tokens = tokenize(text)
    doc = _Text(text, tokens, [token_keys(gaz, t.group()) for t in tokens])
    matches = _find_matches(gaz, doc)
    _weigh(doc, matches)
    spans = _spans(doc, matches)
    scores, settled = _score(matches)
    if not scores:
        return RegionResult(None, None, 0.0, spans)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    top_region, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if runner_up and top < LEAD_RATIO * runner_up:
        return RegionResult(None, None, 0.0, spans)
    total = sum(scores.values())
    unresolved = len(matches) - len(settled)
    confidence = min(0.99, 0.6 + 0.15 * top) * (top / total) * (0.85**unresolved)
    return RegionResult(top_region, _district(settled, top_region), round(confidence, 3), spans)

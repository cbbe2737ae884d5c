"""Which region a text is about, from the places it names.

Names found in several regions (Жамбылский район, Есильский район, Акмола…) are settled by the
other places the text names; when nothing settles them, or two regions are named about equally,
the answer is `None` (central triage) rather than a guess.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from intake.gazetteer import (
    _STREET_WORDS,
    Gazetteer,
    NameEntry,
    Place,
    fold,
    is_common_word,
    load,
    token_keys,
    tokenize,
)

CORE_WEIGHT = 0.8
SHORT_NAME = 4  # names this short count only when capitalised (Шу, Чу)
LEAD_RATIO = 2.0  # the winning region needs this much more weight than the runner-up


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

    @property
    def regions(self) -> set[str]:
        return {p.region for p in self.places}

    @property
    def weight(self) -> float:
        return max(p.weight for p in self.places) * (CORE_WEIGHT if self.core else 1.0)


def _entry_matches(entry: NameEntry, keys: list[frozenset[str]], i: int) -> bool:
    if i + len(entry.tokens) > len(keys):
        return False
    return all(keys[i + j] & token for j, token in enumerate(entry.tokens))


def _plausible(words: list[str], i: int, length: int) -> bool:
    """Reject single-word hits that are likely a street, a person or an ordinary word."""
    if length > 1:
        return True
    word = words[i]
    if i > 0 and fold(words[i - 1]).rstrip(".") in _STREET_WORDS:
        return False
    if i + 1 < len(words) and fold(words[i + 1]) in _STREET_WORDS:
        return False
    if word[:1].isupper():
        return True
    return len(word) > SHORT_NAME and not is_common_word(word)


def _find_matches(gaz: Gazetteer, words: list[str]) -> list[_Match]:
    keys = [token_keys(gaz, word) for word in words]
    found: list[_Match] = []
    i = 0
    while i < len(words):
        hits: dict[tuple[int, bool], list[Place]] = defaultdict(list)
        for key in keys[i]:
            for entry in gaz.by_first_key.get(key, ()):
                if _entry_matches(entry, keys, i):
                    hits[(len(entry.tokens), entry.core)].append(entry.place)
        # Longest name wins; at equal length a full name beats a bare core.
        best = sorted(hits, key=lambda k: (k[0], not k[1]), reverse=True)
        chosen = next((k for k in best if _plausible(words, i, k[0])), None)
        if chosen is None:
            i += 1
            continue
        places = list(dict.fromkeys(hits[chosen]))
        found.append(_Match(start_token=i, length=chosen[0], core=chosen[1], places=places))
        i += chosen[0]
    return found


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
            scores[region] += match.weight
            settled.append(
                _Match(
                    match.start_token,
                    match.length,
                    match.core,
                    [p for p in match.places if p.region == region],
                )
            )
    return scores, settled


def _district(settled: list[_Match], region: str) -> str | None:
    specific = [
        p
        for m in settled
        for p in m.places
        if p.region == region and p.kind not in ("region", "city")
    ]
    if not specific:
        return None
    return max(specific, key=lambda p: p.weight).name_ru


def detect_region(text: str, gaz: Gazetteer | None = None) -> RegionResult:
    gaz = gaz or load()
    tokens = tokenize(text[:50_000])
    words = [t.group() for t in tokens]
    matches = _find_matches(gaz, words)
    spans = [
        Span(
            tokens[m.start_token].start(),
            tokens[m.start_token + m.length - 1].end(),
            text[tokens[m.start_token].start() : tokens[m.start_token + m.length - 1].end()],
            sorted(m.regions),
            m.places[0].kind,
        )
        for m in matches
    ]
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

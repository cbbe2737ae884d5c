"""Which region a text is about, from the places it names.

Names found in several regions (Жамбылский район, Есильский район, Акмола…) are settled by the
other places the text names; when nothing settles them, or two regions are named about equally,
the answer is `None` (central triage) rather than a guess. A name right after or before a street
word (ул. Абая, Сәтбаев көшесі) is a street; a bare "Абай" or "Жамбыл" is a person; a place the
writer only lives in ("я живу в Алматы, но…", "Алматыда тұрамын") or that sits inside an
organisation's quoted name counts for less than the place the report is about
(`intake.region_context`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from intake.gazetteer import Gazetteer, Place, load, text_tokens, token_keys
from intake.region_context import TextView, context_factor, plausible

CORE_WEIGHT = 0.8
LEAD_RATIO = 2.0  # the winning region needs this much more weight than the runner-up
MAX_CHARS = 50_000


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


def _hits_at(gaz: Gazetteer, doc: TextView, i: int) -> dict[tuple[int, bool, bool], list[Place]]:
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


def _find_matches(gaz: Gazetteer, doc: TextView) -> list[_Match]:
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
        chosen = next((k for k in best if plausible(doc, i, k[0], k[2])), None)
        if chosen is None:
            i += 1
            continue
        places = list(dict.fromkeys(hits[chosen]))
        found.append(_Match(i, chosen[0], chosen[1], places))
        i += chosen[0]
    return found


def _weigh(doc: TextView, matches: list[_Match]) -> None:
    for match in matches:
        match.factor *= context_factor(doc, match.start_token, match.start_token + match.length)


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


def _spans(doc: TextView, matches: list[_Match]) -> list[Span]:
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
    tokens = text_tokens(text)
    doc = TextView(text, tokens, [token_keys(gaz, t.group()) for t in tokens])
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

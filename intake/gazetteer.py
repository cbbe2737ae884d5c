"""The gazetteer of Kazakhstan's regions, districts and towns, indexed for matching in text.

Every name and alias becomes a sequence of token key sets. A token's keys are its folded form
(Kazakh letters folded to their Russian look-alikes, so "Караганды" matches "Қарағанды"), its
pymorphy3 lemmas (Russian inflection) and its Kazakh stems (case suffixes stripped), each
kept only when it is a key some name uses.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import pymorphy3

GAZETTEER_FILE = "kz_admin.csv"

KIND_WEIGHT = {
    "region": 1.0,
    "city": 1.0,
    "town": 1.5,
    "district": 1.5,
    "district_town": 1.5,
    "city_district": 1.5,
}

_FOLD = str.maketrans("әғқңөұүһіё", "агкнооухие")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

REGION, DISTRICT, CITY = "<region>", "<district>", "<city>"
_GENERIC = {
    REGION: "область обл облыс облысы oblast oblys oblysy region регион",
    DISTRICT: "район р-н аудан ауданы district audan audany aýdany raion rayon",
    CITY: "город г гор кала каласы city qala qalasy",
}
GENERIC_KEYS = {word: tag for tag, words in _GENERIC.items() for word in words.split()}

# Kazakh case, possessive and plural endings, folded; longest first.
_KK_SUFFIXES = sorted(
    set(
        ["да", "де", "та", "те", "нда", "нде", "дагы", "деги", "тагы", "теги", "ндагы", "ндеги", "га", "ге", "ка", "ке", "на", "не", "нын", "нин", "дын", "дин", "тын", "тин", "ны", "ни", "ды", "ди", "ты", "ти", "н", "дан", "ден", "тан", "тен", "нан", "нен", "мен", "бен", "пен", "ы", "и", "сы", "си", "лар", "лер", "дар", "дер", "тар", "тер"]
    ),
    key=len,
    reverse=True,
)

# Single names that are also ordinary words, people's names or streets: they count only when
# written with a capital letter and not right after a street word.
_STREET_WORDS = frozenset(
    ["улица", "ул", "проспект", "пр", "пр-т", "переулок", "пер", "бульвар", "мкр", "микрорайон", "шоссе", "площадь", "көше", "коше", "кошеси", "даңғылы", "дангылы"]
)


def fold(word: str) -> str:
    return word.lower().translate(_FOLD)


def tokenize(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


@dataclass(frozen=True, slots=True)
class Place:
    region: str
    kind: str
    name_ru: str
    name_kk: str

    @property
    def weight(self) -> float:
        return KIND_WEIGHT.get(self.kind, 1.0)


@dataclass(slots=True)
class NameEntry:
    tokens: list[frozenset[str]]
    signature: tuple[str, ...]
    place: Place
    core: bool  # the name without its generic word ("Бурабайский" for "Бурабайский район")


@dataclass(slots=True)
class Gazetteer:
    places: list[Place]
    regions: dict[str, tuple[str, str]]  # code -> (name_ru, name_kk)
    entries: list[NameEntry] = field(default_factory=list)
    by_first_key: dict[str, list[NameEntry]] = field(default_factory=lambda: defaultdict(list))
    vocabulary: set[str] = field(default_factory=set)


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> frozenset[str]:
    """Folded normal forms of every pymorphy3 parse of a word."""
    return frozenset(fold(parse.normal_form) for parse in _morph().parse(word.lower()))


@lru_cache(maxsize=50_000)
def is_common_word(word: str) -> bool:
    """A dictionary word that is not a place name ("рудный" the adjective, not Рудный)."""
    parse = _morph().parse(word.lower())[0]
    return parse.is_known and "Geox" not in parse.tag


def kk_stems(folded: str) -> set[str]:
    """Stems reachable by stripping Kazakh endings one after another (Таразда → тараз)."""
    stems: set[str] = set()
    frontier = [folded]
    while frontier:
        word = frontier.pop()
        for suffix in _KK_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stem = word[: -len(suffix)]
                if stem not in stems:
                    stems.add(stem)
                    frontier.append(stem)
    return stems


def _name_keys(token: str) -> frozenset[str]:
    folded = fold(token)
    if folded.rstrip(".") in GENERIC_KEYS:
        return frozenset({GENERIC_KEYS[folded.rstrip(".")]})
    keys = {folded}
    if not token.isascii():
        keys |= {lemma for lemma in lemmas(token) if lemma[:3] == folded[:3]}
    return frozenset(keys)


def _aliases(row: dict[str, str]) -> list[str]:
    names = [row["name_ru"], row["name_kk"]]
    if row["kind"] in ("region", "city"):
        names += [row["region_name_ru"], row["region_name_kk"]]
    names += [alias for alias in row["aliases"].split(";") if alias.strip()]
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _add(gaz: Gazetteer, words: list[str], place: Place, core: bool) -> None:
    tokens = [_name_keys(word) for word in words]
    signature = tuple(sorted(keys)[0] for keys in tokens)
    entry = NameEntry(tokens=tokens, signature=signature, place=place, core=core)
    gaz.entries.append(entry)
    for key in tokens[0]:
        gaz.by_first_key[key].append(entry)
    for keys in tokens:
        gaz.vocabulary |= keys


def build(rows: list[dict[str, str]]) -> Gazetteer:
    gaz = Gazetteer(places=[], regions={})
    for row in rows:
        place = Place(row["region_code"], row["kind"], row["name_ru"], row["name_kk"])
        gaz.places.append(place)
        gaz.regions.setdefault(row["region_code"], (row["region_name_ru"], row["region_name_kk"]))
        for alias in _aliases(row):
            words = [m.group() for m in tokenize(alias)]
            if not words:
                continue
            _add(gaz, words, place, core=False)
            core = [w for w in words if fold(w).rstrip(".") not in GENERIC_KEYS]
            if core and len(core) < len(words):
                _add(gaz, core, place, core=True)
    return gaz


@cache
def load() -> Gazetteer:
    text = (resources.files("intake") / "data" / GAZETTEER_FILE).read_text(encoding="utf-8")
    return build(list(csv.DictReader(text.splitlines())))


def token_keys(gaz: Gazetteer, token: str) -> frozenset[str]:
    """Keys of a token of running text, limited to the gazetteer's vocabulary."""
    folded = fold(token)
    if folded in GENERIC_KEYS:
        return frozenset({GENERIC_KEYS[folded]})
    candidates = {folded} | kk_stems(folded)
    if not token.isascii():
        candidates |= lemmas(token)
    generic = {GENERIC_KEYS[c] for c in candidates if c in GENERIC_KEYS}
    return frozenset(candidates & gaz.vocabulary) | generic

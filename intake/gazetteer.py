"""The gazetteer of Kazakhstan's regions, districts and towns, indexed for matching in text.

Every name and alias becomes a sequence of token key sets, all in one folded alphabet
(`fold`): Kazakh letters become their Russian look-alikes, Latin spellings are transliterated,
and letters that spellings of one name disagree on (ы/и/й, э/е, ь) are merged, so
"Қарағанды", "Караганды", "Qaraǵandy" and "Karagandy" share a key. A running-text token adds
its pymorphy3 lemmas (Russian inflection: "Акмолинской" → "акмолинский") and its Kazakh stems
(case endings stripped: "Таразда" → "тараз"), each kept only when some name uses it.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import pymorphy3

from intake.translit import fold, is_cyrillic

GAZETTEER_FILE = "kz_admin.csv"

KIND_WEIGHT = {
    "region": 1.0,
    "city": 1.0,
    "town": 1.5,
    "district": 1.5,
    "district_town": 1.5,
    "city_district": 1.5,
}

_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

REGION, DISTRICT, CITY = "<region>", "<district>", "<city>"
_GENERIC = {
    REGION: "область обл облыс облысы oblast oblys oblysy region регион өңір өңірі",
    DISTRICT: "район р-н аудан ауданы district audan audany aýdany raion rayon",
    CITY: "город г гор қала қаласы city qala qalasy",
}
GENERIC_KEYS = {fold(w): tag for tag, words in _GENERIC.items() for w in words.split()}
_KK_GENERIC = frozenset(fold(w) for w in ("облысы", "ауданы", "қаласы", "өңірі"))
# The generic word that types a bare name of each kind ("Ақсу қаласы" is the town).
KIND_GENERIC = {
    "region": REGION,
    "city": CITY,
    "town": CITY,
    "district_town": CITY,
    "district": DISTRICT,
    "city_district": DISTRICT,
}

# Kazakh case, possessive and plural endings, folded; longest first.
_KK_ENDINGS = (
    "да де та те нда нде дағы дегі тағы тегі ндағы ндегі ға ге қа ке на не ның нің дың дің "
    "тың тің ны ні ды ді ты ті н дан ден тан тен нан нен мен бен пен ы і сы сі лар лер дар "
    "дер тар тер"
)
_KK_SUFFIXES = sorted({fold(s) for s in _KK_ENDINGS.split()}, key=len, reverse=True)

# Words that mark the next or previous name as a street or a person's name, not a place.
_STREETS = (
    "улица ул проспект пр пр-т просп переулок пер бульвар б-р мкр микрорайон шоссе "
    "площадь пл проезд тупик набережная имени им көше даңғыл street st avenue ave "
    # rivers, lakes, seas and mountains share names with places: "озеро Балхаш", "Арал теңізі"
    "река озеро море горы өзен көл теңіз тау river lake sea"
)
STREET_KEYS = frozenset(fold(w) for w in _STREETS.split())
# Bare names that are far more often a person (a poet, a street) than the place: they count
# only as part of a longer name ("Абай облысы", "город Абай", "Жамбылский район").
PERSON_NAMES = frozenset(
    fold(w) for w in ("Абай", "Жамбыл", "Шевченко", "Черняев", "Кенесары", "Ермак", "Верный")
)


_PREPOSITIONS = frozenset({"в", "во", "на", "из", "in"})


# Place names that are also ordinary Kazakh words (жақсы "good", есік "door", алға "forward",
# темір "iron", талас "dispute"…): alone they count only when capitalised mid-sentence.
_COMMON = "жақсы шет май алға есік темір шар жем арал талас ұлан іле ойыл тобыл алтай қарасу самар"
COMMON_WORDS = frozenset(fold(w) for w in _COMMON.split())


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
    """One spelling of a name as token key sets, and every place it names."""

    tokens: tuple[frozenset[str], ...]
    core: bool  # the name without its generic word ("Бурабайский" for "Бурабайский район")
    typed: bool  # the spelling includes a generic word ("Ақсу қаласы", "г. Аксу")
    places: list[Place] = field(default_factory=list)


@dataclass(slots=True)
class Gazetteer:
    places: list[Place]
    regions: dict[str, tuple[str, str]]  # code -> (name_ru, name_kk)
    entries: dict[tuple[tuple[frozenset[str], ...], bool], NameEntry] = field(default_factory=dict)
    # Entries by (offset, key) of their first non-generic token: a text token's keys find
    # "<city> Аксу" through "аксу" without trying every name that starts with a generic word.
    by_anchor: dict[tuple[int, str], list[NameEntry]] = field(
        default_factory=lambda: defaultdict(list)
    )
    max_anchor: int = 0
    vocabulary: set[str] = field(default_factory=set)
    key_cache: dict[str, TokenKeys] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TokenKeys:
    keys: frozenset[str]  # gazetteer keys and generic tags this token can stand for
    exact: frozenset[str]  # those reached without stripping a Kazakh ending
    street: bool  # the token is a street word (ул., көшесі, даңғылындағы)


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> frozenset[str]:
    """Folded normal forms of every pymorphy3 parse of a word."""
    return frozenset(fold(parse.normal_form) for parse in _morph().parse(word.lower()))


@lru_cache(maxsize=2_000)
def _nominative_lemmas(word: str) -> frozenset[str]:
    """Lemmas of a name written in the nominative (a gazetteer alias), not of verb look-alikes."""
    return frozenset(fold(p.normal_form) for p in _morph().parse(word.lower()) if "nomn" in p.tag)


@lru_cache(maxsize=50_000)
def is_common_word(word: str) -> bool:
    """A dictionary word that is not a place name ("рудный" the adjective, not Рудный)."""
    parse = _morph().parse(word.lower())[0]
    return parse.is_known and "Geox" not in parse.tag


@lru_cache(maxsize=200_000)
def kk_stems(folded: str) -> frozenset[str]:
    """Stems reachable by stripping Kazakh endings one after another (таразда → тараз)."""
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
    return frozenset(stems)


def _name_keys(token: str) -> frozenset[str]:
    folded = fold(token).rstrip(".")
    if folded in GENERIC_KEYS:
        return frozenset({GENERIC_KEYS[folded]})
    keys = {folded}
    if is_cyrillic(token):
        keys |= {lemma for lemma in _nominative_lemmas(token) if lemma[:3] == folded[:3]}
    return frozenset(keys)


def _aliases(row: dict[str, str]) -> list[str]:
    names = [row["name_ru"], row["name_kk"]]
    if row["kind"] in ("region", "city"):
        names += [row["region_name_ru"], row["region_name_kk"]]
    names += [alias for alias in row["aliases"].split(";") if alias.strip()]
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _add(gaz: Gazetteer, tokens: list[frozenset[str]], place: Place, core: bool) -> None:
    key = (tuple(tokens), core)
    entry = gaz.entries.get(key)
    if entry is None:
        generic = set(GENERIC_KEYS.values())
        typed = any(keys <= generic for keys in tokens)
        entry = gaz.entries[key] = NameEntry(key[0], core, typed)
        offset = next((n for n, keys in enumerate(tokens) if not keys <= generic), 0)
        gaz.max_anchor = max(gaz.max_anchor, offset)
        for word_key in tokens[offset]:
            gaz.by_anchor[(offset, word_key)].append(entry)
        for keys in tokens:
            gaz.vocabulary |= keys
    if place not in entry.places:
        entry.places.append(place)


def _add_alias(gaz: Gazetteer, words: list[str], place: Place) -> None:
    tokens = [_name_keys(word) for word in words]
    generic = [GENERIC_KEYS.get(fold(w).rstrip(".")) for w in words]
    _add(gaz, tokens, place, core=False)
    core = [keys for keys, tag in zip(tokens, generic, strict=True) if tag is None]
    if not core:
        return
    if len(core) < len(tokens):
        _add(gaz, core, place, core=True)
    else:  # a bare name: also as "<name> <generic>" and "<generic> <name>" of its own kind
        tag = frozenset({KIND_GENERIC[place.kind]})
        _add(gaz, [*tokens, tag], place, core=False)
        _add(gaz, [tag, *tokens], place, core=False)


def build(rows: list[dict[str, str]]) -> Gazetteer:
    gaz = Gazetteer(places=[], regions={})
    for row in rows:
        place = Place(row["region_code"], row["kind"], row["name_ru"], row["name_kk"])
        gaz.places.append(place)
        gaz.regions.setdefault(row["region_code"], (row["region_name_ru"], row["region_name_kk"]))
        for alias in _aliases(row):
            words = [m.group() for m in tokenize(alias)]
            while words and words[0].lower() in _PREPOSITIONS:  # "в столице" → "столице"
                words.pop(0)
            if words:
                _add_alias(gaz, words, place)
    return gaz


@cache
def load() -> Gazetteer:
    text = (resources.files("intake") / "data" / GAZETTEER_FILE).read_text(encoding="utf-8")
    return build(list(csv.DictReader(text.splitlines())))


def token_keys(gaz: Gazetteer, token: str) -> TokenKeys:
    """What a token of running text can stand for, limited to the gazetteer's vocabulary."""
    found = gaz.key_cache.get(token)
    if found is not None:
        return found
    folded = fold(token)
    exact = {folded}
    if is_cyrillic(token):
        exact |= lemmas(token)
    stems = kk_stems(folded)
    candidates = exact | stems
    # A generic word inflects in Kazakh only from its possessive ("облысында", "қаласына");
    # stripping further ("қалай" → "қала") turns ordinary words into generic ones.
    generic = {GENERIC_KEYS[c] for c in exact | (stems & _KK_GENERIC) if c in GENERIC_KEYS}
    found = TokenKeys(
        keys=frozenset(candidates & gaz.vocabulary) | generic,
        exact=frozenset(exact & gaz.vocabulary) | generic,
        # Short street words ("ул", "пр") only as written: a stripped ending makes false ones.
        street=bool(exact & STREET_KEYS) or any(len(s) >= 4 for s in stems & STREET_KEYS),
    )
    if len(gaz.key_cache) > 500_000:  # bound memory on endless streams of new words
        gaz.key_cache.clear()
    gaz.key_cache[token] = found
    return found

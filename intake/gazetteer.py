"""The gazetteer of Kazakhstan's regions, districts and towns, indexed for matching in text.

Every name and alias becomes a sequence of token key sets, all in one folded alphabet
(`fold`): Kazakh letters become their Russian look-alikes, Latin spellings are transliterated,
and letters that spellings of one name disagree on (ы/и/й, э/е, ь) are merged, so
"Қарағанды", "Караганды", "Qaraǵandy" and "Karagandy" share a key. A running-text token adds
its pymorphy3 lemmas (Russian inflection: "Акмолинской" → "акмолинский"), the names a Russian
adjective comes from ("шымкентском" → "шымкент"), Russian case endings off names pymorphy does
not know ("Сарыагаше" → "сарыагаш") and its Kazakh stems (case, possessive, personal and
demonym endings stripped layer by layer: "Таразда" → "тараз", "талдықорғаннанмын" →
"талдықорған"), each kept only when some name uses it.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import pymorphy3

from intake import name_lemmas
from intake.morphology import KK_CASES, kk_stems, place_adjective_stems, ru_stems
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

_KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

REGION, DISTRICT, CITY = "<region>", "<district>", "<city>"
_GENERIC = {
    REGION: "область обл облыс облысы oblast oblys oblysy region регион өңір өңірі",
    DISTRICT: "район р-н аудан ауданы district audan audany aýdany raion rayon",
    CITY: "город г гор қала қаласы city qala qalasy",
}
GENERIC_KEYS = {fold(w): tag for tag, words in _GENERIC.items() for w in words.split()}
GENERIC_TAGS = frozenset(GENERIC_KEYS.values())
_KK_GENERIC = frozenset(fold(w) for w in ("облысы", "ауданы", "қаласы", "өңірі"))
# ... or straight from the bare word with one case ending: "бас қаланың", "қалада".
_KK_BARE_GENERIC = frozenset(fold(w) for w in ("облыс", "аудан", "қала"))
# The generic word that types a bare name of each kind ("Ақсу қаласы" is the town).
KIND_GENERIC = {
    "region": REGION,
    "city": CITY,
    "town": CITY,
    "district_town": CITY,
    "district": DISTRICT,
    "city_district": DISTRICT,
}

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


@lru_cache(maxsize=4)
def text_tokens(text: str) -> list[re.Match[str]]:
    """`tokenize` once for the rules and the region of one text (the list is not changed)."""
    return tokenize(text)


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
    # Keys of aliases written in lower case: common nouns that name a place ("столица",
    # "елорда"), which count in lower case too, unlike a lower-case proper name.
    common_nouns: set[str] = field(default_factory=set)
    key_cache: dict[str, TokenKeys] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TokenKeys:
    keys: frozenset[str]  # gazetteer keys and generic tags this token can stand for
    exact: frozenset[str]  # those reached without stripping a Kazakh ending
    street: bool  # the token is a street word (ул., көшесі, даңғылындағы)
    common_noun: bool = False  # it can be an alias written in lower case ("в столице")
    adjective: bool = False  # it names a place as a Russian adjective ("шымкентском")


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    # The dictionary's path given, pymorphy3 does not look for it among every installed
    # package's entry points (importlib.metadata: ~30 ms of each start).
    try:
        import pymorphy3_dicts_ru
    except ImportError:  # pragma: no cover - another packaging of the dictionary
        return pymorphy3.MorphAnalyzer(lang="ru")
    return pymorphy3.MorphAnalyzer(path=pymorphy3_dicts_ru.get_path(), lang="ru")


@lru_cache(maxsize=200_000)
def _parses(lower: str) -> list[Any]:
    """pymorphy3's parses of a lower-case word, once per word: lemmas, `is_common_word` and
    `is_adjective` all read them (the callers must not change the list)."""
    return _morph().parse(lower)


def lemmas(word: str) -> frozenset[str]:
    """Folded normal forms of every pymorphy3 parse of a word."""
    return _lemmas(word.lower())


@lru_cache(maxsize=200_000)
def _lemmas(lower: str) -> frozenset[str]:
    return frozenset(fold(parse.normal_form) for parse in _parses(lower))


@lru_cache(maxsize=2_000)
def _nominative_lemmas(word: str) -> frozenset[str]:
    """Lemmas of a name written in the nominative (a gazetteer alias), not of verb look-alikes;
    the gazetteer's own words come from the shipped file (see intake/name_lemmas.py)."""
    known = name_lemmas.shipped()
    lemmas = known.get(word.lower()) if known is not None else None
    return frozenset(lemmas) if lemmas is not None else parse_nominative(word)


def parse_nominative(word: str) -> frozenset[str]:
    return frozenset(fold(p.normal_form) for p in _morph().parse(word.lower()) if "nomn" in p.tag)


@lru_cache(maxsize=50_000)
def is_common_word(word: str) -> bool:
    """A dictionary word that is not a place name ("рудный" the adjective, not Рудный)."""
    parse = _parses(word.lower())[0]
    return parse.is_known and "Geox" not in parse.tag


@lru_cache(maxsize=10_000)
def is_adjective(word: str) -> bool:
    """A qualifying adjective (северной, культурная), not a pronoun one (нашей, этой)."""
    if not is_cyrillic(word):
        return False
    parse = _parses(word.lower())[0]
    return "ADJF" in parse.tag and "Apro" not in parse.tag


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
        typed = any(keys <= GENERIC_TAGS for keys in tokens)
        entry = gaz.entries[key] = NameEntry(key[0], core, typed)
        index_entry(gaz, entry)
    if place not in entry.places:
        entry.places.append(place)


def anchor(tokens: tuple[frozenset[str], ...]) -> int:
    """The offset of a name's first non-generic token, by whose keys `by_anchor` finds it."""
    return next((n for n, keys in enumerate(tokens) if not keys <= GENERIC_TAGS), 0)


def index_entry(gaz: Gazetteer, entry: NameEntry) -> None:
    """Make a new entry findable: by its anchor token, and its keys in the vocabulary."""
    offset = anchor(entry.tokens)
    gaz.max_anchor = max(gaz.max_anchor, offset)
    for word_key in entry.tokens[offset]:
        gaz.by_anchor[(offset, word_key)].append(entry)
    for keys in entry.tokens:
        gaz.vocabulary |= keys


def _add_alias(gaz: Gazetteer, words: list[str], place: Place) -> None:
    tokens = [_name_keys(word) for word in words]
    generic = [GENERIC_KEYS.get(fold(w).rstrip(".")) for w in words]
    _add(gaz, tokens, place, core=False)
    core = [keys for keys, tag in zip(tokens, generic, strict=True) if tag is None]
    # A common-noun alias has no core: "бас" of "бас қала" (the capital) is "head", "boss".
    if not core or all(word.islower() for word in words):
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
        for words in _alias_words(row):
            _add_alias(gaz, words, place)
            if len(words) == 1 and words[0].islower():
                gaz.common_nouns |= _name_keys(words[0])
    return gaz


def _alias_words(row: dict[str, str]) -> Iterator[list[str]]:
    for alias in _aliases(row):
        words = [m.group() for m in tokenize(alias)]
        while words and words[0].lower() in _PREPOSITIONS:  # "в столице" → "столице"
            words.pop(0)
        if words:
            yield words


def _rows() -> list[dict[str, str]]:
    text = (resources.files("intake") / "data" / GAZETTEER_FILE).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def name_words() -> set[str]:
    """The words of the gazetteer's names whose nominative lemmas `build` looks up."""
    return {
        word.lower()
        for row in _rows()
        for words in _alias_words(row)
        for word in words
        if fold(word).rstrip(".") not in GENERIC_KEYS and is_cyrillic(word)
    }


@cache
def load() -> Gazetteer:
    from intake import gazetteer_index  # it imports this module

    return gazetteer_index.shipped() or build(_rows())


def token_keys(gaz: Gazetteer, token: str) -> TokenKeys:
    """What a token of running text can stand for, limited to the gazetteer's vocabulary."""
    found = gaz.key_cache.get(token)
    if found is not None:
        return found
    folded = fold(token)
    exact = {folded}
    kazakh = bool(_KAZAKH_LETTERS.search(token))
    if is_cyrillic(token) and not kazakh:  # Russian lemmas of a Kazakh word are noise
        exact |= lemmas(token)
    # Kazakh endings are not stripped off Russian words ("верните" is not Верный + -те).
    russian = not kazakh and is_cyrillic(token) and is_common_word(token)
    stems = frozenset() if russian else kk_stems(folded, possessive=False)
    derived = place_adjective_stems(exact) & gaz.vocabulary if not kazakh else frozenset()
    if is_cyrillic(token) and not kazakh and not russian:
        stems |= ru_stems(folded)  # names pymorphy does not know: в Сарыагаше, в Алмате
    candidates = exact | stems | derived
    # A generic word inflects in Kazakh only from its possessive ("облысында", "қаласына");
    # stripping further ("қалай" → "қала") turns ordinary words into generic ones.
    bare = {folded[: -len(e)] for e in KK_CASES if folded.endswith(e)} & _KK_BARE_GENERIC
    generic = {
        GENERIC_KEYS[c] for c in exact | (stems & _KK_GENERIC) | bare if c in GENERIC_KEYS
    }
    found = TokenKeys(
        keys=frozenset(candidates & gaz.vocabulary) | generic,
        exact=frozenset(exact & gaz.vocabulary) | generic,
        # Short street words ("ул", "пр") only as written: a stripped ending makes false ones.
        street=bool(exact & STREET_KEYS)
        or any(len(s) >= 4 for s in kk_stems(folded) & STREET_KEYS),
        common_noun=bool(candidates & gaz.common_nouns),
        adjective=bool(derived),
    )
    if len(gaz.key_cache) > 500_000:  # bound memory on endless streams of new words
        gaz.key_cache.clear()
    gaz.key_cache[token] = found
    return found

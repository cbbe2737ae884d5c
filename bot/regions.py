"""Region names for buttons in the citizen's language, and the place check with suggestions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache

from intake.gazetteer import fold, load
from intake.region import detect_region

CITIES = ("AST", "ALA", "SHY")
# The gazetteer names regions in Russian and Kazakh; English names are ours.
ENGLISH = {
    "AST": "Astana",
    "ALA": "Almaty",
    "SHY": "Shymkent",
    "ABA": "Abai Region",
    "AKM": "Akmola Region",
    "AKT": "Aktobe Region",
    "ALM": "Almaty Region",
    "ATY": "Atyrau Region",
    "ZKO": "West Kazakhstan Region",
    "ZHM": "Jambyl Region",
    "ZHT": "Jetisu Region",
    "KAR": "Karaganda Region",
    "KOS": "Kostanay Region",
    "KZY": "Kyzylorda Region",
    "MAN": "Mangystau Region",
    "PAV": "Pavlodar Region",
    "SKO": "North Kazakhstan Region",
    "TUR": "Turkistan Region",
    "ULY": "Ulytau Region",
    "VKO": "East Kazakhstan Region",
}


def region_codes() -> list[str]:
    return list(load().regions)


def region_name(code: str, language: str) -> str:
    names = load().regions.get(code)
    if names is None:
        return code
    if language == "en":
        return ENGLISH.get(code, names[0])
    return names[1] if language == "kk" else names[0]


def button_label(code: str, language: str) -> str:
    """A shorter name that fits half a phone's width."""
    name = region_name(code, language)
    if language == "ru":
        name = name.replace("город ", "г. ").replace(" область", " обл.")
        name = name.replace("область ", "обл. ")
    elif language == "kk":
        name = name.replace(" облысы", " обл.").replace(" қаласы", "")
    else:
        name = name.replace(" Region", "")
    return name


@cache
def ordered_codes(language: str) -> tuple[str, ...]:
    """The three cities of republican significance first, then regions by name."""

    def key(code: str) -> str:
        return button_label(code, language).replace("обл. ", "").replace("г. ", "").lower()

    rest = sorted((c for c in region_codes() if c not in CITIES), key=key)
    return (*CITIES, *rest)


@dataclass(slots=True)
class PlaceCheck:
    region: str | None  # the region the place is in, when the gazetteer knows it
    district: str | None
    suggestions: list[str] = field(default_factory=list)  # close gazetteer names in the region
    regions_named: list[str] = field(default_factory=list)


def place_name(name_ru: str, region: str | None, language: str) -> str:
    """A gazetteer place named in Russian, in Kazakh for a Kazakh-speaking citizen."""
    if language != "kk":
        return name_ru
    for place in load().places:
        if place.name_ru == name_ru and (region is None or place.region == region):
            return place.name_kk
    return name_ru


def check_place(text: str, chosen: str | None, language: str) -> PlaceCheck:
    """Where a typed place is, by the gazetteer; close names in `chosen` when it is unknown."""
    result = detect_region(text)
    named = sorted({r for span in result.spans for r in span.regions})
    if result.region or named:
        return PlaceCheck(result.region, result.district, [], named)
    return PlaceCheck(None, None, suggest(text, chosen, language), [])


def suggest(text: str, region: str | None, language: str, limit: int = 3) -> list[str]:
    names = _names(region, "kk" if language == "kk" else "ru")
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(fold(name), name)
        for word in fold(name).split():
            if len(word) >= 4:
                folded.setdefault(word, name)
    words = [w for w in fold(text).replace(",", " ").split() if len(w) >= 3]
    found: list[str] = []
    for probe in [fold(text).strip(), *words]:
        for match in difflib.get_close_matches(probe, list(folded), n=limit, cutoff=0.75):
            if folded[match] not in found:
                found.append(folded[match])
    return found[:limit]


@cache
def _names(region: str | None, language: str) -> tuple[str, ...]:
    places = [p for p in load().places if region is None or p.region == region]
    return tuple(dict.fromkeys(p.name_kk if language == "kk" else p.name_ru for p in places))

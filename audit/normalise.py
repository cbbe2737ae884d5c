"""Cell values to comparable keys: IINs (checked and masked), phones in E.164, emails, dates,
region codes and names. Everything here is pure and cached where the same value recurs."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from intake.entities import iin_is_valid, normalise_phone
from intake.gazetteer import load as load_gazetteer
from intake.region import detect_region
from intake.translit import fold

# 7th IIN digit: the century of birth and the sex (1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s).
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
_SPACES = re.compile(r"\s+")


def clean_iin(raw: str) -> str:
    """An IIN as written, without spaces, dashes and the '.0' a spreadsheet number gets."""
    value = raw.strip().replace(" ", "").replace("-", "").replace("\u00a0", "")
    return value[:-2] if value.endswith(".0") else value


def birth_date(iin: str) -> dt.date | None:
    """The birth date an IIN encodes (YYMMDD and the century digit), or None if none is real."""
    century = _CENTURY.get(iin[6:7])
    if century is None or not iin[:6].isdigit():
        return None
    try:
        return dt.date(century + int(iin[:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def iin_problem(iin: str, today: dt.date | None = None) -> str | None:
    """Why this is not a person's IIN (length, digits, century digit, birth date, check
    digit), or None when it is one."""
    if len(iin) != 12:
        return f"{len(iin)} characters, not 12"
    if not iin.isdigit():
        return "not only digits"
    if iin[6] not in _CENTURY:
        return "century digit is not 1-6"
    born = birth_date(iin)
    if born is None:
        return "no such birth date"
    if born > (today or dt.datetime.now(dt.UTC).date()):
        return "birth date in the future"
    if not iin_is_valid(iin):
        return "check digit does not match"
    return None


def mask_iin(iin: str) -> str:
    """The IIN as alerts, digests, logs and reports show it: birth year and month and the last
    two digits kept (8504******34), enough to tell findings apart, not to look a person up."""
    if len(iin) < 8:
        return "*" * len(iin)
    return iin[:4] + "*" * (len(iin) - 6) + iin[-2:]


_PHONE_CHARS = frozenset("0123456789 +()-.")
_NOT_DIGITS = str.maketrans("", "", " +()-.")


@lru_cache(maxsize=4096)
def _kz_range_valid(prefix: str) -> bool:
    """Whether the Kazakh numbers (+7 7…) starting with these five national digits are valid:
    phonenumbers' KZ patterns decide on at most the first five digits, the rest is any \\d."""
    return normalise_phone("+7" + prefix + "00000", "KZ") is not None


def phone(raw: str) -> str | None:
    """A phone in E.164 (Kazakhstan by default), or None when it is not a valid number.

    A plainly written Kazakh number (+7 / 8 / 7 and ten digits, or the ten alone) is checked
    by its five-digit range, cached (tests compare it with phonenumbers); anything else goes
    through phonenumbers whole. Two thirds of the audit's time went to phonenumbers before."""
    value = raw.strip()
    if value.endswith(".0"):  # a phone typed as a number in a spreadsheet
        value = value[:-2]
    if not value:
        return None
    if _PHONE_CHARS.issuperset(value):
        digits = value.translate(_NOT_DIGITS)
        plus = value.startswith("+")
        national = None
        if len(digits) == 11 and (digits[0] == "7" or (digits[0] == "8" and not plus)):
            national = digits[1:]
        elif len(digits) == 10 and not plus:
            national = digits
        if national is not None and national[0] == "7":
            return "+7" + national if _kz_range_valid(national[:5]) else None
        if national is not None:
            value = "+7" + national
    return _phone_slow(value)


@lru_cache(maxsize=65_536)
def _phone_slow(value: str) -> str | None:
    return normalise_phone(value, "KZ")


def email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if "@" in value and " " not in value and len(value) <= 320 else None


def name_key(raw: str) -> str:
    """A full name for comparison: case, ё/е, Kazakh/Russian look-alikes and spacing ignored."""
    return " ".join(sorted(fold(_SPACES.sub(" ", raw.replace("ё", "е")).strip()).split()))


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y/%m/%d", "%d-%m-%Y")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                 "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


@lru_cache(maxsize=65_536)
def parse_date(raw: str) -> dt.date | None:
    value = raw.strip()
    if len(value) >= 19 and value[10] in " T":  # a datetime where a date was expected
        value = value[:10]
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def parse_datetime(raw: str) -> dt.datetime | None:
    """A vote's time, naive (the file's own clock): only distances between votes matter."""
    value = raw.strip()
    try:
        parsed = dt.datetime.fromisoformat(value)
        return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed.astimezone(
            dt.UTC).replace(tzinfo=None)
    except ValueError:
        pass
    for pattern in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern)  # noqa: DTZ007 - the file's own clock
        except ValueError:
            continue
    return None


_GENERIC_WORDS = {fold(w) for w in ["область", "обл", "облысы", "облыс", "город", "г", "қаласы", "қала", "region"]}


@lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    """Folded region codes, names and aliases → code; a name two regions share is left out."""
    gaz = load_gazetteer()
    names: dict[str, set[str]] = {}
    for code, (name_ru, name_kk) in gaz.regions.items():
        for name in (code, name_ru, name_kk):
            names.setdefault(_region_key(name), set()).add(code)
    return {key: next(iter(codes)) for key, codes in names.items() if len(codes) == 1}


def _region_key(value: str) -> str:
    return " ".join(w for w in fold(value.replace(".", " ")).split() if w not in _GENERIC_WORDS)


@lru_cache(maxsize=4096)
def region_code(raw: str) -> str | None:
    """A region code from a code or a name in any language; None when it names no one region."""
    value = raw.strip()
    if not value:
        return None
    found = _region_names().get(_region_key(value))
    if found:
        return found
    return detect_region(value).region

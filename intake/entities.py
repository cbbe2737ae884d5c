"""Entities named in a report: phones (E.164), IINs, emails, organisations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# phonenumbers (~75 ms to import: its metadata) is imported by the functions that use it, so a
# start that meets no digit run does not pay for it.

_DIGIT_RUN = re.compile(r"\d(?:[\s().+-]{0,3}\d){6}")
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w-])", re.UNICODE
)
# Organisation names in «…» (or "…", “…”) next to a legal-form or party-cell abbreviation:
# Russian puts the form first (ТОО «Береке»), Kazakh usually after («Береке» ЖШС).
_ORG_FORMS = (
    "ППО|ПППО|ТОО|АО|ОАО|ЗАО|ОО|ОЮЛ|ИП|ГУ|КГУ|РГУ|ГККП|КГП|РГП|"
    "БПҰ|ЖШС|АҚ|ҚБ|ЖК|ММ|КММ|МКҚК|ШЖҚ|LLP|JSC"
)
_QUOTED_NAME = r"[«\"“„]\s*([^»\"”“\n]{2,120}?)\s*[»\"”“]"
_QUOTE_MARKS = re.compile("[«\"“„]")  # what `_QUOTED_NAME` must start with
_ORG = re.compile(rf"(?<!\w)({_ORG_FORMS})\s*{_QUOTED_NAME}")
_ORG_AFTER = re.compile(rf"{_QUOTED_NAME}\s*({_ORG_FORMS})(?!\w)")
# The Kazakh and English forms of the same legal form, for linking cases.
_ORG_KIND = {
    "ЖШС": "ТОО",
    "LLP": "ТОО",
    "АҚ": "АО",
    "JSC": "АО",
    "БПҰ": "ППО",
    "ПППО": "ППО",
    "ҚБ": "ОО",
    "ЖК": "ИП",
}

_IIN_WEIGHTS_1 = tuple(range(1, 12))
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_is_valid(value: str) -> bool:
    """The official check digit of a 12-digit IIN/BIN.

    First pass with weights 1..11; if the remainder is 10, a second pass with 3..11,1,2; a
    second 10 means the number is invalid. The birth date is not checked on purpose: real
    IINs exist whose date part does not match the holder's recorded birth date.
    """
    if len(value) != 12 or not value.isdigit():
        return False
    digits = [int(ch) for ch in value]
    check = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_1, strict=False)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_2, strict=False)) % 11
        if check == 10:
            return False
    return check == digits[11]


def normalise_phone(raw: str, region: str = "KZ") -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(slots=True)
class Entities:
    phones: list[str] = field(default_factory=list)
    iins: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "phones": self.phones,
            "iins": self.iins,
            "emails": self.emails,
            "organisations": self.organisations,
        }

    def keys(self) -> set[tuple[str, str]]:
        """(kind, value) pairs that link related cases."""
        pairs = {("phone", p) for p in self.phones} | {("iin", i) for i in self.iins}
        pairs |= {("email", e) for e in self.emails}
        pairs |= {("org", organisation_key(o)) for o in self.organisations}
        return pairs


def entity_keys(entities: Mapping[str, list[str]]) -> set[tuple[str, str]]:
    """The linking keys of a case's stored `entities` (as `Entities.keys` made them)."""
    pairs = {("phone", p) for p in entities.get("phones", [])}
    pairs |= {("iin", i) for i in entities.get("iins", [])}
    pairs |= {("email", e) for e in entities.get("emails", [])}
    pairs |= {("org", organisation_key(o)) for o in entities.get("organisations", [])}
    return pairs


def organisation_key(name: str) -> str:
    """The same organisation written in Russian or Kazakh (ТОО/ЖШС, АО/АҚ) gets one key."""
    form, _, rest = name.partition(" ")
    return f"{_ORG_KIND.get(form, form)} {rest}".casefold()


def _organisations(text: str) -> list[str]:
    """Organisations as "FORM «Name»" in the order they appear, either word order."""
    found = [(m.start(), m.group(1), m.group(2)) for m in _ORG.finditer(text)]
    taken = [range(m.start(), m.end()) for m in _ORG.finditer(text)]
    for m in _ORG_AFTER.finditer(text):
        if not any(m.start() in span for span in taken):
            found.append((m.start(), m.group(2), m.group(1)))
    return [f"{form} «{' '.join(name.split())}»" for _, form, name in sorted(found)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def extract_entities(text: str) -> Entities:
    text = text[:200_000]
    phones: list[str] = []
    iins: list[str] = []
    # The matcher is costly and most texts have no phone at all; twelve digits in a row are
    # a digit run too, so a text without one has no IIN either.
    if _DIGIT_RUN.search(text):
        import phonenumbers

        phones = [
            phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
            for m in phonenumbers.PhoneNumberMatcher(
                text, "KZ", leniency=phonenumbers.Leniency.VALID
            )
        ]
        iins = [m.group() for m in _IIN.finditer(text) if iin_is_valid(m.group())]
    # Each pattern scans ahead from every position; a text without its one required character
    # (most texts) cannot match it.
    emails = [m.group().lower() for m in _EMAIL.finditer(text)] if "@" in text else []
    orgs = _organisations(text) if _QUOTE_MARKS.search(text) else []
    # A 12-digit IIN also parses as a phone-like digit run; drop phones that are IIN digits.
    iin_set = set(iins)
    phones = [p for p in phones if p.lstrip("+")[-12:] not in iin_set]
    return Entities(_unique(phones), _unique(iins), _unique(emails), _unique(orgs))

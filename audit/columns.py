"""Which column is which: headers in Russian, Kazakh or English, case and spacing ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import CliError

# field: the headers that name it (compared after `header_key`).
MEMBER_FIELDS: dict[str, tuple[str, ...]] = {
    "iin": ("ИИН", "ЖСН", "iin", "ИИН члена", "ЖСН нөмірі"),
    "full_name": ("ФИО", "Ф.И.О.", "Аты-жөні", "Толық аты-жөні", "full_name", "name",
                  "full name"),
    "phone": ("Телефон", "phone", "Номер телефона", "Телефон нөмірі", "тел", "mobile"),
    "email": ("email", "e-mail", "Электронная почта", "Эл. почта", "Электрондық пошта"),
    "region": ("region", "Регион", "Область", "Облыс", "Өңір", "region_code", "Код региона"),
    "district": ("Район", "Аудан", "district", "Город/район", "Қала/аудан"),
    "organisation": ("ППО", "первичная партийная организация", "БПҰ",
                     "бастауыш партиялық ұйым", "organisation", "organization"),
    "admitted_on": ("Дата вступления", "Кірген күні", "admitted_on", "Дата приёма",
                    "Партияға кірген күні", "admitted"),
    "status": ("status", "Статус", "Мәртебесі", "Мәртебе"),
    "birth_date": ("Дата рождения", "Туған күні", "birth_date", "born"),
}
VOTE_FIELDS: dict[str, tuple[str, ...]] = {
    "iin": MEMBER_FIELDS["iin"],
    "phone": MEMBER_FIELDS["phone"],
    "ip": ("IP", "ip_address", "IP-адрес", "IP мекенжайы", "ip address"),
    "voted_at": ("voted_at", "Время голосования", "Дата и время голосования",
                 "Дауыс берген уақыты", "time", "Время"),
    "region": MEMBER_FIELDS["region"],
    "district": MEMBER_FIELDS["district"],
    "organisation": MEMBER_FIELDS["organisation"],
    "poll": ("poll", "Голосование", "Праймериз", "Дауыс беру", "primaries"),
}
REFERENCE_FIELDS = {k: MEMBER_FIELDS[k] for k in ("iin", "full_name", "birth_date")}

_IGNORED = re.compile(r"[\s_\-.]+")


def header_key(text: str) -> str:
    """Case, spacing, underscores, dashes and dots ignored; ё is е."""
    return _IGNORED.sub("", text.casefold().replace("ё", "е"))


@dataclass(frozen=True, slots=True)
class Columns:
    """Field → the column index holding it."""

    index: dict[str, int]
    ignored: list[str]

    def __contains__(self, name: str) -> bool:
        return name in self.index


def match_columns(
    headers: list[str], fields: dict[str, tuple[str, ...]], required: list[tuple[str, ...]],
    where: str,
) -> Columns:
    """Map headers to fields. `required` lists alternatives: at least one of each tuple.
    Duplicate names, or two columns naming one field, are errors: which one to believe?"""
    lookup = {header_key(alias): name for name, aliases in fields.items() for alias in aliases}
    index: dict[str, int] = {}
    seen: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        if key in seen:
            raise CliError(
                f"{where}: duplicate column name {header!r} (columns {seen[key] + 1} and "
                f"{position + 1}); rename one of them"
            )
        seen[key] = position
        name = lookup.get(key)
        if name is None:
            ignored.append(header)
        elif name in index:
            raise CliError(
                f"{where}: columns {headers[index[name]]!r} and {header!r} both give {name}; "
                "keep one"
            )
        else:
            index[name] = position
    missing = [group for group in required if not any(name in index for name in group)]
    if missing:
        found = ", ".join(repr(h) for h in headers if h.strip()) or "no headers"
        expected = "; ".join(
            f"{name}: {', '.join(fields[name])}" for group in missing for name in group
        )
        raise CliError(
            f"{where}: cannot find the columns it needs. Found: {found}. "
            f"Expected (any of the names): {expected}"
        )
    return Columns(index, ignored)

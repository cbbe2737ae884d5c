"""Who is responsible for a case, and by when it is due."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

CENTRAL = "CENTRAL"
LANGUAGES = ("ru", "kk")


@dataclass(frozen=True, slots=True)
class CommissionSpec:
    code: str
    region: str | None
    name: str
    emails: tuple[str, ...] = ()
    telegram_chat_id: int | None = None
    members: tuple[int, ...] = field(default_factory=tuple)
    language: str = "ru"

    @property
    def is_central(self) -> bool:
        return self.code == CENTRAL


class CommissionsFileError(ValueError):
    """The commissions file is missing or malformed; the message says where and what to do."""


def _spec(body: dict[str, object], code: str, region: str | None, where: str) -> CommissionSpec:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CommissionsFileError(f"{where}: `name` is required")
    emails = body.get("emails", [])
    members = body.get("members", [])
    chat = body.get("telegram_chat_id")
    language = body.get("language", "ru")
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise CommissionsFileError(f"{where}: `emails` must be a list of addresses")
    if not isinstance(members, list) or not all(isinstance(m, int) for m in members):
        raise CommissionsFileError(f"{where}: `members` must be a list of Telegram user ids")
    if chat is not None and not isinstance(chat, int):
        raise CommissionsFileError(f"{where}: `telegram_chat_id` must be an integer")
    if language not in LANGUAGES:
        raise CommissionsFileError(f"{where}: `language` must be one of {', '.join(LANGUAGES)}")
    return CommissionSpec(
        code, region, name.strip(), tuple(emails), chat, tuple(members), language
    )


def parse_commissions(text: str, known_regions: set[str]) -> list[CommissionSpec]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CommissionsFileError(f"not valid TOML: {exc}") from None
    if "central" not in data:
        raise CommissionsFileError("the [central] table (the central committee) is required")
    specs = [_spec(data["central"], CENTRAL, None, "[central]")]
    seen: set[str] = set()
    for index, body in enumerate(data.get("commissions", []), start=1):
        region = body.get("region")
        where = f"[[commissions]] #{index}"
        if region not in known_regions:
            raise CommissionsFileError(
                f"{where}: region {region!r} is not a gazetteer code "
                f"({', '.join(sorted(known_regions))})"
            )
        if region in seen:
            raise CommissionsFileError(f"{where}: region {region} is listed twice")
        seen.add(region)
        specs.append(_spec(body, region, region, where))
    return specs


def read_commissions(path: Path, known_regions: set[str]) -> list[CommissionSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommissionsFileError(
            f"cannot read COMMISSIONS_FILE {path}: {exc.strerror}; "
            "copy config/commissions.example.toml and point COMMISSIONS_FILE at it"
        ) from None
    return parse_commissions(text, known_regions)


def route(region: str | None, commission_codes: set[str]) -> str:
    """The commission code for a region; the central committee's triage when unplaced."""
    if region and region in commission_codes:
        return region
    return CENTRAL


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=range(year, year + 2))


def due_date(received_at: dt.datetime, zone: ZoneInfo, working_days: int = 15) -> dt.datetime:
    """End of the `working_days`-th Kazakh working day after the day the case was received."""
    local = received_at.astimezone(zone).date()
    calendar = _calendar(local.year)
    day = calendar.get_nth_working_day(local, working_days)
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return end_of_day.astimezone(dt.UTC)

"""A realistic membership registry and primaries' votes, with injected anomalies and the
findings they must produce (for `bench/audit.py` and the precision/recall test).

Usage: .venv/bin/python bench/registry.py --members 1000000 --out DIR
Ordinary data: the 20 regions and their districts from the gazetteer, organisations of 40–160
members admitted at an ordinary rhythm over three years (none while admission was suspended),
families of 2–4 sharing a phone and a home IP, phones and regions written in several ways,
the odd empty row. Injected: a company's employees admitted in the capital within three days
of a suspension; one phone across two organisations of one district (105 members); one phone
across four organisations of one town (279); repeat voters; one IP casting hundreds of votes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.entities import iin_is_valid  # noqa: E402
from intake.gazetteer import load  # noqa: E402

SUSPENDED = (dt.date(2024, 1, 10), dt.date(2024, 2, 20))
WINDOW = f"{SUSPENDED[0]}:{SUSPENDED[1]}"
START, END = dt.date(2022, 1, 1), dt.date(2024, 12, 31)
MEMBER_HEADER = ["ИИН", "ФИО", "Телефон", "email", "Регион", "Район", "ППО", "Дата вступления"]
VOTE_HEADER = ["ИИН", "Телефон", "IP", "voted_at", "Регион", "poll"]
COMPANY = "ППО ТОО «Астана Моторс»"
PHONE_DISTRICT, PHONE_TOWN, CROWD_IP = "+77017000105", "+77017000279", "95.56.1.77"
SHARED = (PHONE_DISTRICT, PHONE_TOWN)
NAMES = ["Ахметов Нурлан", "Иванова Мария", "Сейткали Әсел", "Ким Олег", "Жұмабаев Ерлан",
         "Петров Сергей", "Оспанова Айгүл", "Қасымов Дәурен"]


@dataclass
class Expected:
    """The (rule, identity) pairs the audit must find, and nothing else."""

    members: set[tuple[str, str]] = field(default_factory=set)
    votes: set[tuple[str, str]] = field(default_factory=set)


def iin(rng: random.Random, used: set[str]) -> str:
    while True:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        century = (3 if born.year < 2000 else 5) + rng.randrange(2)
        stem = f"{born:%y%m%d}{century}{rng.randrange(10000):04d}"
        for check in "0123456789":
            if iin_is_valid(stem + check) and stem + check not in used:
                used.add(stem + check)
                return stem + check


def written_phone(rng: random.Random, digits: str) -> str:
    """One KZ mobile number in one of the ways people type it."""
    style = rng.randrange(4)
    if style == 0:
        return "+7" + digits
    if style == 1:
        return "8" + digits
    if style == 2:
        return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    return f"+7 {digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def ordinary_day(rng: random.Random) -> dt.date:
    while True:
        day = START + dt.timedelta(days=rng.randrange((END - START).days))
        if not SUSPENDED[0] <= day <= SUSPENDED[1]:
            return day


def places() -> list[tuple[str, str, str]]:
    """(region code, how the region is written, district) for every district."""
    gaz = load()
    out = []
    for place in gaz.places:
        if place.kind in ("district", "city_district"):
            ru, kk = gaz.regions[place.region]
            out.append((place.region, ru, place.name_ru))
            out.append((place.region, kk, place.name_ru))
    return out


def generate_members(
    path: Path, count: int, seed: int = 1, *, inject: bool = True
) -> tuple[Expected, list[list[str]]]:
    """Write the registry; return what must be found and the members (for the votes)."""
    rng = random.Random(seed)
    used: set[str] = set()
    spots = places()
    expected = Expected()
    rows: list[list[str]] = []
    phones = iter(range(1_000_000, 9_999_999))
    organisations = 0
    while len(rows) < count:
        region, written, district = rng.choice(spots)
        organisations += 1
        org = f"ППО «{district.split()[0]}-{organisations}»"
        size = rng.randint(40, 160)
        while size > 0:
            family = rng.choice((1, 1, 1, 2, 3, 4))
            phone = f"70{next(phones):08d}"[:10]
            for _ in range(min(family, size)):
                rows.append([iin(rng, used), rng.choice(NAMES), written_phone(rng, phone), "",
                             rng.choice((written, region)), district, org,
                             ordinary_day(rng).isoformat()])
                size -= 1
    del rows[count:]
    if inject:
        inject_members(rng, used, rows, expected)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MEMBER_HEADER)
        for number, row in enumerate(rows):
            if number % 50_000 == 7:
                writer.writerow([""] * len(MEMBER_HEADER))  # an empty row, now and then
            writer.writerow(row)
    return expected, rows


def inject_members(rng: random.Random, used: set[str], rows: list[list[str]],
                   expected: Expected) -> None:
    employees = max(30, min(2466, len(rows) // 400))
    ordinary = [[iin(rng, used), rng.choice(NAMES), written_phone(rng, f"7051{i:06d}"), "",
                 "г. Астана", "район Есиль", COMPANY, ordinary_day(rng).isoformat()]
                for i in range(60)]
    first = SUSPENDED[0] + dt.timedelta(days=10)
    company = [[iin(rng, used), rng.choice(NAMES), written_phone(rng, f"7052{i:06d}"), "",
                "Астана", "район Есиль", COMPANY, str(first + dt.timedelta(days=i % 3))]
               for i in range(employees)]
    district = [[iin(rng, used), rng.choice(NAMES), written_phone(rng, PHONE_DISTRICT[2:]), "",
                 "AKM", "Бурабайский район", f"ППО «Бурабай-{i % 2}»", ordinary_day(rng).isoformat()]
                for i in range(105)]
    town = [[iin(rng, used), rng.choice(NAMES), written_phone(rng, PHONE_TOWN[2:]), "",
             "KAR", "город Балхаш", f"ППО «Балқаш-{i % 4}»", ordinary_day(rng).isoformat()]
            for i in range(279)]
    for row in ordinary + company + district + town:
        rows.insert(rng.randrange(len(rows)), row)
    expected.members |= {("suspended_admission", f"{WINDOW}|AST"),
                         ("admission_burst", f"{COMPANY}|{first}"),
                         ("shared_phone", PHONE_DISTRICT), ("shared_phone", PHONE_TOWN)}


def generate_votes(path: Path, members: list[list[str]], polls: int = 1, seed: int = 2) -> Expected:
    """Every member votes once in each poll from a family IP; injected: repeat voters and one
    address behind hundreds of votes within an hour."""
    rng = random.Random(seed)
    expected = Expected()
    day = dt.datetime(2024, 6, 1, 8, 0)  # noqa: DTZ001 - the file's own clock
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VOTE_HEADER)
        for p in range(polls):
            poll = f"P{p + 1}"
            homes: dict[str, str] = {}
            crowd = set(rng.sample(range(len(members)), min(300, len(members) // 10)))
            repeaters = set(rng.sample(range(len(members)), min(50, len(members) // 20)))
            for index, m in enumerate(members):
                phone = "".join(c for c in m[2] if c.isdigit())[-10:]
                # The members injected under one phone vote from it too, each from their own IP.
                home = phone if "+7" + phone not in SHARED else f"{phone}:{index}"
                address = homes.setdefault(home, f"10.{rng.randrange(256)}.{rng.randrange(256)}"
                                                 f".{rng.randrange(1, 255)}")
                at = day + dt.timedelta(seconds=rng.randrange(12 * 3600))
                if index in crowd:
                    address = CROWD_IP
                    at = day + dt.timedelta(hours=5, seconds=rng.randrange(2400))
                writer.writerow([m[0], m[2], address, at.isoformat(sep=" "), m[4], poll])
                if index in repeaters:
                    writer.writerow([m[0], m[2], address, (at + dt.timedelta(hours=2)).isoformat(
                        sep=" "), m[4], poll])
                    expected.votes.add(("repeat_iin", f"{poll}|{m[0]}"))
            expected.votes.add(("shared_ip", f"{poll}|{CROWD_IP}"))
            expected.votes |= {("shared_phone", f"{poll}|{phone}") for phone in SHARED}
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/data"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    _, members = generate_members(args.out / "members.csv", args.members)
    generate_votes(args.out / "votes.csv", members, args.polls)


if __name__ == "__main__":
    main()

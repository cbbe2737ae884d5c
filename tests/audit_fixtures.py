"""Registry and votes files for the audit tests, generated: valid IINs, CSV in each encoding
and delimiter, XLSX with several sheets, merged cells and formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from intake.entities import iin_is_valid

MEMBER_HEADERS = ["ИИН", "ФИО", "Телефон", "email", "Регион", "Район", "ППО", "Дата вступления"]


def make_iin(born: dt.date, serial: int, male: bool = True) -> str:
    """A valid IIN: birth date, century-and-sex digit, 4-digit serial, check digit."""
    century = {1800: 1, 1900: 3, 2000: 5}[born.year // 100 * 100] + (0 if male else 1)
    for attempt in range(serial, serial + 20):
        stem = f"{born:%y%m%d}{century}{attempt % 10000:04d}"
        for check in range(10):
            if iin_is_valid(stem + str(check)):
                return stem + str(check)
    raise AssertionError("no valid IIN near this serial")


def phone_of(n: int) -> str:
    return f"8 701 {n // 10000 % 1000:03d} {n // 100 % 100:02d} {n % 100:02d}"


def member(n: int, *, phone: str | None = None, region: str = "Акмолинская область",
           district: str = "Бурабайский район", org: str = "ППО «Береке»",
           admitted: str = "2024-05-10", email: str | None = None,
           iin: str | None = None) -> list[str]:
    """One member row in MEMBER_HEADERS order, distinct by `n` unless told otherwise."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=n * 37 % 15000)
    return [
        iin or make_iin(born, n),
        f"Иванов{n} Иван Иванович",
        phone if phone is not None else phone_of(1_000_000 + n),
        email if email is not None else f"member{n}@example.kz",
        region, district, org, admitted,
    ]


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]],
               merged: dict[str, list[str]] | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path

"""XLSX through openpyxl's read-only mode: saved values of formulas (data_only), merged cells
filled from their top-left cell, one sheet chosen by name or by which one has the columns."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audit.readers import HEADER_SEARCH_ROWS, Rows, Source, _find_header, text_of
from core.errors import CliError

_MERGE = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"
Range = tuple[int, int, int, int]  # min_row, max_row, min_col, max_col (1-based)


def _load(path: Path, data_only: bool) -> Any:
    import openpyxl

    with warnings.catch_warnings():  # "no default style": harmless, and noise on stderr
        warnings.simplefilter("ignore")
        try:
            return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        except Exception as exc:  # zip, XML or openpyxl errors: all mean "not a workbook"
            raise CliError(f"{path.name}: not a readable XLSX file ({exc})") from None


def _merged_ranges(sheet: Any) -> list[Range]:
    """Merged ranges from the sheet's XML (read-only mode does not load them), streamed."""
    from openpyxl.utils.cell import range_boundaries

    found = []
    source = sheet._get_source()  # noqa: SLF001 - the only way to the XML in read-only mode
    try:
        for _, element in ET.iterparse(source):
            if element.tag == _MERGE:
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                found.append((min_row, max_row, min_col, max_col))
            element.clear()
    finally:
        source.close()
    return sorted(found)


def _rows(values: Any, formulas: Any, merged: list[Range], notes: list[str], label: str) -> Rows:
    """Text cells per row; a merged cell repeats its top-left value; a formula without a saved
    value (a file never opened in a spreadsheet program) is noted and left empty."""
    tops: dict[Range, str] = {}
    unsaved: list[str] = []
    for number, (row, written) in enumerate(zip(values, formulas, strict=False), start=1):
        cells = [text_of(v) for v in row]
        for i, value in enumerate(row):
            if value is None and i < len(written) and str(written[i] or "").startswith("="):
                unsaved.append(f"row {number} column {i + 1}")
        for box in merged:
            if box[0] > number:
                break
            if number > box[1]:
                continue
            while len(cells) < box[3]:
                cells.append("")
            if number == box[0]:
                tops[box] = cells[box[2] - 1]
            for col in range(box[2], box[3] + 1):
                if not cells[col - 1]:
                    cells[col - 1] = tops.get(box, "")
        yield number, cells
    if unsaved:
        shown = ", ".join(unsaved[:5]) + (f" and {len(unsaved) - 5} more" if len(unsaved) > 5 else "")
        notes.append(
            f"{label}: {len(unsaved)} formula cells have no saved value ({shown}); open and save "
            "the file in a spreadsheet program to compute them"
        )


def _pick_sheet(book: Any, sheet: str | None, accepts: Callable[[list[str]], bool], label: str) -> str:
    names = list(book.sheetnames)
    if sheet is not None:
        if sheet not in names:
            raise CliError(f"{label}: no sheet {sheet!r}; the sheets are: {', '.join(names)}")
        return sheet
    if len(names) == 1:
        return names[0]
    matching = []
    for name in names:
        head = book[name].iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        if any(accepts([text_of(v) for v in row]) for row in head):
            matching.append(name)
    if len(matching) == 1:
        return matching[0]
    raise CliError(
        f"{label}: {len(names)} sheets ({', '.join(names)}) and "
        f"{'none' if not matching else 'more than one'} has the expected columns; "
        "choose one with --sheet NAME"
    )


def open_xlsx(path: Path, accepts: Callable[[list[str]], bool], sheet: str | None) -> Source:
    label = path.name
    values_book = _load(path, data_only=True)
    formulas_book = _load(path, data_only=False)
    name = _pick_sheet(values_book, sheet, accepts, label)
    values_sheet, formulas_sheet = values_book[name], formulas_book[name]
    merged = _merged_ranges(values_sheet)
    notes = [f"{label}: sheet {name!r}"]
    if merged:
        notes.append(f"{label}: {len(merged)} merged ranges, filled from their top-left cell")
    done = [0]

    def counted() -> Rows:
        try:
            for number, cells in _rows(
                values_sheet.iter_rows(min_row=1, values_only=True),
                formulas_sheet.iter_rows(min_row=1, values_only=True),
                merged, notes, label,
            ):
                done[0] = number
                yield number, cells
        finally:
            values_book.close()
            formulas_book.close()

    rows = counted()
    header_row, headers = _find_header(rows, accepts, f"{label} (sheet {name!r})")
    return Source(
        label=label,
        header_row=header_row,
        headers=[h.strip() for h in headers],
        rows=rows,
        total=values_sheet.max_row or 0,
        position=lambda: done[0],
        notes=notes,
    )


def open_source(path: Path, accepts: Callable[[list[str]], bool], sheet: str | None) -> Source:
    """A CSV or XLSX file, told apart by content (XLSX is a zip), not by its name."""
    from audit.readers import open_csv

    if not path.is_file():
        raise CliError(f"{path}: no such file")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return open_xlsx(path, accepts, sheet)
    if sheet is not None:
        raise CliError(f"{path.name}: --sheet is for XLSX files; this one is CSV")
    return open_csv(path, accepts)

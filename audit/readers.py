"""Streaming readers for CSV and XLSX: a header row and then one list of text cells a row,
never the whole file in memory. Row numbers count the way a spreadsheet user does: the
header is row 1 of a file that starts with it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from audit import fastcsv
from audit.encoding import detect_delimiter, detect_encoding, samples
from core.errors import CliError

HEADER_SEARCH_ROWS = 10  # title lines above the header are allowed, this many at most
Rows = Generator[tuple[int, list[str]], None, None]


@dataclass(slots=True)
class Source:
    """An opened file: where the header is, the rows after it, and how far reading has got."""

    label: str
    header_row: int
    headers: list[str]
    rows: Rows
    total: int  # in `unit`s, for the progress bar
    position: Callable[[], int]
    notes: list[str] = field(default_factory=list)
    # CSV: the rows after the header in lists of at most n, with the first one's number (the
    # csv module's C loop, no generator step a row); `rows` must not be read as well.
    batches: Callable[[int], Iterator[tuple[int, list[list[str]]]]] | None = None
    # CSV that polars reads (fastcsv.py): the rows after the header in blocks of columns;
    # neither `rows` nor `batches` is read then.
    blocks: Callable[[], Iterator[fastcsv.Block]] | None = None


def text_of(value: Any) -> str:
    """A spreadsheet value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(
    rows: Rows, accepts: Callable[[list[str]], bool], label: str
) -> tuple[int, list[str]]:
    """The first row among the first few non-empty ones that `accepts` (the columns match);
    failing that, the first non-empty row, for the error message to show."""
    first: tuple[int, list[str]] | None = None
    seen = 0
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        first = first or (number, cells)
        if accepts(cells):
            return number, cells
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise CliError(f"{label}: the file is empty")
    return first


def open_csv(path: Path, accepts: Callable[[list[str]], bool]) -> Source:
    chunks = samples(path)
    encoding = detect_encoding(chunks)
    delimiter = detect_delimiter(chunks[0].decode(encoding, errors="replace"))
    raw = path.open("rb")
    # Bytes the encoding cannot read become U+FFFD and their row is reported (scan.py): the
    # decoder runs ahead of the CSV parser, so an exception could not name the row.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    label = path.name

    def records() -> Rows:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # noqa: B007 - used below
                yield number, cells
        except csv.Error as exc:
            raise CliError(f"{label}: row {number + 1}: {exc}") from None
        finally:
            raw.close()

    rows = records()
    header_row, headers = _find_header(rows, accepts, label)
    shown = {"\t": "tab"}.get(delimiter, delimiter)

    def batches(size: int) -> Iterator[tuple[int, list[list[str]]]]:
        number = header_row
        try:
            while chunk := list(islice(reader, size)):
                yield number + 1, chunk
                number += len(chunk)
        except csv.Error:
            # Which row: the generator path counts them one by one (a second read, once).
            again = open_csv(path, accepts)
            for _ in again.rows:
                pass
            raise
        finally:
            rows.close()

    source = Source(
        label=label,
        header_row=header_row,
        headers=[h.strip() for h in headers],
        rows=rows,
        total=os.path.getsize(path),
        position=lambda: os.path.getsize(path) if raw.closed else raw.tell(),
        notes=[f"{label}: {encoding}, delimiter {shown!r}"],
        batches=batches,
    )
    if USE_POLARS and fastcsv.plain(path):
        rows.close()
        _read_by_polars(source, path, len(headers), delimiter, encoding)
    return source


USE_POLARS = True  # tests turn it off to compare both readers on one file


def _read_by_polars(source: Source, path: Path, width: int, delimiter: str, encoding: str) -> None:
    offset = fastcsv.body_offset(path, source.header_row)
    reached = [offset]

    def blocks() -> Iterator[fastcsv.Block]:
        for block in fastcsv.blocks(path, offset, source.header_row + 1, width, delimiter,
                                    encoding):
            reached[0] = block.end
            yield block

    source.blocks = blocks
    source.batches = None
    source.rows = _rows_of(blocks())
    source.position = lambda: reached[0]


def _rows_of(blocks: Iterator[fastcsv.Block]) -> Rows:
    """Row by row, for the readers that want them so (the reference registry)."""
    for block in blocks:
        for index, row in enumerate(block.frame.iter_rows()):
            cells = list(row)
            if not any(c.strip() for c in cells):  # cells past the header's width, if any
                cells = block.cells(index)
            yield block.first + index, cells


csv.field_size_limit(16 * 1024 * 1024)  # long cells are data, not an attack on a CLI

"""Rows in batches of columns, for the vectorised rules: each file's rows are still streamed
by the CSV/XLSX readers (so row numbers, encodings and bad-input messages are theirs), but
handed on as polars frames of raw cells, 65,536 rows at a time, instead of one dict a row.

A rule decides most rows with vectorised expressions ("fast" rows: cells in the plain forms
exports use) and hands the rest to its per-row Python path (`slow`), which stays the
definition of what a cell means; problems from both are put back in row order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import polars as pl

from audit.fastcsv import Block
from audit.findings import Problems, ref
from audit.readers import Source
from audit.scan import REPLACED, Record, Run, _progress

BATCH = 262_144
_PUNCTUATION = [" ", "+", "(", ")", "-"]
# Python's str.strip() removes these; a cell starting or ending with one is left to Python.
WS = r"[\s\x1c-\x1f]"
EMPTY_ROW = "empty row, skipped"
BAD_BYTES = "bytes not valid in the file's encoding (shown as �)"


def trimmed(name: str) -> pl.Expr:
    """The cell is what Python's strip() would leave (no surrounding whitespace)."""
    return ~pl.col(name).str.contains(f"^{WS}|{WS}$")


@dataclass(slots=True)
class Pending:
    """Problems of one batch, added to the run's in row order (and, within a row, in the
    order the per-row rules give them), so the examples shown are the first rows."""

    problems: Problems
    items: list[tuple[int, int, str]] = field(default_factory=list)
    seq: int = 100

    def add(self, reason: str, row_ref: int) -> None:  # the per-row rules' interface
        self.seq += 1
        self.items.append((row_ref, self.seq, reason))

    def many(self, reason: str, refs: list[int], rank: int) -> None:
        self.items += [(r, rank, reason) for r in refs]

    def flush(self) -> None:
        for row_ref, _, reason in sorted(self.items):
            self.problems.add(reason, row_ref)
        self.items.clear()
        self.seq = 100


OnBatch = Callable[[pl.DataFrame, Pending], None]


def scan_batches(run: Run, names: list[str], on_batch: OnBatch, *, progress: bool = True) -> None:
    """Feed `on_batch` frames with a `ref` column and one String column per name in `names`
    (raw cells, "" where the file has no such column or the row is short); empty rows and
    undecodable bytes are reported here."""
    pending = Pending(run.problems)
    for index, path in enumerate(run.paths):
        source, columns = run._open(path)
        present = [n for n in names if n in columns.index]
        width = max(columns.index.values()) + 1
        indices = [columns.index[n] for n in present]
        base = ref(index, 0)
        with _progress(source, enabled=progress) as advance:
            if source.blocks is not None:
                for block in source.blocks():
                    for start in range(0, block.frame.height, BATCH):
                        _emit_block(block, start, base, present, names, indices, on_batch,
                                    pending)
                        advance()
                    block.frame = block.frame.clear()  # its memory back before the next
            else:
                for numbers, batch in _chunks(source):
                    _emit(batch, numbers, base, present, names, indices, width, on_batch,
                          pending)
                    advance()
        run.notes += source.notes
        if columns.ignored:
            run.notes.append(f"{source.label}: columns not used: {', '.join(columns.ignored)}")


def _chunks(source: Source) -> Iterator[tuple[Sequence[int], list[list[str]]]]:
    if source.batches is not None:
        for first, rows in source.batches(BATCH):
            yield range(first, first + len(rows)), rows
        return
    batch: list[list[str]] = []
    numbers: list[int] = []
    for number, cells in source.rows:
        batch.append(cells)
        numbers.append(number)
        if len(batch) == BATCH:
            yield numbers, batch
            batch, numbers = [], []
    if batch:
        yield numbers, batch


def _emit(
    batch: list[list[str]], numbers: Sequence[int], base: int, present: list[str], names: list[str],
    indices: list[int], width: int, on_batch: OnBatch, pending: Pending,
) -> None:
    try:  # a column at a time, in C (map over itemgetter): no Python step a row
        picked = [list(map(itemgetter(i), batch)) for i in indices]
    except IndexError:  # short rows: pad them (a missing cell reads as empty)
        padded = [c if len(c) >= width else c + [""] * (width - len(c)) for c in batch]
        picked = [list(map(itemgetter(i), padded)) for i in indices]
    data: dict[str, Any] = {"ref": pl.Series(numbers, dtype=pl.Int64) + base}
    data.update(zip(present, picked, strict=True))
    frame = pl.DataFrame(data, schema={"ref": pl.Int64, **dict.fromkeys(present, pl.String)})
    frame = frame.with_columns(pl.lit("").alias(n) for n in names if n not in present)
    empty = [i for i in _blank_rows(frame, present) if not any(c.strip() for c in batch[i])]
    if empty:
        pending.many(EMPTY_ROW, [base + numbers[i] for i in empty], 0)
        keep = pl.Series(range(len(batch))).is_in(empty).not_()
        frame = frame.filter(keep)
    bad = pl.any_horizontal(pl.col(n).str.contains(REPLACED, literal=True) for n in present)
    pending.many(BAD_BYTES, frame.filter(bad)["ref"].to_list(), 0)
    on_batch(frame, pending)
    pending.flush()


def _emit_block(
    block: Block, start: int, base: int, present: list[str], names: list[str],
    indices: list[int], on_batch: OnBatch, pending: Pending,
) -> None:
    """`_emit` for rows polars has read: rows `start` … `start + BATCH` of the block."""
    part = block.frame.slice(start, BATCH)
    first = base + block.first + start
    frame = part.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first).alias("ref"),
        *[pl.col(f"c{i}").alias(n) for n, i in zip(present, indices, strict=True)],
        *[pl.lit("").alias(n) for n in names if n not in present],
    )
    cells = block.cells
    empty = [i for i in _blank_rows(frame, present) if not any(c.strip() for c in cells(start + i))]
    if empty:
        pending.many(EMPTY_ROW, [first + i for i in empty], 0)
        frame = frame.filter(pl.int_range(pl.len()).is_in(empty).not_())
    if block.replaced:
        bad = pl.any_horizontal(pl.col(n).str.contains(REPLACED, literal=True) for n in present)
        pending.many(BAD_BYTES, frame.filter(bad)["ref"].to_list(), 0)
    on_batch(frame, pending)
    pending.flush()


def _blank_rows(frame: pl.DataFrame, present: list[str]) -> list[int]:
    """The rows whose fields used are blank (what Python's strip() removes, \x1c-\x1f too):
    one column, then the next on the rows left. Whether the whole row is: the caller's."""
    maybe = frame.with_row_index("i")
    for name in present:
        maybe = maybe.filter(~pl.col(name).str.contains(f"[^{WS[1:-1]}]"))
    return maybe["i"].to_list()


def records(frame: pl.DataFrame, names: list[str]) -> list[tuple[int, Record]]:
    """The rows of `frame` as the per-row rules read them: stripped cells, the empty ones
    left out (like `rec.get(name)` being falsy)."""
    out = []
    for row in frame.select("ref", *names).iter_rows():
        out.append((row[0], {n: v.strip() for n, v in zip(names, row[1:], strict=True)}))
    return out


def region_groups(column: pl.Series) -> pl.Series:
    """Each raw region cell's code (as `region_code` gives it), "none" when it names none."""
    from audit import normalise as norm

    codes = {v: (norm.region_code(v.strip()) if v.strip() else None) or "none"
             for v in column.unique().to_list()}
    return column.replace_strict(codes, return_dtype=pl.String)


def kz_phones(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """`frame` with "plain_phone" (the cell is empty or a plainly written Kazakh mobile
    number: +7 / 8 / 7 and ten digits, or the ten alone, with spaces, brackets and dashes —
    the case `normalise.phone` decides by the five-digit range) and "national" (its ten
    digits). The digits are a column first: an expression reused is evaluated anew."""
    cell = pl.col(name)
    digits = pl.col("_digits")
    plus = cell.str.starts_with("+")
    size, first = digits.str.len_bytes(), digits.str.slice(0, 1)
    national = (
        pl.when((size == 11) & ((first == "7") | ((first == "8") & ~plus)))
        .then(digits.str.slice(1))
        .when((size == 10) & ~plus)
        .then(digits)
        .otherwise(None)
    )
    plain = cell.str.contains(r"^[0-9+()\-][0-9 +()\-]*$") & pl.col("national").str.starts_with("7")
    return (frame.lazy()
            .with_columns(cell.str.replace_many(_PUNCTUATION, [""] * 5).alias("_digits"))
            .with_columns(national.alias("national"))
            .with_columns(((cell == "") | plain.fill_null(False)).alias("plain_phone"))
            .drop("_digits").collect())


def phone_keys(frame: pl.DataFrame, national: str) -> pl.Series:
    """E.164 digits as an int for valid national numbers, null for invalid ones."""
    from audit import normalise as norm

    prefixes = frame[national].drop_nulls().str.slice(0, 5).unique().to_list()
    valid = [p for p in prefixes if norm._kz_range_valid(p)]
    number = pl.col(national)
    return frame.select(
        pl.when(number.str.slice(0, 5).is_in(valid)).then(("7" + number).cast(pl.Int64))
    ).to_series()


_W1 = list(range(1, 12))
_W2 = [*range(3, 12), 1, 2]


def iin_valid(frame: pl.DataFrame, name: str, today: dt.date) -> pl.Series:
    """For cells of twelve ASCII digits: the IIN is a person's (century digit 1-6, a real
    birth date not after `today`, the check digit) — what `iin_problem` returns None for.
    Integer arithmetic on the number and its digits, each a column once."""
    number = pl.col(name).cast(pl.Int64, strict=False)
    digits = frame.select([((number // 10 ** (11 - i)) % 10).alias(f"d{i}") for i in range(12)])
    d = [pl.col(f"d{i}") for i in range(12)]
    first = sum(x * w for x, w in zip(d, _W1, strict=False)) % 11
    second = sum(x * w for x, w in zip(d, _W2, strict=False)) % 11
    century = d[6]
    year = (1800 + 100 * ((century - 1) // 2)) + d[0] * 10 + d[1]
    month, day = d[2] * 10 + d[3], d[4] * 10 + d[5]
    staged = digits.with_columns(pl.when(first == 10).then(second).otherwise(first).alias("check"),
                                 year.alias("year"), month.alias("month"), day.alias("day"))
    year, month, day, check = pl.col("year"), pl.col("month"), pl.col("day"), pl.col("check")
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = (pl.when(month == 2).then(pl.when(leap).then(29).otherwise(28))
            .when(month.is_in([4, 6, 9, 11])).then(30).otherwise(31))
    born = year * 10_000 + month * 100 + day
    return staged.select((
        (century >= 1) & (century <= 6) & (month >= 1) & (month <= 12) & (day >= 1)
        & (day <= days) & (born <= today.year * 10_000 + today.month * 100 + today.day)
        & (check != 10) & (check == d[11])
    ).fill_null(False)).to_series()

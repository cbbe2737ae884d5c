"""Reading every file of a run: columns matched, rows streamed to a rule's accumulator with a
progress bar on stderr, empty rows counted, and a second pass that fetches only the rows the
findings name (evidence, regions), so no file is ever held in memory."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from audit.columns import Columns, match_columns
from audit.findings import Problems, ref
from audit.readers import Source
from audit.xlsx import SheetScan, open_source

Record = dict[str, str]
REPLACED = "\ufffd"  # what the CSV reader puts for bytes its encoding cannot read
Fields = dict[str, tuple[str, ...]]


@dataclass(slots=True)
class Layout:
    """What a kind of file must hold: its fields and the groups of which one is required."""

    fields: Fields
    required: list[tuple[str, ...]]

    def accepts(self, headers: list[str]) -> bool:
        try:
            match_columns(headers, self.fields, self.required, "")
        except Exception:
            return False
        return True


@dataclass(slots=True)
class Run:
    """The files of one command: their labels (for row references), notes and problems."""

    paths: list[Path]
    layout: Layout
    sheet: str | None = None
    labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    scans: dict[tuple[Path, str], SheetScan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [p.name for p in self.paths]
        self.labels = names if len(set(names)) == len(names) else [str(p) for p in self.paths]

    def _open(self, path: Path) -> tuple[Source, Columns]:
        source = open_source(path, self.layout.accepts, self.sheet, self.scans)
        where = f"{source.label}, header row {source.header_row}"
        columns = match_columns(source.headers, self.layout.fields, self.layout.required, where)
        return source, columns

    def check(self) -> None:
        """Open every file's header before reading any row: a bad file fails the run early."""
        for path in self.paths:
            source, _ = self._open(path)
            source.rows.close()

    def scan(self, on_row: Callable[[int, Record], None], *, progress: bool = True) -> None:
        for index, path in enumerate(self.paths):
            source, columns = self._open(path)
            with _progress(source, enabled=progress) as advance:
                for number, record in _records(source, columns):
                    row_ref = ref(index, number)
                    if record is None:
                        self.problems.add("empty row, skipped", row_ref)
                    else:
                        if any(REPLACED in value for value in record.values()):
                            self.problems.add(
                                "bytes not valid in the file's encoding (shown as �)", row_ref
                            )
                        on_row(row_ref, record)
                    if number % 4096 == 0:
                        advance()
            self.notes += source.notes
            if columns.ignored:
                self.notes.append(f"{source.label}: columns not used: {', '.join(columns.ignored)}")

    def fetch(self, wanted: set[int]) -> dict[int, Record]:
        """The records of these row references, from a second pass over the files."""
        found: dict[int, Record] = {}
        for index, path in enumerate(self.paths):
            if not any(r // (1 << 40) == index for r in wanted):
                continue
            source, columns = self._open(path)
            items = list(columns.index.items())
            base = ref(index, 0)
            for number, cells in _wanted_rows(source, {r - base for r in wanted}):
                width = len(cells)
                found[base + number] = {
                    name: cells[i].strip() if i < width else "" for name, i in items
                }
        return found


def _wanted_rows(source: Source, numbers: set[int]) -> Iterator[tuple[int, list[str]]]:
    """The rows with these numbers; a CSV's batches are skipped whole when none is wanted."""
    ordered = sorted(numbers)
    if source.blocks is not None:
        for block in source.blocks():
            start = bisect.bisect_left(ordered, block.first)
            stop = bisect.bisect_left(ordered, block.first + block.frame.height)
            if start < stop:
                picked = block.frame[[n - block.first for n in ordered[start:stop]]]
                yield from zip(ordered[start:stop], map(list, picked.iter_rows()), strict=True)
        return
    if source.batches is None:
        yield from ((n, cells) for n, cells in source.rows if n in numbers)
        return
    for first, rows in source.batches(65_536):
        start = bisect.bisect_left(ordered, first)
        stop = bisect.bisect_left(ordered, first + len(rows))
        for number in ordered[start:stop]:
            yield number, rows[number - first]


def _records(source: Source, columns: Columns) -> Iterator[tuple[int, Record | None]]:
    items = list(columns.index.items())
    for number, cells in source.rows:
        if not any(c.strip() for c in cells):
            yield number, None
            continue
        width = len(cells)
        yield number, {name: cells[i].strip() if i < width else "" for name, i in items}


@contextmanager
def _progress(source: Source, *, enabled: bool) -> Iterator[Callable[[], None]]:
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
        TimeRemainingColumn(), console=console, transient=True,
        disable=not (enabled and console.is_terminal),
    )
    with bar:
        task = bar.add_task(source.label, total=source.total or None)

        def advance() -> None:
            bar.update(task, completed=source.position())

        yield advance

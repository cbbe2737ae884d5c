"""`shagym analyse`: JSON lines in, JSON lines out; bad lines get a one-line error each."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import IO, Any

from intake.analyse import analyse

# A JSON line with 1 MB of Cyrillic escaped as \uXXXX is ~6 M characters; analysis reads the
# first 200,000 characters of the text anyway.
MAX_LINE_CHARS = 8_000_000
# A file is read this many lines at a time when its texts are shared between processes: the
# memory a batch holds stays bounded, whatever the file's size.
BATCH_LINES = 20_000
# One encoder for every line: `json.dumps` with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def analyse_one(text: str) -> dict[str, Any]:
    return analyse(text).as_json()


def _line_result(number: int, line: str) -> dict[str, Any]:
    if len(line) > MAX_LINE_CHARS:
        return {"line": number, "error": f"line is longer than {MAX_LINE_CHARS} characters"}
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"not JSON: {exc.msg}"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"line": number, "error": 'expected an object with a string "text" field'}
    result = analyse_one(item["text"])
    if "id" in item:
        result = {"id": item["id"], **result}
    return result


def result_lines(numbered: Iterable[tuple[int, str]]) -> Iterator[str]:
    """The output line of each numbered input line; blank lines have none."""
    for number, line in numbered:
        if line.strip():
            yield _ENCODE(_line_result(number, line)) + "\n"


def analyse_lines(source: IO[str], sink: IO[str], jobs: int = 1) -> None:
    """Every line of `source` analysed to `sink`, in order. With `jobs` > 1 a large input is
    shared between that many processes (`shagym.analyse_parallel`); the output is the same."""
    from shagym.analyse_parallel import write_shared

    numbered = enumerate(source, start=1)
    with _progress() as advance:
        if jobs > 1:
            while batch := list(islice(numbered, BATCH_LINES)):
                write_shared(batch, sink, jobs)
                advance(len(batch))
        else:
            for line in result_lines(numbered):
                sink.write(line)
                advance(1)
    sink.flush()


@contextmanager
def _progress() -> Iterator[Callable[[int], None]]:
    """A count of analysed texts on a terminal's stderr; elsewhere (a pipe, a log) nothing,
    and rich (~30 ms to import) is not imported."""
    if not sys.stderr.isatty():
        yield lambda _: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("analysed {task.completed} texts"),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task("analyse", total=None)
        yield lambda count: progress.advance(task, count)

"""`shagym analyse`: JSON lines in, JSON lines out; bad lines get a one-line error each."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from intake.analyse import analyse

# A JSON line with 1 MB of Cyrillic escaped as \uXXXX is ~6 M characters; analysis reads the
# first 200,000 characters of the text anyway.
MAX_LINE_CHARS = 8_000_000


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


def analyse_lines(source: IO[str], sink: IO[str]) -> None:
    # Imported here: one text (`--text`) shows no progress, and rich costs ~50 ms to import.
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    show_progress = sys.stderr.isatty()
    with Progress(
        SpinnerColumn(),
        TextColumn("analysed {task.completed} texts"),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("analyse", total=None)
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            sink.write(json.dumps(_line_result(number, line), ensure_ascii=False) + "\n")
            progress.advance(task)
    sink.flush()

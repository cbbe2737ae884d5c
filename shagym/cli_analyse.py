"""`shagym analyse`: texts in, region, district, category, language and entities out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from shagym.errors import CliError, friendly

app = typer.Typer()


@app.command()
@friendly
def analyse(
    file: Annotated[
        Path | None, typer.Argument(help="JSON lines with a `text` field; stdin when omitted.")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Analyse this one text instead.")
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            help="Processes sharing a file's texts (0: one per CPU; 1: this process only). "
            "The output is the same either way.",
        ),
    ] = 0,
) -> None:
    """Analyse texts: region, district, category, language, confidence, entities (JSON lines)."""
    from shagym.analyse_cli import analyse_lines, analyse_one

    if text is not None:
        print(json.dumps(analyse_one(text), ensure_ascii=False))  # noqa: T201
        return
    from shagym.analyse_parallel import usable_cpus

    if file is not None and not file.is_file():
        raise CliError(f"no such file: {file}")
    if jobs < 0:
        raise CliError("--jobs must be 0 (one per CPU) or more")
    if file is None:  # stdin may be a stream: each result as soon as its line arrives
        analyse_lines(sys.stdin, sys.stdout)
        return
    with file.open("r", encoding="utf-8", errors="replace") as source:
        analyse_lines(source, sys.stdout, jobs or usable_cpus())

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
) -> None:
    """Analyse texts: region, district, category, language, confidence, entities (JSON lines)."""
    from shagym.analyse_cli import analyse_lines, analyse_one

    if text is not None:
        print(json.dumps(analyse_one(text), ensure_ascii=False))  # noqa: T201
        return
    if file is not None and not file.is_file():
        raise CliError(f"no such file: {file}")
    with file.open("r", encoding="utf-8", errors="replace") if file else sys.stdin as source:
        analyse_lines(source, sys.stdout)

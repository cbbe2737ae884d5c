"""`shagym ingest-eml FILE...` and `shagym mail quarantine list|replay`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from core.settings import load_settings
from shagym.errors import CliError, friendly
from shagym.store import open_store

mail_app = typer.Typer(help="The email channel.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Mail that could not be processed, kept raw with the error.", no_args_is_help=True
)
mail_app.add_typer(quarantine_app, name="quarantine")
ingest_app = typer.Typer()  # `shagym ingest-eml`, a top-level command
PROGRESS_FROM = 20  # inputs; fewer finish before a bar would be worth drawing


def _line(record: Mapping[str, object]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _progress(total: int) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=total < PROGRESS_FROM or not console.is_terminal,
    )


async def _ingest(files: list[Path], acknowledge: bool) -> dict[str, int]:
    from mail_ingest.config import ingest_settings
    from mail_ingest.files import expand, ingest_files
    from shagym.runner import load_commissions

    settings = load_settings()
    inputs = list(expand(files))
    counts: dict[str, int] = {}
    async with open_store(settings) as (_, sessions):
        await load_commissions(settings, sessions)
        config = ingest_settings(settings, acknowledge=acknowledge)
        with _progress(len(inputs)) as progress:
            task = progress.add_task("ingest", total=len(inputs))
            seen: set[Path] = set()
            async for result in ingest_files(sessions, inputs, config):
                _line(result.as_json())
                counts[result.status] = counts.get(result.status, 0) + 1
                if result.path not in seen:
                    seen.add(result.path)
                    progress.advance(task)
    return counts


@ingest_app.command("ingest-eml")
@friendly
def ingest_eml(
    files: Annotated[
        list[Path],
        typer.Argument(help=".eml files, mbox exports, or folders of them (read recursively)."),
    ],
    ack: Annotated[
        bool,
        typer.Option(
            "--ack/--no-ack", help="Acknowledge new cases as mail from IMAP would be (default)."
        ),
    ] = True,
) -> None:
    """Ingest stored messages through the IMAP code path; one JSON line per message:
    file, status (created|appended|duplicate|ignored|quarantined), case, reason."""
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    counts = asyncio.run(_ingest(files, ack))
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    typer.echo(f"ingested: {summary or 'nothing'}", err=True)


@quarantine_app.command("list")
@friendly
def quarantine_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List quarantined messages with the error that put them there."""
    from mail_ingest.quarantine import list_quarantine

    async def _go() -> list:  # type: ignore[type-arg]
        async with open_store(load_settings()) as (_, sessions):
            return await list_quarantine(sessions)

    entries = asyncio.run(_go())
    if as_json:
        for entry in entries:
            _line(entry.as_json())
        return
    if not entries:
        typer.echo("the quarantine is empty")
        return
    for entry in entries:
        when = entry.received.strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{entry.id:>6}  {when}  {entry.size:>9} B  {entry.reason or ''}")


@quarantine_app.command("replay")
@friendly
def quarantine_replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Quarantined message ids; all when omitted.")
    ] = None,
) -> None:
    """Run quarantined messages through the ingest again; one JSON line per message."""
    from mail_ingest.config import ingest_settings
    from mail_ingest.quarantine import replay
    from shagym.runner import load_commissions

    settings = load_settings()

    async def _go() -> list:  # type: ignore[type-arg]
        async with open_store(settings) as (_, sessions):
            await load_commissions(settings, sessions)
            return await replay(sessions, ingest_settings(settings), ids or [])

    results = asyncio.run(_go())
    for result in results:
        _line(result.as_json())
    if any(result.status == "missing" for result in results):
        raise typer.Exit(1)

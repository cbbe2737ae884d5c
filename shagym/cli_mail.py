"""`shagym ingest-eml FILE...`, `shagym mail quarantine list|replay` and
`shagym mail ignored list|show|promote`."""

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
ignored_app = typer.Typer(
    help="Mail from robots and lists that opened no case, kept raw with the reason.",
    no_args_is_help=True,
)
mail_app.add_typer(ignored_app, name="ignored")
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


@ignored_app.command("list")
@friendly
def ignored_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List ignored messages (auto-replies, list mail, our own mail, delivery reports) with the
    reason each opened no case."""
    from mail_ingest.ignored import list_ignored

    async def _go() -> list:  # type: ignore[type-arg]
        async with open_store(load_settings()) as (_, sessions):
            return await list_ignored(sessions)

    entries = asyncio.run(_go())
    if as_json:
        for entry in entries:
            _line(entry.as_json())
        return
    if not entries:
        typer.echo("no ignored mail")
        return
    for entry in entries:
        when = entry.received.strftime("%Y-%m-%d %H:%M")
        about = f" [{entry.case}]" if entry.case else ""
        typer.echo(
            f"{entry.id:>6}  {when}  {entry.size:>9} B  {entry.sha256[:12]}  "
            f"{entry.reason or ''}{about}"
        )


@ignored_app.command("show")
@friendly
def ignored_show(
    inbound_id: Annotated[int, typer.Argument(metavar="ID", help="An id from `ignored list`.")],
) -> None:
    """Write an ignored message's raw bytes (RFC 822) to stdout, to decide whether to promote
    it; the read is recorded in the audit log."""
    import getpass

    from mail_ingest.ignored import read_raw

    async def _go() -> bytes | None:
        async with open_store(load_settings()) as (_, sessions):
            return await read_raw(sessions, inbound_id, actor=f"cli:{getpass.getuser()}")

    raw = asyncio.run(_go())
    if raw is None:
        raise CliError(f"no ignored message with id {inbound_id}")
    sys.stdout.buffer.write(raw)
    sys.stdout.flush()


@ignored_app.command("promote")
@friendly
def ignored_promote(
    inbound_id: Annotated[int, typer.Argument(metavar="ID", help="An id from `ignored list`.")],
    ack: Annotated[
        bool,
        typer.Option("--ack/--no-ack", help="Acknowledge the new case as arriving mail would."),
    ] = True,
) -> None:
    """A person decided this ignored message is a real report: it becomes a case (or the
    follow-up it was) exactly as if it had arrived from a person. One JSON line; promoting
    again changes nothing."""
    import getpass

    from mail_ingest.config import ingest_settings
    from mail_ingest.ignored import promote
    from shagym.runner import load_commissions

    settings = load_settings()

    async def _go():  # type: ignore[no-untyped-def]
        async with open_store(settings) as (_, sessions):
            await load_commissions(settings, sessions)
            config = ingest_settings(settings, acknowledge=ack)
            return await promote(sessions, config, inbound_id, actor=f"cli:{getpass.getuser()}")

    result = asyncio.run(_go())
    if result.status == "missing":
        raise CliError(f"no stored message with id {inbound_id}")
    _line(result.as_json())
    if result.status == "failed":
        raise typer.Exit(1)

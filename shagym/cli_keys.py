"""`shagym keys new|status|rotate`: the data keys of encryption at rest."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Annotated

import typer

from core.crypto import key_id, new_key_text, parse_key
from core.keys import write_key_lines
from core.settings import load_settings
from shagym.errors import friendly
from shagym.store import open_store

app = typer.Typer(help="Data keys: make a new one, see which are in use, re-encrypt.")


@app.command("new")
@friendly
def new(
    print_only: Annotated[
        bool, typer.Option("--print", help="only print a fresh key (e.g. for HASH_KEY)")
    ] = False,
) -> None:
    """Make a new data key, first in the ring; the old ones stay readable until `rotate`."""
    key = new_key_text()
    settings = load_settings()
    if print_only or settings.DATA_KEY is not None:
        typer.echo(key)
        if not print_only:
            typer.echo(
                f"new data key {key_id(parse_key(key))}: put it first in DATA_KEY, the old "
                "keys after it (comma-separated), restart, then run `shagym keys rotate`",
                err=True,
            )
        return
    path = settings.data_key_file
    old = settings.data_keys()  # creates the file of a local run that had none
    write_key_lines(path, [key, *old])
    typer.echo(
        f"new data key {key_id(parse_key(key))} written first in {path}; "
        f"{len(old)} older key(s) stay readable; run `shagym keys rotate`",
        err=True,
    )


def _summary(counts: dict[str, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    return total


@app.command("status")
@friendly
def status() -> None:
    """The keys of the ring and how many values and files each one still encrypts."""
    from models.rekey import attachment_files, count_keys, file_key

    settings = load_settings()
    ring = settings.keyring()

    async def _go() -> Counter[str]:
        async with open_store(settings) as (_, sessions), sessions() as session:
            return _summary(await count_keys(session))

    values = asyncio.run(_go())
    files = Counter(file_key(p) for p in attachment_files(settings.ATTACHMENTS_DIR))
    for position, kid in enumerate(ring.key_ids):
        role = "encrypts" if position == 0 else "readable"
        typer.echo(f"{kid}  {role:8}  {values.get(kid, 0)} values, {files.get(kid, 0)} files")
    for kid in sorted((set(values) | set(files)) - set(ring.key_ids)):
        label = "plain (before encryption)" if kid == "plain" else "MISSING from DATA_KEY"
        typer.echo(f"{kid:8}  {label}: {values.get(kid, 0)} values, {files.get(kid, 0)} files")


@app.command("rotate")
@friendly
def rotate() -> None:
    """Re-encrypt every value and file under the first key, in batches; safe to kill and
    run again."""
    from models.rekey import rotate_files, rotate_rows

    settings = load_settings()
    ring = settings.keyring()

    def progress(column: str, n: int) -> None:
        typer.echo(f"{column}: {n} re-encrypted", err=True)

    async def _go() -> int:
        async with open_store(settings) as (_, sessions):
            return await rotate_rows(sessions, ring, progress)

    rows = asyncio.run(_go())
    files = rotate_files(settings.ATTACHMENTS_DIR, ring)
    old = ", ".join(ring.key_ids[1:]) or "none"
    typer.echo(
        f"done: {rows} values and {files} files re-encrypted; everything is under "
        f"{ring.primary_id}; no longer needed: {old}"
    )

"""`shagym backup PATH` and `shagym restore PATH`: the store, evidence and key files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.settings import load_settings
from shagym.errors import friendly

backup_app = typer.Typer()
restore_app = typer.Typer()


@backup_app.command()
@friendly
def backup(path: Annotated[Path, typer.Argument(help="the backup file to write")]) -> None:
    """Back up the store, the evidence files and the hash and receipt keys, encrypted under
    the data key (which is not in the backup: keep it apart)."""
    from shagym.backup import backup as run_backup

    settings = load_settings()
    files = run_backup(settings, path)
    typer.echo(f"backed up the store and {files} evidence files to {path}")


@restore_app.command()
@friendly
def restore(path: Annotated[Path, typer.Argument(help="a file `shagym backup` wrote")]) -> None:
    """Restore a backup into an empty store (DATABASE_URL) and ATTACHMENTS_DIR."""
    from shagym.backup import restore as run_restore

    settings = load_settings()
    files = asyncio.run(run_restore(settings, path))
    typer.echo(f"restored the store and {files} evidence files from {path}")

"""`shagym privacy purge`: erase what is past retention (RETENTION_DAYS after closing)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from core.settings import load_settings
from shagym.errors import friendly
from shagym.store import open_store

app = typer.Typer(help="Privacy: erase personal data past retention.", no_args_is_help=True)


@app.command("purge")
@friendly
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only say what would go")] = False,
) -> None:
    """Erase the personal data of cases closed more than RETENTION_DAYS ago, and old
    quarantined or ignored mail; the cases keep their statistics."""
    from intake.retention import purge_store
    from models.types import utcnow

    settings = load_settings()

    async def _go() -> str:
        async with open_store(settings) as (_, sessions):
            done = await purge_store(
                sessions, now=utcnow(), days=settings.RETENTION_DAYS,
                attachments_dir=settings.ATTACHMENTS_DIR, dry_run=dry_run,
            )  # fmt: skip
        return done.summary() + (": " + ", ".join(done.cases) if done.cases else "")

    summary = asyncio.run(_go())
    typer.echo(("would erase " if dry_run else "erased ") + summary)

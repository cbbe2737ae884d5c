"""`shagym run`: the service, every configured loop or the ones named."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from core.logs import configure_logging
from core.settings import load_settings
from shagym.errors import CliError, friendly

app = typer.Typer()
LOOPS = ("bot", "mail", "outbox", "digests", "retention", "web")


@app.command()
@friendly
def run(
    only: Annotated[
        str | None, typer.Option(help=f"Comma-separated loops to start: {','.join(LOOPS)}.")
    ] = None,
) -> None:
    """Start the service: migrate, load commissions, then run every configured loop."""
    from shagym.runner import run_service

    wanted = set(LOOPS)
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        unknown = wanted - set(LOOPS)
        if unknown:
            raise CliError(
                f"unknown loop(s) {', '.join(sorted(unknown))}; choose from {', '.join(LOOPS)}"
            )
    settings = load_settings()
    configure_logging(settings.LOG_LEVEL)
    try:
        asyncio.run(run_service(settings, wanted))
    except KeyboardInterrupt:
        logging.getLogger("shagym").info("stopped")

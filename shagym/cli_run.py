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
# The names for two roles: "notify" delivers the outbox, "digest" owes the digests.
ALIASES = {"notify": "outbox", "digest": "digests"}


def wanted_loops(only: str | None) -> set[str]:
    """The loops `--only` names (every loop without it); aliases resolved, unknown refused."""
    if not only:
        return set(LOOPS)
    names = {name.strip().lower() for name in only.split(",") if name.strip()}
    wanted = {ALIASES.get(name, name) for name in names}
    unknown = wanted - set(LOOPS)
    if unknown or not wanted:
        named = ", ".join(sorted(unknown)) or repr(only)
        raise CliError(f"unknown loop(s) {named}; choose from {', '.join([*LOOPS, *ALIASES])}")
    return wanted


@app.command()
@friendly
def run(
    only: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated roles to start: {','.join(LOOPS)} (each may run in "
            "several processes against one PostgreSQL)."
        ),
    ] = None,
) -> None:
    """Start the service: migrate, load commissions, then run every configured loop."""
    from shagym.runner import run_service

    wanted = wanted_loops(only)
    settings = load_settings()
    configure_logging(settings.LOG_LEVEL)
    try:
        asyncio.run(run_service(settings, wanted))
    except KeyboardInterrupt:
        logging.getLogger("shagym").info("stopped")

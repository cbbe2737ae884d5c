"""`shagym web`: the web console alone (the same as `shagym run --only web`)."""

from __future__ import annotations

import asyncio
import logging

import typer

from core.logs import configure_logging
from core.settings import load_settings
from shagym.errors import CliError, friendly

app = typer.Typer()


@app.command()
@friendly
def web() -> None:
    """Serve the web console on WEB_HOST:WEB_PORT (migrates and loads commissions first)."""
    from shagym.runner import run_service

    settings = load_settings()
    if settings.WEB_SECRET_KEY is None and not settings.web_on_loopback:
        raise CliError(
            f"WEB_SECRET_KEY is required when WEB_HOST is {settings.WEB_HOST} (not loopback); "
            "set a long random value (openssl rand -hex 32) in the environment or .env"
        )
    configure_logging(settings.LOG_LEVEL)
    try:
        asyncio.run(run_service(settings, {"web"}))
    except KeyboardInterrupt:
        logging.getLogger("shagym").info("stopped")

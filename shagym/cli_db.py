"""`shagym db upgrade`: the case store's schema."""

from __future__ import annotations

import asyncio

import typer

from core.settings import load_settings
from shagym.errors import friendly

app = typer.Typer(help="The case store's schema.", no_args_is_help=True)


@app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply every pending migration to DATABASE_URL."""
    from core.crypto import install_keyring
    from models.db import create_engine
    from models.migrate import current_revision, upgrade

    settings = load_settings()
    # Migration 0009 encrypts the rows already stored: it needs the keys.
    install_keyring(settings.keyring())

    async def _go() -> str | None:
        engine = create_engine(settings.DATABASE_URL)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(_go())
    typer.echo(f"database is at revision {revision}")

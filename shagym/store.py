"""Opening the store for the CLI and the runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from core.crypto import install_keyring
from core.settings import Settings
from models.db import SessionFactory, create_engine, create_session_factory
from models.migrate import upgrade


@asynccontextmanager
async def open_store(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[tuple[AsyncEngine, SessionFactory]]:
    # The composition root installs the keyring the column types encrypt with (core.crypto):
    # before the store is opened, so a deployment without keys stops before touching it.
    install_keyring(settings.keyring())
    engine = create_engine(settings.DATABASE_URL)
    try:
        if migrate:
            await upgrade(engine)
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()

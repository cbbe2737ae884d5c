"""Alembic, driven from code: `shagym db upgrade`, `shagym run` and the tests use this."""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("models") / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _run(connection: Any, action: str, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    getattr(command, action)(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await serialise(conn, "shagym:migrate")
        await conn.run_sync(_run, "upgrade", revision)


async def serialise(conn: Any, name: str) -> None:
    """On PostgreSQL, one transaction at a time past this point for `name` (until it ends):
    every role's process migrates on start, and several starting at once on a fresh store
    must not all create the same tables. SQLite's BEGIN IMMEDIATE serialises already."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        from models.leader import lock_key

        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _get(connection: Any) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_get)

"""Alembic environment over SQLModel.metadata; the connection is handed in by models.migrate."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on the metadata)
from models.db import create_engine
from models.search import include_object

config = context.config
target_metadata = SQLModel.metadata


def _run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )


async def _run_online() -> None:
    engine = create_engine(_url())
    async with engine.begin() as conn:
        await conn.run_sync(_run_with)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run_with(connection)
elif context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())

"""Every role's process migrates the store and loads the commissions when it starts: several
starting at once on a fresh store all start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlmodel import func, select

from core.settings import load_settings
from models.db import create_engine, create_session_factory
from models.migrate import alembic_config, current_revision, upgrade
from models.tables import Commission
from shagym.runner import load_commissions

ROOT = Path(__file__).resolve().parent.parent


async def test_it_starts_three_processes_at_once_on_a_fresh_store(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        DATABASE_URL=database_url,
        ATTACHMENTS_DIR=tmp_path,
        COMMISSIONS_FILE=ROOT / "config" / "commissions.example.toml",
    )
    engines = [create_engine(database_url) for _ in range(3)]

    async def start(engine) -> None:  # type: ignore[no-untyped-def]
        await upgrade(engine)
        await load_commissions(settings, create_session_factory(engine))

    try:
        await asyncio.gather(*(start(engine) for engine in engines))
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert await current_revision(engines[0]) == head
        async with create_session_factory(engines[0])() as session:
            count = (await session.exec(select(func.count()).select_from(Commission))).one()
        assert count == 21
    finally:
        for engine in engines:
            await engine.dispose()

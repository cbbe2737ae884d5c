"""Shared fixtures: a fresh store per test on SQLite, and on PostgreSQL when one is reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.crypto import Keyring, install_keyring
from intake.cases import IntakeContext
from intake.commissions import read_file, sync_commissions
from models.db import SessionFactory, create_engine, create_session_factory
from models.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_COMMISSIONS = ROOT / "config" / "commissions.example.toml"
PG_ADMIN_URL = os.environ.get("SHAGYM_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _pg_reachable() -> str | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""), timeout=3)
        await conn.close()
        return None
    except Exception as exc:  # any failure means "no PostgreSQL here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {exc}"


_PG_SKIP: list[str | None] = []


async def pg_skip_reason() -> str | None:
    """Why PostgreSQL tests are skipped here, or None when a server answers (checked once)."""
    if not _PG_SKIP:
        _PG_SKIP.append(await _pg_reachable())
    return _PG_SKIP[0]


async def _create_pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"shagym_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# The tests' composition root installs a keyring, as `shagym.store.open_store` does for a run.
TEST_KEYRING = Keyring((bytes(range(32)),), bytes(range(32, 64)))


@pytest.fixture(autouse=True)
def keyring() -> Keyring:
    install_keyring(TEST_KEYRING)
    return TEST_KEYRING


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A throwaway database: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shagym.db'}"
        return
    reason = await pg_skip_reason()
    if reason:
        pytest.skip(reason)
    name, url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'shagym.db'}"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated store with the example commissions loaded."""
    engine = create_engine(database_url)
    await upgrade(engine)
    factory = create_session_factory(engine)
    async with factory() as session:
        await sync_commissions(session, read_file(EXAMPLE_COMMISSIONS))
        await session.commit()
    yield factory
    await engine.dispose()


@pytest.fixture
def intake_ctx(tmp_path: Path) -> IntakeContext:
    return IntakeContext(attachments_dir=tmp_path / "attachments", zone=ZoneInfo("Asia/Almaty"))

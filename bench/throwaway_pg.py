"""A throwaway PostgreSQL database for one benchmark run (the benchmarks skip PostgreSQL when
no server answers). Imported by the bench scripts, which run with bench/ on sys.path."""

from __future__ import annotations

import os
import uuid

PG_ADMIN = os.environ.get("SHAGYM_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def create_database() -> tuple[str, str] | None:
    """(name, URL) of a new empty database, or None when no server answers."""
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", ""), timeout=3)
    except Exception:  # no server: PostgreSQL is skipped
        return None
    name = f"shagym_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", ""))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()

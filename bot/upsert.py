"""INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect_insert(session: AsyncSession, table: type) -> Any:
    assert session.bind is not None, "the session is bound to the store's engine"
    module = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return module.insert(table)


async def upsert(
    session: AsyncSession,
    table: type,
    values: dict[str, Any],
    keys: tuple[str, ...],
    update: tuple[str, ...] | None = None,
) -> None:
    """Insert `values`, or set the columns named in `update` (default: all but `keys`) of the
    row with the same `keys`."""
    statement = dialect_insert(session, table).values(**values)
    names = update if update is not None else [n for n in values if n not in keys]
    changes = {name: statement.excluded[name] for name in names}
    await session.exec(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))

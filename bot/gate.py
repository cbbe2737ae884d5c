"""One store transaction at a time from the bot, on SQLite.

The store begins every SQLite transaction with BEGIN IMMEDIATE, so a transaction that only
reads still holds the one write lock. Several at once from the same process would make all
but one wait in SQLite's busy handler, which sleeps in steps of up to 100 ms; an asyncio lock
queues them instead, in order and without sleeping. PostgreSQL needs no gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class GatedSessions:
    """A session factory whose sessions, on SQLite, take turns (see the module docstring).

    Never open a second session, or wait on the FSM storage or the batch writer, while one is
    open: the gate is not re-entrant.
    """

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        bind = getattr(factory, "kw", {}).get("bind")
        is_sqlite = bind is not None and bind.dialect.name == "sqlite"
        self.gate: asyncio.Lock | None = asyncio.Lock() if is_sqlite else None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        if self.gate is None:
            async with self.factory() as session:
                yield session
            return
        async with self.gate, self.factory() as session:
            yield session


def gated(factory: Any) -> GatedSessions:
    return factory if isinstance(factory, GatedSessions) else GatedSessions(factory)

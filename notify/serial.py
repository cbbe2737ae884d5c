"""On SQLite, one worker's transactions one at a time, queued in the event loop.

Every write transaction on SQLite takes the database's single write lock (`BEGIN
IMMEDIATE`). The worker's claim, load and settle transactions run concurrently from its lanes,
each on a pooled connection with a thread of its own, so two of them asking for the lock at
once left one to SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries: on the
outbox benchmark a BEGIN took ~7 ms on average, most of it asleep. Queued on an asyncio lock
instead, the next transaction starts the moment the last one commits.

Only the worker's own sessions are queued (none of them opens another while it is open);
other components and processes still meet it at SQLite's lock. PostgreSQL is left alone: its
transactions overlap without waiting for one another.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, cast

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import SessionFactory


class QueuedSession(AsyncSession):
    """A session that holds its factory's lock from `async with` to its end."""

    def __init__(self, *args: Any, queue: asyncio.Lock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue = queue

    async def __aenter__(self) -> QueuedSession:
        await self._queue.acquire()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(kind, exc, traceback)
        finally:
            self._queue.release()


def queued(sessions: SessionFactory) -> SessionFactory:
    """`sessions` whose transactions wait for one another in this process (on SQLite only;
    the sessions must be used as `async with`, and none opened inside another)."""
    bind = getattr(sessions, "kw", {}).get("bind")  # (a test's stand-in has none)
    if bind is None or bind.dialect.name != "sqlite":
        return sessions
    kwargs = {**sessions.kw, "queue": asyncio.Lock()}
    return cast(SessionFactory, async_sessionmaker(class_=QueuedSession, **kwargs))

"""On SQLite, one worker's transactions one at a time, queued in the event loop.

Every write transaction on SQLite takes the database's single write lock (`BEGIN
IMMEDIATE`). The worker's claim, load and settle transactions run concurrently from its lanes,
each on a pooled connection with a thread of its own, so two of them asking for the lock at
once left one to SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries: on the
outbox benchmark a BEGIN took ~7 ms on average, most of it asleep. Queued on an asyncio lock
instead, the next transaction starts the moment the last one commits.

The queue is the engine's, in each event loop: the worker and the mail loop of one process
(`shagym run --only mail,outbox`) queue on the same lock, so ingest's batch and the outbox's
claims and settles hand the write lock to one another at once. Only sessions whose code opens
no other while one is open are queued (the worker's; the mail loop's: stored positions, one
transaction per batch, the moves); other components and processes still meet them at SQLite's
lock. PostgreSQL is left alone: its transactions overlap without waiting for one another.
"""

from __future__ import annotations

import asyncio
import weakref
from types import TracebackType
from typing import Any, cast

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import SessionFactory


class QueuedSession(AsyncSession):
    """A session that holds its factory's lock from `async with` to its end."""

    def __init__(self, *args: Any, queue: Queue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue = queue
        self._held: asyncio.Lock | None = None

    async def __aenter__(self) -> QueuedSession:
        lock = self._queue.lock()
        await lock.acquire()
        self._held = lock
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
            held, self._held = self._held, None
            if held is not None:
                held.release()


class Queue:
    """One lock per event loop (a lock belongs to the loop it first waited in)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        found = self._locks.get(loop)
        if found is None:
            found = self._locks[loop] = asyncio.Lock()
        return found


_QUEUES: weakref.WeakKeyDictionary[Any, Queue] = weakref.WeakKeyDictionary()


def queued(sessions: SessionFactory) -> SessionFactory:
    """`sessions` whose transactions wait for one another in this process (on SQLite only;
    the sessions must be used as `async with`, and none opened inside another)."""
    bind = getattr(sessions, "kw", {}).get("bind")  # (a test's stand-in has none)
    if bind is None or bind.dialect.name != "sqlite":
        return sessions
    if isinstance(sessions.kw.get("queue"), Queue):
        return sessions  # queued already
    queue = _QUEUES.get(bind.sync_engine)
    if queue is None:
        queue = _QUEUES[bind.sync_engine] = Queue()
    kwargs = {**sessions.kw, "queue": queue}
    return cast(SessionFactory, async_sessionmaker(class_=QueuedSession, **kwargs))

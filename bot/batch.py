"""Group commit: small writes from concurrent updates share one transaction.

Under load many updates want to write a ledger row or an FSM record at the same moment; each
on its own would pay a full commit (and on SQLite wait for the one write lock). The writer
takes everything queued, runs it in one transaction and wakes every caller when it is
committed, so a caller still knows its write is durable when `run` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gate import Sessions

log = logging.getLogger(__name__)

T = TypeVar("T")
Op = Callable[[AsyncSession], Awaitable[Any]]


class BatchWriter:
    """Runs write operations in shared transactions; see the module docstring."""

    def __init__(self, sessions: Sessions, *, max_batch: int = 256) -> None:
        self.sessions = sessions
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Op, asyncio.Future[Any]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0
        self.operations = 0

    async def run(self, op: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `op(session)` in the next shared transaction; returns once it is committed."""
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._work(self._queue), name="batch-writer")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((op, future))
        return await future

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self, queue: asyncio.Queue[tuple[Op, asyncio.Future[Any]]]) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < self.max_batch:
                batch.append(queue.get_nowait())
            try:
                await self._commit(batch)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.cancel()
                raise

    async def _commit(self, batch: list[tuple[Op, asyncio.Future[Any]]]) -> None:
        self.batches += 1
        self.operations += len(batch)
        try:
            async with self.sessions() as session:
                results = [await op(session) for op, _ in batch]
                await session.commit()
        except Exception as exc:
            if len(batch) == 1:
                _, future = batch[0]
                if not future.done():
                    future.set_exception(exc)
                return
            # One bad operation must not fail its neighbours: run each on its own.
            log.warning("a batch of %d writes failed; retrying them one by one", len(batch))
            for item in batch:
                await self._commit([item])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

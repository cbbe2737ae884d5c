"""Group commit: small writes from concurrent updates share one transaction.

Under load many updates want to write a ledger row or an FSM record at the same moment; each
on its own would pay a full commit (and on SQLite wait for the one write lock). The writer
takes everything queued, runs it in one transaction and wakes every caller when it is
committed, so a caller still knows its write is durable when its call returns.

Two kinds of work: `execute(statement, params)` for the hot single statements (on SQLite they
run on a driver connection of their own, see `bot.fastsql`), and `run(op)` for anything that
needs a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.fastsql import SqliteLane, Statement, sqlite_lane
from bot.gate import GatedSessions, Sessions

log = logging.getLogger(__name__)

T = TypeVar("T")
Op = Callable[[AsyncSession], Awaitable[Any]]


@dataclass(slots=True)
class _Item:
    future: asyncio.Future[Any]
    op: Op | None = None
    statement: Statement | None = None
    params: list[dict[str, Any]] | None = None  # one row each; several: executemany
    fetch: bool = False


class BatchWriter:
    """Runs write operations in shared transactions; see the module docstring."""

    def __init__(self, sessions: Sessions, *, max_batch: int = 256) -> None:
        self.sessions = sessions
        self.max_batch = max_batch
        factory = sessions.factory if isinstance(sessions, GatedSessions) else sessions
        self.gate = sessions.gate if isinstance(sessions, GatedSessions) else None
        self.lane: SqliteLane | None = sqlite_lane(factory)
        self._queue: asyncio.Queue[_Item] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.operations = 0

    async def run(self, op: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `op(session)` in the next shared transaction; returns once it is committed."""
        return await self._submit(_Item(self._future(), op=op))  # type: ignore[no-any-return]

    async def execute(
        self, statement: Statement, params: dict[str, Any] | list[dict[str, Any]]
    ) -> None:
        """Run a write statement (once per parameter row) in the next shared transaction."""
        rows = params if isinstance(params, list) else [params]
        if rows:
            await self._submit(_Item(self._future(), statement=statement, params=rows))

    async def fetch(self, statement: Statement, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query in the next shared transaction (after the writes queued before it)."""
        item = _Item(self._future(), statement=statement, params=[params], fetch=True)
        return await self._submit(item)  # type: ignore[no-any-return]

    @staticmethod
    def _future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, item: _Item) -> Any:
        if self._closed:
            # A handler still running after shutdown must not reopen the SQLite connection:
            # nothing would close it again, and it would keep the process alive.
            raise RuntimeError("the bot's store writer is closed (shutting down)")
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._work(self._queue), name="batch-writer")
        self._queue.put_nowait(item)
        return await item.future

    async def close(self) -> None:
        self._closed = True
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self.lane is not None:
            await self.lane.close()

    async def _work(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < self.max_batch:
                batch.append(queue.get_nowait())
            try:
                self.batches += 1
                self.operations += len(batch)
                if self.lane is not None:
                    await self._commit([i for i in batch if i.statement is not None], lane=True)
                    batch = [i for i in batch if i.statement is None]
                if batch:
                    await self._commit(batch, lane=False)
            except asyncio.CancelledError:
                for item in batch:
                    if not item.future.done():
                        item.future.cancel()
                raise

    async def _commit(self, batch: list[_Item], *, lane: bool) -> None:
        if not batch:
            return
        try:
            results = await (self._on_lane(batch) if lane else self._in_session(batch))
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].future.done():
                    batch[0].future.set_exception(exc)
                return
            # One bad operation must not fail its neighbours: run each on its own.
            log.warning("a batch of %d writes failed; retrying them one by one", len(batch))
            for item in batch:
                await self._commit([item], lane=lane)
            return
        for item, result in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)

    async def _on_lane(self, batch: list[_Item]) -> list[Any]:
        assert self.lane is not None
        items = [(i.statement, i.params or [], i.fetch) for i in batch]
        async with self.gate or contextlib.nullcontext():
            return await self.lane.run(items)  # type: ignore[arg-type]

    async def _in_session(self, batch: list[_Item]) -> list[Any]:
        results = []
        async with self.sessions() as session:
            for item in batch:
                if item.op is not None:
                    results.append(await item.op(session))
                else:
                    assert item.statement is not None and item.params is not None
                    params = item.params if len(item.params) > 1 else item.params[0]
                    result = await session.exec(item.statement.clause, params=params)  # type: ignore[call-overload]
                    results.append([tuple(r) for r in result.all()] if item.fetch else None)
            await session.commit()
        return results

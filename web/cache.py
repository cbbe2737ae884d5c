"""A short-lived cache for the numbers that cost a scan of every case: the queue's counts per
filter and the dashboard. Counts up to `seconds` old are good enough to steer by (the page
says as of when); a page's rows are never cached.

When they expire, the next page still gets them (up to `stale` seconds more, said as of when)
while they are computed again in the background, in a store session of their own: every page
that asked in those 30–130 ms used to wait for the scan (the crowd's latency spikes every 15 s).

Your own change shows at once, whichever worker process serves the next page: an action sets
the `shagym_acted` cookie to its time, and numbers computed before it are computed again."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

COUNTS_SECONDS = 15.0
STALE_SECONDS = 15.0  # how much longer an expired value is served while it is recomputed
ACTED_COOKIE = "shagym_acted"
log = logging.getLogger(__name__)


def acted_at(request: Request) -> float:
    """When this browser last acted (0 when it did not); never later than now."""
    try:
        return min(float(request.cookies.get(ACTED_COOKIE, "0")), time.time())
    except ValueError:
        return 0.0


def mark_acted(response: Response, secure: bool) -> None:
    response.set_cookie(ACTED_COOKIE, f"{time.time():.3f}", httponly=True, samesite="strict",
                        secure=secure)  # fmt: skip


def as_of(moment: float) -> dt.datetime:
    """A cache time as the moment the page says its numbers are from."""
    return dt.datetime.fromtimestamp(moment, dt.UTC)


async def figures(
    request: Request,
    session: AsyncSession,
    key: Hashable,
    compute: Callable[[AsyncSession], Awaitable[Any]],
) -> tuple[Any, float]:
    """A page's cached figures and when they were computed: `compute` runs in the page's own
    session when the page must wait for it, and in a read session of its own when it runs in
    the background (the page's session may be closed by then)."""

    async def refresh() -> Any:
        async with request.app.state.read_sessions() as own:
            return await compute(own)

    return await request.app.state.cache.get(
        key, lambda: compute(session), fresh_after=acted_at(request), refresh=refresh
    )


class TtlCache:
    def __init__(
        self, seconds: float = COUNTS_SECONDS, size: int = 512, stale: float = STALE_SECONDS
    ) -> None:
        self.seconds = seconds
        self.stale = stale
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._computing: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
        self._refreshing: set[asyncio.Task[Any]] = set()

    async def get(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[Any]],
        fresh_after: float = 0.0,
        refresh: Callable[[], Awaitable[Any]] | None = None,
    ) -> tuple[Any, float]:
        """The value and when it was computed (a wall-clock time): cached when younger than
        `seconds` and computed after `fresh_after`. `refresh` computes it without the caller's
        store session: given, an expired value is served while `refresh` runs in the background."""
        now = time.time()
        found = self._items.get(key)
        if found is not None and found[0] >= fresh_after:
            age = now - found[0]
            if age < self.seconds:
                return found[1], found[0]
            if refresh is not None and age < self.seconds + self.stale:
                self._refresh(key, refresh, now)
                return found[1], found[0]
        running = self._computing.get(key)
        if running is not None and running[0] >= fresh_after:
            # Pages asking while it is computed wait for that one result: when the numbers
            # expire under 50 users, they would otherwise all scan the store at once.
            return await asyncio.shield(running[1]), running[0]
        return await self._compute(key, compute, now), now

    def _refresh(self, key: Hashable, refresh: Callable[[], Awaitable[Any]], now: float) -> None:
        if key in self._computing:
            return
        # Registered now, not when the task first runs: the pages that ask before it does
        # must find it computing.
        task = asyncio.create_task(self._compute(key, refresh, now, self._begin(key, now)))
        self._refreshing.add(task)
        task.add_done_callback(self._refreshed)

    def _refreshed(self, task: asyncio.Task[Any]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The expired value stays until its stale time is over; the next page tries again.
            # Only the kind of error: a store error's text may carry a search's words.
            log.warning("recomputing cached console figures failed: %s",
                        type(task.exception()).__name__)  # fmt: skip

    def _begin(self, key: Hashable, now: float) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._computing[key] = (now, future)
        return future

    async def _compute(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[Any]],
        now: float,
        future: asyncio.Future[Any] | None = None,
    ) -> Any:
        future = future or self._begin(key, now)
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # marked retrieved: nobody else may be waiting
            raise
        finally:
            if self._computing.get(key, (0.0, None))[1] is future:
                del self._computing[key]
        future.set_result(value)
        if self.seconds > 0:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()

"""A short-lived cache for the numbers that cost a scan of every case: the queue's counts per
filter and the dashboard. Counts up to `seconds` old are good enough to steer by (the page
says as of when); a page's rows are never cached.

Your own change shows at once, whichever worker process serves the next page: an action sets
the `shagym_acted` cookie to its time, and numbers computed before it are computed again."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COUNTS_SECONDS = 15.0
ACTED_COOKIE = "shagym_acted"


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


class TtlCache:
    def __init__(self, seconds: float = COUNTS_SECONDS, size: int = 512) -> None:
        self.seconds = seconds
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._computing: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}

    async def get(
        self, key: Hashable, compute: Callable[[], Awaitable[Any]], fresh_after: float = 0.0
    ) -> tuple[Any, float]:
        """The value and when it was computed (a wall-clock time): cached when younger than
        `seconds` and computed after `fresh_after`."""
        now = time.time()
        found = self._items.get(key)
        if found is not None and now - found[0] < self.seconds and found[0] >= fresh_after:
            return found[1], found[0]
        running = self._computing.get(key)
        if running is not None and running[0] >= fresh_after:
            # Pages asking while it is computed wait for that one result: when the numbers
            # expire under 50 users, they would otherwise all scan the store at once.
            return await asyncio.shield(running[1]), running[0]
        value = await self._compute(key, compute, now)
        if self.seconds > 0:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value, now

    async def _compute(self, key: Hashable, compute: Callable[[], Awaitable[Any]], now: float) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._computing[key] = (now, future)
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
        return value

    def clear(self) -> None:
        self._items.clear()

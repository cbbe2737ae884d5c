"""A short-lived cache for the numbers that cost a scan of every case: the queue's counts per
filter and the dashboard. Counts up to `seconds` old are good enough to steer by; a page's
rows are never cached. Actions taken through the console clear it at once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

COUNTS_SECONDS = 15.0


class TtlCache:
    def __init__(self, seconds: float = COUNTS_SECONDS, size: int = 512) -> None:
        self.seconds = seconds
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        found = self._items.get(key)
        if found is not None and now - found[0] < self.seconds:
            return found[1]
        value = await compute()
        if self.seconds > 0:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()

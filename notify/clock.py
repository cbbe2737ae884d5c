"""Time, injected: the real clock in service, a fake one in tests (no sleeping, no races)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from models.types import utcnow


class Clock:
    def now(self) -> dt.datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock(Clock):
    """A clock that only moves when told to, or when something sleeps on it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or utcnow()
        self.elapsed = 0.0
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def monotonic(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)

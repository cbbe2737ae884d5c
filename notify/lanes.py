"""Delivering the rows a worker holds, several at a time, each exactly once.

Every channel gets `capacity` lanes (its SMTP connections; one for a channel that says
nothing), each taking the next waiting row of that channel. A row starts only while its lease
covers the delivery's time limit and a margin; when the next row's does not, the rows still
waiting are renewed together in one statement, and those whose lease another worker took are
dropped (left to it). A row in flight is never renewed: its delivery ends, or is cut off at the
time limit, before its lease does, and it is settled against the lease it was sent under — so
a second worker can only claim it once this one can no longer send it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.metrics import ERRORS
from models.tables import Notification
from notify import claims
from notify.coalesce import gather_crowded
from notify.content import Loaded

if TYPE_CHECKING:
    from notify.worker import OutboxWorker

log = logging.getLogger(__name__)

MARGIN = dt.timedelta(seconds=5)  # loading and settling a row, beyond the delivery itself


def capacity(channel: object) -> int:
    return max(1, int(getattr(channel, "capacity", 1)))


class Holding:
    """The rows one worker holds: waiting per channel, or in flight."""

    def __init__(self, worker: OutboxWorker) -> None:
        self.worker = worker
        self.waiting: dict[str, deque[Notification]] = {name: deque() for name in worker.channels}
        self.in_flight = 0
        self.loaded: dict[int | None, Loaded] = {}  # what each row is about, loaded at claim
        self.closed = False
        self.changed = asyncio.Condition()

    def __len__(self) -> int:
        return self.in_flight + sum(len(rows) for rows in self.waiting.values())

    async def add(
        self, rows: Iterable[Notification], loaded: dict[int | None, Loaded] | None = None
    ) -> None:
        async with self.changed:
            self.loaded.update(loaded or {})
            for row in rows:
                self.waiting[row.channel].append(row)
            self.changed.notify_all()

    async def close(self) -> None:
        """No more rows will be added: the lanes end once theirs are delivered."""
        async with self.changed:
            self.closed = True
            self.changed.notify_all()

    async def wait_below(self, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: len(self) < count)

    async def run(self) -> None:
        """Every channel's lanes, until the holding is closed and empty."""
        lanes = [
            self._lane(name)
            for name, channel in self.worker.channels.items()
            for _ in range(capacity(channel))
        ]
        await asyncio.gather(*lanes)

    async def _next(self, channel: str) -> Notification | None:
        queue = self.waiting[channel]
        async with self.changed:
            await self.changed.wait_for(lambda: bool(queue) or self.closed)
            if not queue:
                return None
            self.in_flight += 1
            return queue.popleft()

    async def _done(self) -> None:
        async with self.changed:
            self.in_flight -= 1
            self.changed.notify_all()

    async def _lane(self, channel: str) -> None:
        while (row := await self._next(channel)) is not None:
            try:
                loaded = self.loaded.pop(row.id, None)
                if not await self._covered(row):
                    continue
                together = await gather_crowded(self, row, loaded)
                if together:
                    await self.worker.deliver_together(together)
                else:
                    await self.worker.deliver(row, loaded)
            except Exception:  # settling failed: the lease runs out and the row comes back
                ERRORS.labels("outbox").inc()
                log.error("notification %s: could not be settled", row.id, exc_info=True)
            finally:
                await self._done()

    async def _covered(self, row: Notification) -> bool:
        """True when this worker holds `row` for long enough to deliver and settle it."""
        need = dt.timedelta(seconds=self.worker.delivery_timeout) + MARGIN
        if self._covers(row, need):
            return True
        # The lanes wait while the rows are renewed: none may start a row whose lease is being
        # moved under it.
        async with self.changed:
            if self._covers(row, need):  # another lane renewed it meanwhile
                return True
            waiting = [r for rows in self.waiting.values() for r in rows]
            held = await claims.renew(
                self.worker.sessions,
                [row, *waiting],
                now=self.worker.clock.now(),
                lease=self.worker.lease,
            )
            kept = {r.id for r in held}
            for rows in self.waiting.values():
                still = [r for r in rows if r.id in kept]
                rows.clear()
                rows.extend(still)
            self.changed.notify_all()
        for lost in (r for r in [row, *waiting] if r.id not in kept):
            log.warning("notification %s: lease lost while waiting in the batch", lost.id)
        return row.id in kept

    def covers(self, row: Notification) -> bool:
        return self._covers(row, dt.timedelta(seconds=self.worker.delivery_timeout) + MARGIN)

    def _covers(self, row: Notification, need: dt.timedelta) -> bool:
        return row.lease_until is not None and row.lease_until - self.worker.clock.now() >= need

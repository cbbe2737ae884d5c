"""What the loops of this process report about themselves, for `/readyz` and for each other.

- `report(name, connected, detail)`: a loop says whether its connection (IMAP, Telegram, SMTP)
  is up; `/readyz` is ready only while every configured one is.
- `ring()` / `subscribe()`: a commit that owed notifications rings the bell and the outbox
  worker of the same process claims at once instead of at its next poll.

One per process (`STATUS`): health is a property of the process, and the loops that report
are started by the runner without a handle to share. The bell keeps one `asyncio.Event` per
subscriber, created in the subscriber's event loop, so tests that run many loops one after
another never touch an event bound to a loop that is gone.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Connection:
    connected: bool
    detail: str
    since: float  # time.time() of the last change


class Status:
    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.metrics_port: int | None = None  # where /metrics listens (METRICS_PORT=0: free)
        self._bells: weakref.WeakSet[asyncio.Event] = weakref.WeakSet()

    def expect(self, name: str) -> None:
        """A configured connection that has not come up yet (not ready until it does)."""
        self.connections.setdefault(name, Connection(False, "starting", time.time()))

    def report(self, name: str, connected: bool, detail: str = "") -> None:
        known = self.connections.get(name)
        if known is None or known.connected != connected or known.detail != detail:
            self.connections[name] = Connection(connected, detail, time.time())

    def forget(self, name: str) -> None:
        """The loop stopped: its connection no longer counts."""
        self.connections.pop(name, None)

    def down(self) -> dict[str, str]:
        return {n: c.detail or "down" for n, c in self.connections.items() if not c.connected}

    def subscribe(self) -> asyncio.Event:
        """An event set whenever notifications are owed; the subscriber clears it."""
        bell = asyncio.Event()
        self._bells.add(bell)
        return bell

    def ring(self) -> None:
        for bell in list(self._bells):
            bell.set()


STATUS = Status()

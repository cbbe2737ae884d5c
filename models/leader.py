"""One leader among several processes: a lock held for as long as the leader works.

On PostgreSQL the lock is a session-level advisory lock (`pg_try_advisory_lock` on a 64-bit
hash of the lock's name) held on a connection of its own, outside the pool: PostgreSQL
releases it the moment that connection ends, so a leader that dies (SIGKILL, a lost machine,
a cut network) frees it without anybody's help. A standby tries again every `retry` seconds;
the leader checks its connection just as often and, when it is gone, sets `lost` so that it
stops working before the new leader has been waiting long.

On SQLite every process is on one machine: the lock is an `flock` on a file beside the store,
which the kernel releases when the process dies. An in-memory store needs none.

The lock decides who does the work, not whether it is done once: that stays the unique keys'
job (a message's mailbox, UIDVALIDITY and UID), so a leader that loses its lock mid-pass and
a new one that starts at once still store each message once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # how often a standby asks, and how often a leader checks its hold


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (what pg_advisory_lock takes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership(Protocol):
    name: str
    lost: asyncio.Event

    async def try_acquire(self) -> bool: ...

    async def check(self) -> bool: ...

    async def release(self) -> None: ...


class PgAdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated asyncpg connection."""

    def __init__(self, dsn: str, name: str, *, timeout: float = 5.0) -> None:
        self.dsn, self.name, self.key, self.timeout = dsn, name, lock_key(name), timeout
        self.lost = asyncio.Event()
        self._conn: Any = None

    @property
    def backend_pid(self) -> int | None:
        """The server process holding the lock (tests terminate it to kill a leader)."""
        return None if self._conn is None else int(self._conn.get_server_pid())

    async def try_acquire(self) -> bool:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn, timeout=self.timeout)
            self._conn.add_termination_listener(lambda _conn: self.lost.set())
        held = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key))
        if held:
            self.lost.clear()
        return held

    async def check(self) -> bool:
        """True while the lock's connection answers; else `lost` is set."""
        try:
            await self._conn.fetchval("SELECT 1", timeout=self.timeout)
        except Exception as exc:  # whatever broke, the lock cannot be trusted any more
            log.warning("leader lock %s: connection lost (%s)", self.name, type(exc).__name__)
            self.lost.set()
        return not self.lost.is_set()

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.timeout)
            if not conn.is_closed():
                conn.terminate()


class FileLock:
    """An exclusive `flock` on a file: one holder among the processes of one machine."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.lost = asyncio.Event()
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        self.lost.clear()
        return True

    async def check(self) -> bool:
        return True  # held until this process lets go or dies

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class NoLock:
    """For an in-memory store: there is only this process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lost = asyncio.Event()

    async def try_acquire(self) -> bool:
        return True

    async def check(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def leader_lock(database_url: str, name: str) -> Leadership:
    """The lock that fits the store: advisory on PostgreSQL, a file beside a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PgAdvisoryLock(dsn, name)
    database = url.database
    if not database or database == ":memory:" or "mode=memory" in database_url:
        return NoLock(name)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return FileLock(Path(f"{database}.{digest}.lock"), name)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _watch(lock: Leadership, stop: asyncio.Event, term: asyncio.Event, every: float) -> None:
    """Ends the leader's term when the service stops or the lock is lost."""
    while not (stop.is_set() or lock.lost.is_set()):
        await _pause(stop, every)
        if not stop.is_set():
            await lock.check()
    term.set()


async def while_leader(
    lock: Leadership,
    stop: asyncio.Event,
    work: Callable[[asyncio.Event], Awaitable[None]],
    *,
    retry: float = RETRY_SECONDS,
) -> int:
    """Wait for the lock, run `work(term)` while it is held, stand by again when it is lost;
    until `stop` is set. `term` is set when this term ends (stop, or the lock lost): `work`
    must return then. Returns how many terms this process led."""
    terms = 0
    while not stop.is_set():
        try:
            held = await lock.try_acquire()
        except Exception as exc:  # the store is unreachable: a standby keeps asking
            log.warning("leader lock %s: %s; retrying", lock.name, type(exc).__name__)
            await lock.release()
            held = False
        if not held:
            await _pause(stop, retry)
            continue
        terms += 1
        log.info("leading %s", lock.name)
        term = asyncio.Event()
        watch = asyncio.create_task(_watch(lock, stop, term, retry), name=f"lead:{lock.name}")
        try:
            await work(term)
        finally:
            term.set()
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
            await lock.release()
        if not stop.is_set():
            log.warning("no longer leading %s; standing by", lock.name)
            await _pause(stop, 2 * retry)  # a standby that was waiting goes first
    return terms

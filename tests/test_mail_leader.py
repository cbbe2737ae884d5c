"""Two mail pollers of one mailbox, each with its own engine (two processes' worth), against
one Dovecot and one store: one leads and fetches, the other stands by; when the leader's lock
connection dies the standby takes over, and no message is stored twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import mail_fixtures
import pytest
from mail_fixtures import complaint, mail_settings, prepare_store, snapshot

from mail_ingest.service import MailLeader
from models.db import create_engine, create_session_factory
from models.leader import FileLock, PgAdvisoryLock, leader_lock, lock_key

GUARD = 60.0  # turns a hang into a failure; takeover itself takes a second or two
dovecot = mail_fixtures.dovecot


@contextlib.asynccontextmanager
async def poller(settings, url: str) -> AsyncIterator[tuple[MailLeader, asyncio.Event]]:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    leader = MailLeader(settings, create_session_factory(engine), retry=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(leader.run(stop))
    try:
        yield leader, stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=GUARD)
        await engine.dispose()


async def until(predicate, timeout: float = GUARD) -> None:  # type: ignore[no-untyped-def]
    """Poll an in-memory predicate; the timeout only turns a hang into a failure."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def stored(url: str) -> int:
    engine = create_engine(url)
    try:
        return int((await snapshot(create_session_factory(engine)))["stored"])
    finally:
        await engine.dispose()


def passes(*leaders: MailLeader) -> int:
    return sum(service.passes for leader in leaders for service in leader.services)


def batch(start: int, count: int) -> list[bytes]:
    return [complaint(f"В Астане нарушение номер {i}.", sender=f"c{i}@mail.kz")
            for i in range(start, start + count)]  # fmt: skip


async def test_it_lets_only_the_leader_fetch(dovecot, database_url, tmp_path: Path) -> None:
    await prepare_store(database_url)
    settings = mail_settings(dovecot, database_url, tmp_path)
    async with poller(settings, database_url) as (first, _), poller(settings, database_url) as (
        second, _,
    ):  # fmt: skip
        await until(lambda: passes(first, second) >= 1)  # idle now: new mail wakes it
        await asyncio.to_thread(dovecot.append, batch(0, 8))
        await until(lambda: first.stored + second.stored >= 8)
        assert sorted([first.stored, second.stored]) == [0, 8]
        assert [len(first.services), len(second.services)].count(0) == 1
    assert await stored(database_url) == 8


async def test_it_hands_the_mailbox_over_when_the_leader_dies(
    dovecot, database_url, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a lost connection is PostgreSQL's case; SQLite's lock is tested below")
    await prepare_store(database_url)
    settings = mail_settings(dovecot, database_url, tmp_path)
    async with poller(settings, database_url) as (first, _), poller(settings, database_url) as (
        second, _,
    ):  # fmt: skip
        await until(lambda: passes(first, second) >= 1)
        leader, standby = (first, second) if first.services else (second, first)
        await asyncio.to_thread(dovecot.append, batch(0, 5))
        await until(lambda: leader.stored == 5)
        assert isinstance(leader.lock, PgAdvisoryLock)
        await _terminate(database_url, leader.lock.backend_pid)
        await until(lambda: passes(standby) >= 1, timeout=15.0)
        await asyncio.to_thread(dovecot.append, batch(5, 5))
        await until(lambda: standby.stored >= 5)
        assert standby.stored == 5 and leader.stored == 5
        assert len(leader.services) == 1  # it stopped polling, and stood by
    state = await _final(database_url)
    assert (state["cases"], state["stored"], state["unmoved"]) == (10, 10, 0)


async def _final(url: str) -> dict:  # type: ignore[type-arg]
    engine = create_engine(url)
    try:
        return await snapshot(create_session_factory(engine))
    finally:
        await engine.dispose()


async def _terminate(url: str, pid: int | None) -> None:
    """What a dead leader machine looks like to PostgreSQL: its session ends."""
    import asyncpg

    assert pid is not None
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_it_locks_a_sqlite_store_with_a_file_the_kernel_frees(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shagym.db'}"
    first, second = leader_lock(url, "mail:x"), leader_lock(url, "mail:x")
    assert isinstance(first, FileLock)
    assert await first.try_acquire() and not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    await second.release()


def test_it_keys_each_mailbox_apart() -> None:
    assert lock_key("mail:a") == lock_key("mail:a") != lock_key("mail:b")
    assert -(2**63) <= lock_key("mail:a") < 2**63

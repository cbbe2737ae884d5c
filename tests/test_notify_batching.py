"""The outbox's batching on the store: a claimed batch loaded in the claim's transaction, a
settle group flushed once every delivery under way waits in it, and the worker's SQLite
transactions queued in the process rather than in SQLite's busy handler."""

from __future__ import annotations

import asyncio

from notify_helpers import outbox, report

from models.queued import queued
from models.tables import NotificationStatus
from notify import settle
from notify import worker as worker_module

pytest_plugins = ["notify_fixtures"]


async def test_it_settles_a_lone_delivery_without_waiting_for_the_group(
    sessions, intake_ctx, worker, sink, monkeypatch
):
    monkeypatch.setattr(settle, "GROUP_SECONDS", 30.0)  # only the flush on "all waiting" is left
    await report(sessions, intake_ctx)
    await asyncio.wait_for(worker.drain(), timeout=10)
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert row.status == NotificationStatus.sent
    assert len(await sink.wait_for(1)) == 1


async def test_it_keeps_the_claim_when_loading_the_batch_fails(
    sessions, intake_ctx, worker, sink, monkeypatch
):
    async def broken(*args, **kwargs):
        raise RuntimeError("loading the batch failed")

    monkeypatch.setattr(worker_module, "load_many", broken)
    opened = await report(sessions, intake_ctx)
    await worker.drain()
    [received] = await sink.wait_for(1)
    assert f"[{opened.case.number}]" in received.message["Subject"]
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 1)
    assert received.message["Message-ID"] == row.message_id
    await asyncio.sleep(0.2)
    assert len(sink.messages) == 1  # loaded again on its own, sent once


async def test_it_queues_the_sqlite_transactions_of_one_engine(sessions, database_url):
    factories = [queued(sessions), queued(sessions)]  # the worker's and the mail loop's
    if not database_url.startswith("sqlite"):
        assert factories == [sessions, sessions]  # PostgreSQL's transactions overlap
        return
    assert queued(factories[0]) is factories[0]
    inside, most = 0, 0

    async def transaction(index: int) -> None:
        nonlocal inside, most
        async with factories[index % 2]() as session:
            inside += 1
            most = max(most, inside)
            await session.exec(outbox_count())  # type: ignore[call-overload]
            await asyncio.sleep(0.02)
            inside -= 1
            await session.commit()

    await asyncio.gather(*(transaction(i) for i in range(6)))
    assert most == 1


def outbox_count():
    from sqlalchemy import func, select

    from models.tables import Notification

    return select(func.count()).select_from(Notification)

"""The outbox worker against a real SMTP server on loopback: delivery, retries, dead letters,
crash recovery, concurrent workers."""

from __future__ import annotations

import asyncio
import random

import pytest
from notify_helpers import make_worker, outbox, report

from models.tables import NotificationStatus
from notify.worker import OutboxWorker, backoff

pytest_plugins = ["notify_fixtures"]


async def test_it_alerts_the_commission_by_email(sessions, intake_ctx, worker, sink):
    opened = await report(sessions, intake_ctx)
    await worker.drain()
    [received] = await sink.wait_for(1)
    assert received.rcpt_tos == ["akm@example.kz"]
    message = received.message
    assert f"[{opened.case.number}]" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Loop"] == "hotline@shagym.test"
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert row.status == NotificationStatus.sent
    assert message["Message-ID"] == row.message_id
    assert row.result["recipients"]["akm@example.kz"]["code"] == 250


async def test_it_retries_an_smtp_4xx_later_and_then_delivers(
    sessions, intake_ctx, worker, sink, clock
):
    sink.refuse("akm@example.kz", 451, times=1)
    await report(sessions, intake_ctx)
    await worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts, sink.messages) == (NotificationStatus.pending, 1, [])
    assert row.next_attempt_at > clock.now()
    assert row.result["recipients"]["akm@example.kz"]["code"] == 451
    clock.advance((row.next_attempt_at - clock.now()).total_seconds())
    await worker.drain()
    [received] = await sink.wait_for(1)
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)
    assert received.message["Message-ID"] == row.message_id


async def test_it_dead_letters_an_smtp_5xx_with_the_recipient_answer(
    sessions, intake_ctx, worker, sink
):
    sink.refuse("akm@example.kz", 550)
    await report(sessions, intake_ctx)
    await worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert row.status == NotificationStatus.dead
    assert row.attempts == 1
    assert row.result["recipients"]["akm@example.kz"]["code"] == 550
    assert "550" in (row.last_error or "")


async def test_it_dead_letters_a_5xx_after_data(sessions, intake_ctx, worker, sink):
    sink.fail_data(554, "5.6.0 Message rejected", times=None)
    await report(sessions, intake_ctx)
    await worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert row.status == NotificationStatus.dead
    assert row.result["recipients"]["akm@example.kz"]["code"] == 554


async def test_it_retries_while_the_server_is_down(sessions, intake_ctx, worker, sink):
    await sink.stop()
    await report(sessions, intake_ctx)
    await worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.pending, 1)
    assert "unavailable" in (row.last_error or "")


async def test_it_gives_up_after_the_last_attempt(sessions, intake_ctx, worker, sink, clock):
    sink.refuse("akm@example.kz", 421)
    worker.max_attempts = 3
    await report(sessions, intake_ctx)
    for _ in range(3):
        clock.advance(4000)
        await worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.dead, 3)
    assert "gave up after 3 attempts" in (row.last_error or "")


class Crash(BaseException):
    """The process dies: nothing after it runs."""


class CrashAfterSend(OutboxWorker):
    async def _sent(self, row, result):
        raise Crash


async def test_it_resends_at_most_once_with_the_same_message_id_after_a_crash(
    sessions, intake_ctx, sink, mail_config, clock
):
    await report(sessions, intake_ctx)
    crashing = make_worker(sessions, sink, mail_config, clock)
    crashing.__class__ = CrashAfterSend
    with pytest.raises(Crash):
        await crashing.run_once()
    [first] = await sink.wait_for(1)
    restarted = make_worker(sessions, sink, mail_config, clock)
    assert await restarted.drain() == 0  # the lease still holds: nobody resends yet
    clock.advance(restarted.lease.total_seconds() + 1)
    await restarted.drain()
    clock.advance(restarted.lease.total_seconds() + 1)
    await restarted.drain()
    first, second = await sink.wait_for(2)
    assert len(sink.messages) == 2
    assert first.message["Message-ID"] == second.message["Message-ID"]
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)


async def test_it_never_lets_two_workers_send_the_same_row(
    sessions, intake_ctx, sink, mail_config, clock
):
    for index in range(12):
        await report(sessions, intake_ctx, f"Обращение номер {index}", sender=f"55500{index}")
    workers = [make_worker(sessions, sink, mail_config, clock) for _ in range(3)]
    for w in workers:
        w.batch = 2
    await asyncio.gather(*(w.drain() for w in workers))
    received = await sink.wait_for(12)
    ids = [r.message["Message-ID"] for r in received]
    assert len(sink.messages) == 12 and len(set(ids)) == 12
    rows = await outbox(sessions, kind="alert", channel="email")
    assert {r.status for r in rows} == {NotificationStatus.sent}


def test_it_backs_off_exponentially_with_jitter_and_honours_retry_after():
    rng = random.Random(1)
    first, fourth = backoff(1, rng), backoff(4, rng)
    assert 15 <= first <= 30 and 120 <= fourth <= 240
    assert backoff(30, rng) <= 3600
    assert backoff(1, rng, at_least=900) == 900

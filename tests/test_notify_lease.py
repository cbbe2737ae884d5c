"""The outbox lease: short, so a restart after a crash redelivers within minutes; renewed along a
slow batch, so a second worker does not take its later rows; and a delivery time limit below
it, so a hung server cannot make a row outlive its lease. Time is the worker's fake clock; the
mail server is the real aiosmtpd sink and Telegram the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from notify_helpers import make_worker, outbox, report

from core.settings import SettingsError, load_settings
from models.tables import NotificationStatus
from notify import claims
from notify.content import Loaded
from notify.service import build_worker
from notify.worker import OutboxWorker
from sandbox.smtp import Received, SmtpSink

pytest_plugins = ["notify_fixtures"]

AKM_CHAT = -1001000000005


async def _alerts(sessions, intake_ctx, count: int) -> None:
    for index in range(count):
        await report(sessions, intake_ctx, f"Обращение номер {index}", sender=f"55500{index}")


def _email_alerts(worker: OutboxWorker) -> OutboxWorker:
    worker.kinds = {"alert"}
    del worker.channels["internal"]
    return worker


async def test_a_restart_delivers_what_a_dead_worker_held_once_the_short_lease_ends(
    sessions, intake_ctx, sink, mail_config, clock
):
    await report(sessions, intake_ctx)
    dead = _email_alerts(make_worker(sessions, sink, mail_config, clock))
    assert dead.lease == dt.timedelta(minutes=2)
    # The process is SIGKILLed right after claiming: nothing of it runs again.
    [held] = await claims.claim(
        sessions,
        now=clock.now(),
        lease=dead.lease,
        channels=dead.channels,
        limit=dead.batch,
        domain=mail_config.domain,
        kinds=dead.kinds,
    )
    restarted = _email_alerts(make_worker(sessions, sink, mail_config, clock))
    clock.advance(119)
    assert await restarted.drain() == 0  # the dead process's lease still holds
    clock.advance(2)
    assert await restarted.drain() == 1
    [received] = await sink.wait_for(1)
    assert received.message["Message-ID"] == held.message_id
    [row] = await outbox(sessions, kind="alert", channel="email")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)


class SlowChannel:
    """The real email channel behind a server that takes `seconds` (of the fake clock) per
    message; while a message is on its way, a rival worker looks for due rows."""

    def __init__(self, inner: Any, clock: Any, seconds: float, rival: OutboxWorker) -> None:
        self.inner, self.clock, self.seconds, self.rival = inner, clock, seconds, rival
        self.rival_claimed: list[int] = []

    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        self.clock.advance(self.seconds)
        self.rival_claimed.append(await self.rival.run_once())
        return await self.inner.deliver(loaded)

    async def close(self) -> None:
        await self.inner.close()


def _slow_worker(
    sessions, sink, mail_config, clock, seconds: float
) -> tuple[OutboxWorker, SlowChannel]:
    rival = _email_alerts(make_worker(sessions, sink, mail_config, clock))
    slow = _email_alerts(make_worker(sessions, sink, mail_config, clock))
    channel = SlowChannel(slow.channels["email"], clock, seconds, rival)
    slow.channels["email"] = channel
    return slow, channel


async def test_renewal_keeps_a_slow_batchs_later_rows_from_a_second_worker(
    sessions, intake_ctx, sink, mail_config, clock
):
    await _alerts(sessions, intake_ctx, 4)
    slow, channel = _slow_worker(sessions, sink, mail_config, clock, seconds=50)
    # Four deliveries of 50 s: the last starts 150 s after the claim, past a 120 s lease that
    # was not renewed.
    assert await slow.run_once() == 4
    assert channel.rival_claimed == [0, 0, 0, 0]
    received = await sink.wait_for(4)
    await asyncio.sleep(0.2)
    assert len(sink.messages) == 4
    assert len({r.message["Message-ID"] for r in received}) == 4
    rows = await outbox(sessions, kind="alert", channel="email")
    assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.sent, 1)] * 4


async def test_rows_whose_lease_was_lost_are_left_to_the_worker_that_took_them(
    sessions, intake_ctx, sink, mail_config, clock
):
    await _alerts(sessions, intake_ctx, 3)
    # One delivery outlasts the whole lease (the fake clock does not obey the time limit):
    # the rival takes every row, and the slow worker must not send the other two again.
    slow, channel = _slow_worker(sessions, sink, mail_config, clock, seconds=130)
    assert await slow.run_once() == 3
    assert channel.rival_claimed == [3]
    await sink.wait_for(4)
    await asyncio.sleep(0.2)
    ids = [r.message["Message-ID"] for r in sink.messages]
    assert len(ids) == 4 and len(set(ids)) == 3  # only the row in flight went twice
    rows = await outbox(sessions, kind="alert", channel="email")
    assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.sent, 2)] * 3


class HangingSink(SmtpSink):
    """The real sink, but after it has kept a message it does not answer DATA until
    `answer` is set: the message arrived, the sender never hears so."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answer = asyncio.Event()

    async def keep(self, received: Received) -> None:
        await super().keep(received)
        await self.answer.wait()


async def test_a_mail_delivery_that_hangs_is_retried_with_the_same_message_id(
    sessions, intake_ctx, mail_config, clock
):
    async with HangingSink() as sink:
        worker = _email_alerts(make_worker(sessions, sink, mail_config, clock))
        worker.delivery_timeout = 0.5
        await report(sessions, intake_ctx)
        started = asyncio.get_running_loop().time()
        assert await worker.run_once() == 1
        assert asyncio.get_running_loop().time() - started < 5
        [row] = await outbox(sessions, kind="alert", channel="email")
        assert (row.status, row.attempts) == (NotificationStatus.pending, 1)
        assert row.lease_until is None and "longer than 0.5s" in (row.last_error or "")
        sink.answer.set()
        clock.advance((row.next_attempt_at - clock.now()).total_seconds())
        assert await worker.drain() == 1
        first, second = await sink.wait_for(2)
        assert first.message["Message-ID"] == second.message["Message-ID"] == row.message_id
        [row] = await outbox(sessions, kind="alert", channel="email")
        assert (row.status, row.attempts) == (NotificationStatus.sent, 2)


async def test_a_telegram_delivery_that_hangs_is_retried_not_lost(
    sessions, intake_ctx, tg_worker, emulator, clock
):
    group = emulator.group(AKM_CHAT)
    tg_worker.kinds = {"alert"}
    tg_worker.delivery_timeout = 0.5
    emulator.hold("sendMessage")
    opened = await report(sessions, intake_ctx)
    await tg_worker.run_once()
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.pending, 1)
    assert "longer than 0.5s" in (row.last_error or "")
    emulator.release("sendMessage")
    clock.advance((row.next_attempt_at - clock.now()).total_seconds())
    assert await tg_worker.drain() == 1
    await group.wait_for(opened.case.number)
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)


async def test_the_outbox_takes_its_lease_from_the_settings(sessions, notify_settings):
    settings = notify_settings.model_copy(update={"OUTBOX_LEASE_SECONDS": 30.0})
    worker = build_worker(settings, sessions)
    assert worker.lease == dt.timedelta(seconds=30)
    assert worker.delivery_timeout == 15
    assert build_worker(notify_settings, sessions).lease == dt.timedelta(minutes=2)
    with pytest.raises(SettingsError, match="OUTBOX_LEASE_SECONDS"):
        load_settings(OUTBOX_LEASE_SECONDS=1)


def test_a_delivery_may_not_take_as_long_as_the_lease():
    with pytest.raises(ValueError, match="below the lease"):
        OutboxWorker(
            None,  # type: ignore[arg-type]
            {},
            domain="shagym.test",
            lease=dt.timedelta(seconds=60),
            delivery_timeout=60,
        )

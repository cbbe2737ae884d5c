"""Telegram pacing: one message a second per chat, twenty a minute per group, thirty a second
overall; a row that would break a limit waits without losing an attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from notify_helpers import outbox, report

from models.tables import NotificationStatus
from notify.clock import FakeClock
from notify.pacing import Pacer

pytest_plugins = ["notify_fixtures"]

AKM_CHAT = -1001000000005


def test_it_allows_one_message_a_second_per_chat():
    clock = FakeClock()
    pacer = Pacer(clock)
    pacer.sent(42)
    assert pacer.wait(42) == 1.0 and pacer.wait(43) == 0.0
    clock.advance(1.0)
    assert pacer.wait(42) == 0.0


def test_it_allows_twenty_messages_a_minute_per_group():
    clock = FakeClock()
    pacer = Pacer(clock)
    for _ in range(20):
        assert pacer.wait(AKM_CHAT) <= 1.0
        clock.advance(pacer.wait(AKM_CHAT))
        pacer.sent(AKM_CHAT)
    assert pacer.wait(AKM_CHAT) == 60.0 - 19.0


def test_it_allows_thirty_messages_a_second_overall():
    clock = FakeClock()
    pacer = Pacer(clock)
    for chat in range(1, 31):
        pacer.sent(chat)
        clock.advance(0.01)
    assert pacer.wait(1000) == pytest.approx(0.7)


async def test_it_puts_a_paced_alert_back_without_counting_an_attempt(
    sessions, intake_ctx, tg_worker, telegram_channel, emulator, clock
):
    emulator.group(AKM_CHAT)
    for _ in range(20):
        telegram_channel.pacer.sent(AKM_CHAT)
        clock.advance(1.0)
    await report(sessions, intake_ctx)
    await tg_worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.pending, 0)
    assert row.next_attempt_at > clock.now() + dt.timedelta(seconds=30)
    assert emulator.count("sendMessage", AKM_CHAT) == 0
    clock.advance((row.next_attempt_at - clock.now()).total_seconds())
    await tg_worker.drain()
    assert emulator.count("sendMessage", AKM_CHAT) == 1


async def test_it_paces_messages_to_one_chat_a_second_apart(
    sessions, intake_ctx, tg_worker, emulator, clock
):
    emulator.group(AKM_CHAT)
    for n in range(3):
        await report(sessions, intake_ctx, f"Обращение {n}", sender=f"55510{n}")
    await tg_worker.drain()
    assert emulator.count("sendMessage", AKM_CHAT) == 3
    assert sum(1 for s in clock.slept if s >= 0.99) >= 2

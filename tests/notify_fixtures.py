"""Fixtures for the notify tests: a loopback SMTP server, a fake clock, settings pointing at
them and an outbox worker. Test modules load these with `pytest_plugins = ["notify_fixtures"]`
and take plain helpers from `notify_helpers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from notify_helpers import make_worker

from core.settings import Settings, load_settings
from models.db import SessionFactory
from models.types import utcnow
from notify.clock import FakeClock
from notify.compose import MailConfig
from notify.worker import OutboxWorker
from sandbox.smtp import SmtpSink

MAIL_FROM = "Shagym <hotline@shagym.test>"


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    async with SmtpSink(out_dir=tmp_path / "mail") as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    # Rows are written with the real time; the fake clock starts a minute later, so what a
    # test writes is due, and then moves only when the test says so.
    return FakeClock(utcnow() + dt.timedelta(minutes=1))


@pytest.fixture
def notify_settings(sink: SmtpSink, tmp_path: Path) -> Settings:
    return load_settings(
        SMTP_HOST=sink.host,
        SMTP_PORT=sink.port,
        SMTP_SECURITY="none",
        MAIL_FROM=MAIL_FROM,
        ATTACHMENTS_DIR=tmp_path / "attachments",
    )


@pytest.fixture
def mail_config(notify_settings: Settings) -> MailConfig:
    return MailConfig(
        notify_settings.MAIL_FROM, notify_settings.zone, notify_settings.ATTACHMENTS_DIR
    )


@pytest.fixture
def worker(
    sessions: SessionFactory, sink: SmtpSink, mail_config: MailConfig, clock: FakeClock
) -> OutboxWorker:
    return make_worker(sessions, sink, mail_config, clock)


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from sandbox.telegram import TelegramEmulator

    async with TelegramEmulator() as emu:
        yield emu


@pytest.fixture
async def telegram_channel(
    emulator: Any, clock: FakeClock, notify_settings: Settings
) -> AsyncIterator[Any]:
    """The outbox's Telegram channel, talking to the emulator (no inline retries)."""
    from bot.api import make_bot
    from bot.retry import RetryPolicy
    from bot.sender import TelegramSender
    from notify.telegram_channel import TelegramChannel

    bot = make_bot(emulator.token, emulator.base_url, retry=RetryPolicy(attempts=1))
    channel = TelegramChannel(
        TelegramSender(bot), clock, notify_settings.zone, notify_settings.ATTACHMENTS_DIR
    )
    yield channel
    await channel.shutdown()


@pytest.fixture
def tg_worker(
    sessions: SessionFactory,
    sink: SmtpSink,
    mail_config: MailConfig,
    clock: FakeClock,
    telegram_channel: Any,
) -> OutboxWorker:
    """An outbox worker delivering email to the sink and Telegram to the emulator."""
    return make_worker(sessions, sink, mail_config, clock, telegram=telegram_channel)


@pytest.fixture
async def running_bot(
    sessions: SessionFactory, emulator: Any, notify_settings: Settings
) -> AsyncIterator[Any]:
    """The real dispatcher polling the emulator, as `shagym run` would."""
    import asyncio

    from bot.api import make_bot
    from bot.dispatcher import create_dispatcher
    from bot.service import serve

    bot = make_bot(emulator.token, emulator.base_url)
    dp = create_dispatcher(settings=notify_settings, sessions=sessions)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(dp, bot, stop, polling_timeout=1))
    yield bot
    stop.set()
    await asyncio.wait_for(task, 30)
    await bot.session.close()

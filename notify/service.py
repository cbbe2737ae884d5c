"""The notify loops the runner starts: `run_outbox` delivers the outbox, `run_digests` owes
each commission its daily digest."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random

from core.settings import Settings
from models.db import SessionFactory
from notify.clock import Clock
from notify.compose import MailConfig
from notify.email_channel import EmailChannel, InternalChannel
from notify.smtp import SmtpTransport
from notify.worker import ChannelAdapter, OutboxWorker

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0
ERROR_BACKOFF_SECONDS = (5.0, 120.0)


def mail_config(settings: Settings) -> MailConfig:
    return MailConfig(
        settings.MAIL_FROM, settings.zone, settings.ATTACHMENTS_DIR,
        web_base_url=settings.WEB_BASE_URL,
    )  # fmt: skip


def build_channels(
    settings: Settings, clock: Clock, telegram: ChannelAdapter | None = None
) -> dict[str, ChannelAdapter]:
    """The channels this deployment can deliver on; rows on any other channel wait."""
    channels: dict[str, ChannelAdapter] = {"internal": InternalChannel()}
    if settings.smtp_configured:
        transport = SmtpTransport.from_settings(settings)
        channels["email"] = EmailChannel(transport, mail_config(settings), clock)
    else:
        log.warning("SMTP_HOST is not set: email notifications wait in the outbox")
    if telegram is None and settings.BOT_TOKEN:
        from notify.telegram_channel import TelegramChannel

        telegram = TelegramChannel.from_settings(settings, clock)
    if telegram is not None:
        channels["telegram"] = telegram
    else:
        log.warning("BOT_TOKEN is not set: Telegram notifications wait in the outbox")
    return channels


def build_worker(
    settings: Settings, sessions: SessionFactory, clock: Clock | None = None
) -> OutboxWorker:
    clock = clock or Clock()
    return OutboxWorker(
        sessions,
        build_channels(settings, clock),
        domain=mail_config(settings).domain,
        clock=clock,
        lease=dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
    )


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def run_outbox(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """Deliver the outbox until `stop` is set; the channels' connections are closed on the way
    out, also when the runner cancels a loop that did not stop in time."""
    worker = build_worker(settings, sessions)
    try:
        await _deliver_until(worker, stop)
    finally:
        for channel in worker.channels.values():
            await channel.close()
            shutdown = getattr(channel, "shutdown", None)
            if shutdown is not None:
                await shutdown()


async def _deliver_until(worker: OutboxWorker, stop: asyncio.Event) -> None:
    failures = 0
    while not stop.is_set():
        try:
            count = await worker.run_once()
            failures = 0
        except Exception:
            failures += 1
            low, high = ERROR_BACKOFF_SECONDS
            delay = min(high, low * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            log.error("outbox: batch failed; next try in %.0fs", delay, exc_info=True)
            await wait_or_stop(stop, delay)
            continue
        if count == 0:
            await wait_or_stop(stop, IDLE_SECONDS)


async def run_digests(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """Owe every commission its digest at DIGEST_AT in TIMEZONE (a missed one on start)."""
    from notify.digest.schedule import DigestScheduler

    await DigestScheduler.from_settings(settings, sessions).run(stop)

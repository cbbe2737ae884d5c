"""The notify loops the runner starts: `run_outbox` delivers the outbox, `run_digests` owes
each commission its daily digest."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random

from core.metrics import ERRORS
from core.settings import Settings
from core.status import STATUS
from models.db import SessionFactory
from notify.clock import Clock
from notify.compose import MailConfig
from notify.email_channel import EmailChannel, InternalChannel
from notify.lanes import Holding
from notify.smtp import SmtpPool
from notify.worker import ChannelAdapter, OutboxWorker

log = logging.getLogger(__name__)

# Without a bell (rows owed by another process) a new row waits at most this long.
IDLE_SECONDS = 1.0
IDLE_CLOSE_SECONDS = 10.0  # idle this long and the SMTP connections are closed
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
        transport = SmtpPool.from_settings(settings)
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
    email = worker.channels.get("email")
    if isinstance(email, EmailChannel):
        await email.transport.probe()
    try:
        await deliver_until(worker, stop, STATUS.subscribe())
    finally:
        for channel in worker.channels.values():
            await channel.close()
            shutdown = getattr(channel, "shutdown", None)
            if shutdown is not None:
                await shutdown()


async def deliver_until(
    worker: OutboxWorker, stop: asyncio.Event, wake: asyncio.Event | None = None
) -> None:
    """Deliver until `stop` is set, the next batch claimed while the lanes send the last one;
    the rows in hand are finished before it returns."""
    holding = Holding(worker)
    lanes = asyncio.create_task(holding.run(), name="outbox-lanes")
    try:
        await _claim_until(worker, holding, stop, wake or asyncio.Event())
    finally:
        await holding.close()
        try:
            await lanes
        finally:
            lanes.cancel()


async def _claim_until(
    worker: OutboxWorker, holding: Holding, stop: asyncio.Event, wake: asyncio.Event
) -> None:
    # In hand at most two batches; the next is claimed once a batch's worth is out, so the
    # lanes never wait for a claim and a claim is never for a row or two.
    room = 2 * worker.batch
    failures, idle_since, closed = 0, None, True
    while not stop.is_set():
        await holding.wait_below(worker.batch + 1)
        wake.clear()
        try:
            rows, loaded = await worker.claim_loaded(room - len(holding))
            failures = 0
        except Exception:
            ERRORS.labels("outbox").inc()
            failures += 1
            low, high = ERROR_BACKOFF_SECONDS
            delay = min(high, low * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            log.error("outbox: claim failed; next try in %.0fs", delay, exc_info=True)
            await wait_or_stop(stop, delay)
            continue
        await holding.add(rows, loaded)
        if rows:
            idle_since, closed = None, False
            continue
        now = asyncio.get_running_loop().time()
        if not len(holding):
            idle_since = idle_since or now
            if not closed and now - idle_since >= IDLE_CLOSE_SECONDS:
                await worker.close_channels()  # servers drop idle connections anyway
                closed = True
        await _woken(stop, wake, IDLE_SECONDS)


async def _woken(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Wait until notifications are owed (the bell), `stop` is set, or `seconds` pass."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run_digests(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """Owe every commission its digest at DIGEST_AT in TIMEZONE (a missed one on start)."""
    from notify.digest.schedule import DigestScheduler

    await DigestScheduler.from_settings(settings, sessions).run(stop)

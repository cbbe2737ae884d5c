"""The mail loop: connect, pass over the inbox, wait for mail (IDLE or polling), repeat.

Connections are renewed before 29 minutes (RFC 2177 asks clients to re-issue IDLE at least
that often; a fresh login also clears any server-side state gone stale). Every failure is
caught here, at the loop's edge, logged, and followed by a jittered exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from typing import Any

from core.metrics import ERRORS
from core.settings import Settings
from core.status import STATUS
from mail_ingest.imap import CONNECTION_ERRORS, ImapClient
from mail_ingest.ingest import brief_error
from mail_ingest.poller import BATCH_MESSAGES, AfterCommit, InboxPass, PassReport
from models.db import SessionFactory
from models.leader import RETRY_SECONDS, Leadership, leader_lock, while_leader
from models.queued import queued

log = logging.getLogger(__name__)
RENEW_AFTER = 25 * 60.0  # seconds a connection is used before a fresh login
IDLE_SLICE = 5 * 60.0  # longest single IDLE; a pass follows every wake-up


class Backoff:
    """Exponential delays with jitter: half fixed, half random, capped."""

    def __init__(self, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self.rng = rng or random.Random()

    def next(self) -> float:
        delay = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def reset(self) -> None:
        self.failures = 0


def _loggable(exc: BaseException) -> str:
    """IMAP and network errors carry only the server's words; others may carry data."""
    if isinstance(exc, CONNECTION_ERRORS):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return brief_error(exc)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds` unless `stop` is set first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class MailService:
    """The long-running poller. `passes` counts completed passes (tests await `passed`)."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backoff: Backoff | None = None,
        after_commit: AfterCommit | None = None,
        client_factory: Callable[[], ImapClient] | None = None,
        batch_messages: int = BATCH_MESSAGES,
    ) -> None:
        self.settings = settings
        self.inbox = InboxPass(
            settings, sessions, after_commit=after_commit, batch_messages=batch_messages
        )
        self.backoff = backoff or Backoff()
        self.new_client = client_factory or (lambda: ImapClient(settings, ssl_context=ssl_context))
        self.passes = 0
        self.errors = 0
        self.last: PassReport | None = None
        self.reports: list[PassReport] = []
        self._changed = asyncio.Condition()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._connection(stop)
            except Exception as exc:  # the loop's edge: log, back off, reconnect
                ERRORS.labels("mail").inc()
                STATUS.report("imap", False, type(exc).__name__)
                async with self._changed:
                    self.errors += 1
                    self._changed.notify_all()
                delay = self.backoff.next()
                log.warning(
                    "mail: %s; retrying in %.1fs", _loggable(exc), delay,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )  # fmt: skip
                await wait_or_stop(stop, delay)

    async def wait_passes(self, count: int) -> PassReport | None:
        """Wait until at least `count` passes have completed since start; the report of pass
        number `count` (another pass may have followed already)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.passes >= count)
        return self.reports[count - 1] if count > 0 else self.last

    async def wait_errors(self, count: int) -> None:
        """Wait until at least `count` failures have been caught at the loop's edge."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.errors >= count)

    async def _connection(self, stop: asyncio.Event) -> None:
        client = self.new_client()
        try:
            await asyncio.to_thread(client.connect)
            STATUS.report("imap", True)
            started = time.monotonic()
            while not stop.is_set():
                report = await self._pass(client)
                remaining = RENEW_AFTER - (time.monotonic() - started)
                if remaining <= 0:
                    return
                if report.outcomes or report.moved_only:
                    # Mail that arrived during a busy pass raised no IDLE wake-up (it came
                    # before IDLE began): look again at once rather than wait for the next.
                    continue
                if client.can_idle:
                    await self._idle(client, stop, min(IDLE_SLICE, remaining))
                else:
                    await wait_or_stop(stop, min(self.settings.IMAP_POLL_SECONDS, remaining))
        finally:
            await asyncio.to_thread(client.close)

    async def _pass(self, client: ImapClient) -> PassReport:
        report = await self.inbox.run(client)
        self.backoff.reset()
        if report.outcomes:
            log.info(
                "mail: %d new (%d created, %d appended, %d ignored, %d duplicate, %d quarantined)",
                len(report.outcomes), report.count("created"), report.count("appended"),
                report.count("ignored"), report.count("duplicate"), report.count("quarantined"),
            )  # fmt: skip
        async with self._changed:
            self.passes += 1
            self.last = report
            self.reports.append(report)
            self._changed.notify_all()
        return report

    async def _idle(self, client: ImapClient, stop: asyncio.Event, timeout: float) -> None:
        waiter = asyncio.ensure_future(asyncio.to_thread(client.idle, timeout))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not waiter.done():
            # Stopping: break the blocked read so the thread returns now, not at the timeout.
            client.interrupt()
            with contextlib.suppress(Exception):
                await waiter
            return
        waiter.result()


def mailbox_lock_name(settings: Settings) -> str:
    """One leader per mailbox: every poller of the same folder shares this name."""
    port = settings.IMAP_PORT or settings.IMAP_SECURITY.value
    return f"mail:{settings.IMAP_HOST}:{port}:{settings.IMAP_USER}:{settings.IMAP_FOLDER}"


class MailLeader:
    """Pollers of one mailbox in several processes: the one holding the mailbox's leader lock
    polls, the others stand by and take over within seconds when it dies. `services` are the
    pollers this process ran, one per term it led (tests read what each fetched)."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        *,
        lock: Leadership | None = None,
        retry: float = RETRY_SECONDS,
        **service: Any,
    ) -> None:
        self.settings, self.sessions, self.retry, self.service = settings, sessions, retry, service
        self.lock = lock or leader_lock(settings.DATABASE_URL, mailbox_lock_name(settings))
        self.services: list[MailService] = []

    @property
    def stored(self) -> int:
        """Messages this process fetched and stored (any status), over all its terms."""
        return sum(len(r.outcomes) for s in self.services for r in s.reports)

    async def run(self, stop: asyncio.Event) -> None:
        await while_leader(self.lock, stop, self._lead, retry=self.retry)

    async def _lead(self, term: asyncio.Event) -> None:
        service = MailService(self.settings, self.sessions, **self.service)
        self.services.append(service)
        await service.run(term)


async def run_mail(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """The runner's entry point: poll the hotline's mailbox until `stop` is set, while this
    process leads it."""
    log.info(
        "mail: watching %s on %s (%s)",
        settings.IMAP_FOLDER, settings.IMAP_HOST, settings.IMAP_SECURITY,
    )  # fmt: skip
    # Queued with the outbox's transactions when both run in this process (`models.queued`).
    await MailLeader(settings, queued(sessions)).run(stop)

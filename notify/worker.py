"""The outbox worker: claim due rows, deliver each on its channel, settle it.

Sent rows are settled `sent`; transient failures go back to `pending` after an exponential,
jittered delay (at least what the other side asked for); permanent failures and rows that ran
out of attempts go to `dead` with the per-recipient answer in `result`. Secrets that rode in a
payload only to be delivered (the receipt code of an ack) are erased once it is settled.

Leases are short so that a restart after a crash redelivers what the dead process held within
a couple of minutes, not ten. A batch is delivered as many rows at a time as each channel
carries (`notify.lanes`); before a row starts, the lease of the rows still waiting is renewed
if it would not cover the delivery (a slow batch keeps its later rows), and each delivery has a
time limit well below the lease (a hung server cannot make a row outlive its lease and be sent
by a second worker while the first still waits). A delivery that runs out of time is a
transient failure: retried later with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, Protocol, runtime_checkable

from sqlmodel.ext.asyncio.session import AsyncSession

from core.metrics import DELIVERIES, ERRORS
from models.db import SessionFactory
from models.queued import queued
from models.tables import Notification
from notify import claims
from notify.clock import Clock
from notify.content import Loaded, load, load_many
from notify.errors import Deferred, PermanentError, TransientError
from notify.lanes import Holding, capacity
from notify.settle import Settler

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 10
LEASE = dt.timedelta(minutes=2)
BATCH = 5
ROWS_PER_LANE = 5
# The share of the lease one delivery may take; the rest is for loading and settling the row.
DELIVERY_SHARE = 0.5


class ChannelAdapter(Protocol):
    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        """Send; return the per-recipient result, or raise TransientError/PermanentError/
        Deferred."""

    async def close(self) -> None: ...


@runtime_checkable
class Coalescing(Protocol):
    """A channel that can carry several rows in one message when its recipient is crowded."""

    def coalesces(self, loaded: Loaded) -> bool: ...

    async def deliver_many(self, items: list[Loaded]) -> dict[str, Any]: ...


@runtime_checkable
class Abortable(Protocol):
    def abort(self) -> None:
        """Drop the connection at once, without a goodbye (after a delivery ran out of time,
        the conversation is in an unknown state)."""


def backoff(attempts: int, rng: random.Random, at_least: float = 0.0) -> float:
    """Seconds before the next try after `attempts` tries: base·2^(n-1), capped, with the
    upper half jittered so many failed rows do not all come back at once."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return max(at_least, rng.uniform(ceiling / 2, ceiling))


def settled_payload(row: Notification) -> dict[str, Any]:
    """What stays of the payload once the row is settled either way."""
    payload = dict(row.payload or {})
    payload.pop("receipt_code", None)
    if row.kind == "digest":  # the rendered digest is only needed until it is delivered
        payload = {key: payload[key] for key in ("run", "period", "subject") if key in payload}
    return payload


class OutboxWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        channels: Mapping[str, ChannelAdapter],
        *,
        domain: str,
        clock: Clock | None = None,
        batch: int | None = None,
        lease: dt.timedelta = LEASE,
        delivery_timeout: float | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
        kinds: set[str] | None = None,
    ) -> None:
        self.sessions = queued(sessions)
        self.channels = dict(channels)
        self.domain = domain
        self.clock = clock or Clock()
        # Several rows waiting behind each lane: a claim is one transaction whatever its size,
        # and claims of a row or two each cost nearly what one of many does (2,000-alert
        # benchmark, 4 SMTP connections: 2 rows a lane 0.34x bare aiosmtplib on PostgreSQL,
        # 5 rows a lane 0.69x; SQLite 0.40x -> 0.46x).
        lanes = sum(capacity(c) for c in self.channels.values())
        self.batch = batch or max(BATCH, ROWS_PER_LANE * lanes)
        self.lease = lease
        lease_seconds = lease.total_seconds()
        self.delivery_timeout = delivery_timeout or lease_seconds * DELIVERY_SHARE
        if not 0 < self.delivery_timeout < lease_seconds:
            raise ValueError(
                f"the delivery time limit ({self.delivery_timeout}s) must be below the lease"
                f" ({lease_seconds}s)"
            )
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()
        self.kinds = kinds  # only these kinds of notification (None: all)
        self.settler = Settler(self.sessions)

    async def claim_loaded(
        self,
        limit: int | None = None,
        *,
        recipients: list[str] | None = None,
        kinds: set[str] | None = None,
    ) -> tuple[list[Notification], dict[int | None, Loaded]]:
        """Claim up to `limit` (default the batch) due rows on this worker's channels (of its
        kinds, narrowed to `kinds` and `recipients` when given), and what they are about,
        loaded in the claim's transaction. A row missing from the second value (its batch
        failed to load) is loaded on its own when delivered."""
        if kinds is not None and self.kinds is not None:
            kinds = kinds & self.kinds
        loaded: dict[int | None, Loaded] = {}

        async def loader(session: AsyncSession, rows: list[Notification]) -> None:
            loaded.update({item.notification.id: item for item in await load_many(session, rows)})

        rows = await claims.claim(
            self.sessions,
            now=self.clock.now(),
            lease=self.lease,
            channels=self.channels,
            limit=limit or self.batch,
            domain=self.domain,
            kinds=self.kinds if kinds is None else kinds,
            recipients=recipients,
            load=loader,
        )
        return rows, loaded

    async def run_once(self) -> int:
        """Claim one batch and settle every row of it, as many at a time as the channels
        carry; the number of rows claimed."""
        rows, loaded = await self.claim_loaded()
        holding = Holding(self)
        await holding.add(rows, loaded)
        await holding.close()
        try:
            await holding.run()
        finally:
            await self.close_channels()
        return len(rows)

    async def close_channels(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    async def drain(self, limit: int = 1000) -> int:
        """Run batches until nothing is due (tests, `shagym digest send`)."""
        total = 0
        while total < limit:
            count = await self.run_once()
            if not count:
                break
            total += count
        return total

    async def deliver(self, row: Notification, loaded: Loaded | None = None) -> None:
        if loaded is None:
            async with self.sessions() as session:
                loaded = await load(session, row)
        channel = self.channels[row.channel]
        await self._attempt([row], channel, partial(channel.deliver, loaded))

    async def deliver_together(self, items: list[tuple[Notification, Loaded]]) -> None:
        """Several rows in one message (`notify.coalesce`): each settled by its outcome."""
        channel = self.channels[items[0][0].channel]
        assert isinstance(channel, Coalescing)
        call = partial(channel.deliver_many, [loaded for _, loaded in items])
        await self._attempt([row for row, _ in items], channel, call)

    async def _attempt(
        self,
        rows: list[Notification],
        channel: ChannelAdapter,
        call: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self.settler.started(len(rows))
        try:
            await self._attempt_settled(rows, channel, call)
        finally:
            self.settler.ended(len(rows))

    async def _attempt_settled(
        self,
        rows: list[Notification],
        channel: ChannelAdapter,
        call: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        first = rows[0]

        def count(result: str) -> None:
            DELIVERIES.labels(first.channel, first.kind, result).inc(len(rows))

        try:
            async with asyncio.timeout(self.delivery_timeout) as limit:
                result = await call()
        except TimeoutError as exc:  # ours, or one the channel did not classify
            count("retry")
            if limit.expired():
                self._abort(channel)
                reason = f"delivery took longer than {self.delivery_timeout:g}s"
            else:
                reason = f"TimeoutError: {exc}"
            for row in rows:
                await self._retry(row, reason, {}, 0.0)
        except Deferred as paced:
            count("paced")
            at = self.clock.now() + dt.timedelta(seconds=paced.seconds)
            for row in rows:
                await claims.retry_later(
                    self.sessions, row, at=at, error=str(paced), result=row.result,
                    count_attempt=False,
                )  # fmt: skip
        except PermanentError as exc:
            count("dead")
            for row in rows:
                await self._dead(row, exc.reason, exc.result)
        except TransientError as exc:
            count("retry")
            for row in rows:
                await self._retry(row, exc.reason, exc.result, exc.retry_after)
        except Exception as exc:  # a bug or an unforeseen failure: retried, and logged loudly
            count("error")
            ERRORS.labels("outbox").inc()
            log.error("notification %s (%s) failed", first.id, first.kind, exc_info=True)
            for row in rows:
                await self._retry(row, f"{type(exc).__name__}: {exc}", {}, 0.0)
        else:
            count("sent")
            for row in rows:
                await self._sent(row, result)

    @staticmethod
    def _abort(channel: ChannelAdapter) -> None:
        """After a timeout, a channel that holds a connection drops it (the next delivery
        starts a fresh conversation); the others were already left clean by cancellation."""
        if isinstance(channel, Abortable):
            channel.abort()

    async def _sent(self, row: Notification, result: dict[str, Any]) -> None:
        await self.settler.mark_sent(
            row, sent_at=self.clock.now(), result=result, payload=settled_payload(row)
        )
        log.debug("notification %s (%s via %s) sent", row.id, row.kind, row.channel)

    async def _retry(
        self, row: Notification, reason: str, result: dict[str, Any], at_least: float
    ) -> None:
        if row.attempts >= self.max_attempts:
            await self._dead(row, f"gave up after {row.attempts} attempts: {reason}", result)
            return
        delay = backoff(row.attempts, self.rng, at_least)
        at = self.clock.now() + dt.timedelta(seconds=delay)
        await claims.retry_later(self.sessions, row, at=at, error=reason, result=result)
        log.info("notification %s: %s; retry in %.0fs", row.id, reason, delay)

    async def _dead(self, row: Notification, reason: str, result: dict[str, Any]) -> None:
        await claims.dead_letter(
            self.sessions, row, error=reason, result=result, payload=settled_payload(row)
        )
        if result.get("blocked"):
            await claims.mark_reporter_blocked(self.sessions, row.channel, row.recipient)
        log.warning("notification %s (%s via %s) dead: %s", row.id, row.kind, row.channel, reason)

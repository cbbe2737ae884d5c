"""The outbox worker: claim due rows, deliver each on its channel, settle it.

Sent rows are settled `sent`; transient failures go back to `pending` after an exponential,
jittered delay (at least what the other side asked for); permanent failures and rows that ran
out of attempts go to `dead` with the per-recipient answer in `result`. Secrets that rode in a
payload only to be delivered (the receipt code of an ack) are erased once it is settled.

Leases are short so that a restart after a crash redelivers what the dead process held within
a couple of minutes, not ten. The batch is delivered one row at a time, so before each delivery
the worker renews the lease of the rows still waiting in it (a slow batch keeps its later rows),
and each delivery has a time limit well below the lease (a hung server cannot make a row
outlive its lease and be sent by a second worker while the first still waits). A delivery that
runs out of time is a transient failure: retried later with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from models.db import SessionFactory
from models.tables import Notification
from notify import claims
from notify.clock import Clock
from notify.content import Loaded, load
from notify.errors import Deferred, PermanentError, TransientError

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 10
LEASE = dt.timedelta(minutes=2)
BATCH = 5
# The share of the lease one delivery may take; the rest is for loading and settling the row.
DELIVERY_SHARE = 0.5


class ChannelAdapter(Protocol):
    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        """Send; return the per-recipient result, or raise TransientError/PermanentError/
        Deferred."""

    async def close(self) -> None: ...


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
        batch: int = BATCH,
        lease: dt.timedelta = LEASE,
        delivery_timeout: float | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
        kinds: set[str] | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = dict(channels)
        self.domain = domain
        self.clock = clock or Clock()
        self.batch = batch
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

    async def run_once(self) -> int:
        """Claim one batch and settle every row of it; the number of rows claimed."""
        rows = await claims.claim(
            self.sessions,
            now=self.clock.now(),
            lease=self.lease,
            channels=self.channels,
            limit=self.batch,
            domain=self.domain,
            kinds=self.kinds,
        )
        try:
            waiting = rows
            while waiting:
                waiting = await self._renew(waiting)
                if waiting:
                    await self.deliver(waiting.pop(0))
        finally:
            for channel in self.channels.values():
                await channel.close()
        return len(rows)

    async def drain(self, limit: int = 1000) -> int:
        """Run batches until nothing is due (tests, `shagym digest send`)."""
        total = 0
        while total < limit:
            count = await self.run_once()
            if not count:
                break
            total += count
        return total

    async def _renew(self, waiting: list[Notification]) -> list[Notification]:
        """Renew the lease of the rows still waiting in the batch; those whose lease another
        worker took (this one overran it) are left to that worker."""
        held = await claims.renew(self.sessions, waiting, now=self.clock.now(), lease=self.lease)
        kept = {row.id for row in held}
        for row in waiting:
            if row.id not in kept:
                log.warning("notification %s: lease lost while waiting in the batch", row.id)
        return held

    async def deliver(self, row: Notification) -> None:
        async with self.sessions() as session:
            loaded = await load(session, row)
        channel = self.channels[row.channel]
        try:
            async with asyncio.timeout(self.delivery_timeout) as limit:
                result = await channel.deliver(loaded)
        except TimeoutError as exc:  # ours, or one the channel did not classify
            if limit.expired():
                self._abort(channel)
                reason = f"delivery took longer than {self.delivery_timeout:g}s"
            else:
                reason = f"TimeoutError: {exc}"
            await self._retry(row, reason, {}, 0.0)
        except Deferred as paced:
            at = self.clock.now() + dt.timedelta(seconds=paced.seconds)
            await claims.retry_later(
                self.sessions, row, at=at, error=str(paced), result=row.result, count_attempt=False
            )
        except PermanentError as exc:
            await self._dead(row, exc.reason, exc.result)
        except TransientError as exc:
            await self._retry(row, exc.reason, exc.result, exc.retry_after)
        except Exception as exc:  # a bug or an unforeseen failure: retried, and logged loudly
            log.error("notification %s (%s) failed", row.id, row.kind, exc_info=True)
            await self._retry(row, f"{type(exc).__name__}: {exc}", {}, 0.0)
        else:
            await self._sent(row, result)

    @staticmethod
    def _abort(channel: ChannelAdapter) -> None:
        """After a timeout, a channel that holds a connection drops it (the next delivery
        starts a fresh conversation); the others were already left clean by cancellation."""
        if isinstance(channel, Abortable):
            channel.abort()

    async def _sent(self, row: Notification, result: dict[str, Any]) -> None:
        settled = await claims.mark_sent(
            self.sessions, row, now=self.clock.now(), result=result, payload=settled_payload(row)
        )
        if settled:
            log.info("notification %s (%s via %s) sent", row.id, row.kind, row.channel)
        else:
            log.warning("notification %s: lease lost before it was marked sent", row.id)

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

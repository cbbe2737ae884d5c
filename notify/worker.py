"""The outbox worker: claim due rows, deliver each on its channel, settle it.

Sent rows are settled `sent`; transient failures go back to `pending` after an exponential,
jittered delay (at least what the other side asked for); permanent failures and rows that ran
out of attempts go to `dead` with the per-recipient answer in `result`. Secrets that rode in a
payload only to be delivered (the receipt code of an ack) are erased once it is settled.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Mapping
from typing import Any, Protocol

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
LEASE = dt.timedelta(minutes=10)
BATCH = 5


class ChannelAdapter(Protocol):
    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        """Send; return the per-recipient result, or raise TransientError/PermanentError/
        Deferred."""

    async def close(self) -> None: ...


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
            for row in rows:
                await self.deliver(row)
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

    async def deliver(self, row: Notification) -> None:
        async with self.sessions() as session:
            loaded = await load(session, row)
        try:
            result = await self.channels[row.channel].deliver(loaded)
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

"""Claiming outbox rows with a lease, and settling them.

A claim moves due rows to `sending` with `lease_until` set, in one statement: PostgreSQL skips
rows another worker holds (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers anyway
(`BEGIN IMMEDIATE`), so its single UPDATE … RETURNING is atomic. A row whose lease ran out
(the worker died between sending and settling) is claimed again and sent again with the same
Message-ID, which was stored at the first claim. Settling is conditional on the lease the
worker holds, so a worker that overran its lease cannot overwrite a newer claim.

The lease is short (a restart after a crash waits at most that long), so a worker renews it
for the rows still waiting in its batch before it delivers each one; renewing is conditional
on the held lease in the same way, and a row whose lease was lost is left to its new holder.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import keyed_hash
from models.db import SessionFactory
from models.outbox import message_id_for
from models.tables import Notification, NotificationStatus, Reporter
from notify.digest.queries import dialect

log = logging.getLogger(__name__)
Loader = Callable[[AsyncSession, list[Notification]], Awaitable[None]]


async def claim(
    sessions: SessionFactory,
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    channels: Iterable[str],
    limit: int,
    domain: str,
    kinds: Iterable[str] | None = None,
    recipients: Iterable[str] | None = None,
    load: Loader | None = None,
) -> list[Notification]:
    """Claim up to `limit` due rows on `channels` (of `kinds` and to `recipients`, default
    all); each gets a Message-ID if it had none. `load` is given the claimed rows inside the
    claim's transaction (one BEGIN … COMMIT less per batch), in a savepoint of its own: when
    it fails, the claim stands and the rows are loaded again one by one when delivered."""
    due = (
        select(Notification.id)
        .where(
            col(Notification.status).in_([NotificationStatus.pending, NotificationStatus.sending]),
            col(Notification.channel).in_(list(channels)),
            Notification.next_attempt_at <= now,
            or_(col(Notification.lease_until).is_(None), col(Notification.lease_until) <= now),
        )
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(limit)
    )
    if kinds is not None:
        due = due.where(col(Notification.kind).in_(list(kinds)))
    if recipients is not None:
        # Recipients are encrypted at rest (a fresh nonce each time): match their keyed hash.
        hashes = [keyed_hash(r) for r in recipients]
        due = due.where(col(Notification.recipient_hash).in_(hashes))
    async with sessions() as session:
        if dialect(session) == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = await session.exec(  # type: ignore[call-overload]
            update(Notification)
            .where(col(Notification.id).in_(due.scalar_subquery()))
            .values(
                status=NotificationStatus.sending,
                lease_until=now + lease,
                attempts=Notification.attempts + 1,
            )
            .returning(Notification)  # the claimed rows themselves: no second query
            .execution_options(synchronize_session=False)
        )
        rows = sorted(claimed.scalars(), key=lambda r: (r.next_attempt_at, r.id))
        for row in rows:
            if row.message_id is None:
                row.message_id = message_id_for(row, domain)
                session.add(row)
        if rows and load is not None:
            try:
                async with session.begin_nested():
                    await load(session, rows)
            except Exception:
                log.error("outbox: loading a claimed batch failed", exc_info=True)
        await session.commit()
        return rows


async def renew(
    sessions: SessionFactory,
    rows: Iterable[Notification],
    *,
    now: dt.datetime,
    lease: dt.timedelta,
) -> list[Notification]:
    """Extend the lease of `rows` to `now + lease` where this worker still holds it; the rows
    renewed, in the order given, with their in-memory `lease_until` updated (what the next
    renewal and the settling compare against)."""
    rows = list(rows)
    if not rows:
        return []
    held = or_(
        *(
            and_(col(Notification.id) == r.id, col(Notification.lease_until) == r.lease_until)
            for r in rows
        )
    )
    until = now + lease
    async with sessions() as session:
        renewed = await session.exec(  # type: ignore[call-overload]
            update(Notification)
            .where(col(Notification.status) == NotificationStatus.sending, held)
            .values(lease_until=until)
            .returning(col(Notification.id))
        )
        ids = {row[0] for row in renewed}
        await session.commit()
    kept = [row for row in rows if row.id in ids]
    for row in kept:
        row.lease_until = until
    return kept


async def _settle(sessions: SessionFactory, row: Notification, values: dict[str, Any]) -> bool:
    async with sessions() as session:
        result = await session.exec(  # type: ignore[call-overload]
            update(Notification)
            .where(
                col(Notification.id) == row.id,
                col(Notification.status) == NotificationStatus.sending,
                col(Notification.lease_until) == row.lease_until,
            )
            .values(**values)
        )
        await session.commit()
        return bool(result.rowcount)


async def mark_sent(
    sessions: SessionFactory,
    row: Notification,
    *,
    now: dt.datetime,
    result: dict[str, Any],
    payload: dict[str, Any],
) -> bool:
    return await _settle(
        sessions,
        row,
        {
            "status": NotificationStatus.sent,
            "sent_at": now,
            "lease_until": None,
            "last_error": None,
            "result": result,
            "payload": payload,
        },
    )


async def retry_later(
    sessions: SessionFactory,
    row: Notification,
    *,
    at: dt.datetime,
    error: str,
    result: dict[str, Any],
    count_attempt: bool = True,
) -> bool:
    values: dict[str, Any] = {
        "status": NotificationStatus.pending,
        "next_attempt_at": at,
        "lease_until": None,
        "last_error": error,
        "result": result,
    }
    if not count_attempt:  # paced, not tried: give the attempt back
        values["attempts"] = max(0, row.attempts - 1)
    return await _settle(sessions, row, values)


async def dead_letter(
    sessions: SessionFactory,
    row: Notification,
    *,
    error: str,
    result: dict[str, Any],
    payload: dict[str, Any],
) -> bool:
    return await _settle(
        sessions,
        row,
        {
            "status": NotificationStatus.dead,
            "lease_until": None,
            "last_error": error,
            "result": result,
            "payload": payload,
        },
    )


async def mark_reporter_blocked(sessions: SessionFactory, channel: str, address: str) -> None:
    """A citizen who blocked the bot is owed nothing more on that channel (no retries)."""
    async with sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Reporter)
            .where(
                col(Reporter.channel) == channel,
                col(Reporter.address_hash) == keyed_hash(address),
            )
            .values(blocked=True)
        )
        await session.commit()

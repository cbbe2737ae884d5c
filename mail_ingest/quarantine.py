"""Quarantined mail: what could not be processed, kept raw with the error, replayable.

A replay runs the stored bytes through the same path again (after a fix, say); the row keeps
its id and hash and takes the new outcome. A message that fails again stays quarantined with
the new error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from mail_ingest.config import IngestSettings
from mail_ingest.decide import Context
from mail_ingest.ingest import Item, Source, describe_error, is_transient, process
from models.db import SessionFactory
from models.tables import Case, InboundEmail

QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    id: int
    received: dt.datetime
    size: int
    mailbox: str
    reason: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "received": self.received.isoformat(),
            "size": self.size,
            "mailbox": self.mailbox,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Replayed:
    id: int
    status: str
    case: str | None
    reason: str | None

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "case": self.case, "reason": self.reason}


async def list_quarantine(sessions: SessionFactory) -> list[QuarantineEntry]:
    async with sessions() as session:
        rows = await session.exec(
            select(InboundEmail)
            .options(defer(InboundEmail.raw))  # type: ignore[arg-type]
            .where(InboundEmail.status == QUARANTINED)
            .order_by(col(InboundEmail.id))
        )
        return [
            QuarantineEntry(row.id or 0, row.created_at, row.size, row.mailbox, row.reason)
            for row in rows
        ]


async def _replay_row(
    session: AsyncSession, row: InboundEmail, ctx: Context, limit: int
) -> Replayed:
    assert row.id is not None
    source = Source(mailbox=row.mailbox, uidvalidity=row.uidvalidity, uid=row.uid, size=row.size)
    try:
        async with session.begin_nested():
            fresh, decision = await process(session, Item(row.raw, source), row.sha256, ctx, limit)
            await session.flush()
    except Exception as exc:
        if is_transient(exc):
            raise
        row.reason = describe_error(exc)
        session.add(row)
        return Replayed(row.id, QUARANTINED, None, row.reason)
    row.status, row.reason = fresh.status, f"replayed: {fresh.reason or 'ok'}"
    row.case_id, row.message_id = fresh.case_id, fresh.message_id
    session.add(row)
    case = decision.case or (await session.get(Case, row.case_id) if row.case_id else None)
    return Replayed(row.id, row.status, case.number if case else None, row.reason)


async def replay(
    sessions: SessionFactory, settings: IngestSettings, ids: Sequence[int] = ()
) -> list[Replayed]:
    """Replay the given quarantined messages (all of them when `ids` is empty)."""
    results = []
    async with sessions() as session:
        query = select(InboundEmail).where(InboundEmail.status == QUARANTINED)
        if ids:
            query = query.where(col(InboundEmail.id).in_(list(ids)))
        rows = list((await session.exec(query.order_by(col(InboundEmail.id)))).all())
        ctx = await Context.load(session, settings)
        for row in rows:
            results.append(await _replay_row(session, row, ctx, settings.max_bytes))
        await session.commit()
    missing = sorted(set(ids) - {r.id for r in results})
    results += [
        Replayed(i, "missing", None, "no quarantined message with this id") for i in missing
    ]
    return results

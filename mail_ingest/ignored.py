"""Ignored mail: what robots and lists sent (auto-replies, list mail, our own mail coming back,
delivery reports), kept raw with its hash and the reason it opened no case.

A person who decides that one was a real report promotes it: its stored bytes go through the
path arriving mail takes (`ingest.process`, acknowledgement rules included) with the robot
rules off, and the row takes the new outcome. Promoting is idempotent: the row is locked and
read again first, so a second promotion finds it no longer ignored and opens nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from mail_ingest.config import IngestSettings
from mail_ingest.decide import Context
from mail_ingest.files import FILE_MAILBOX
from mail_ingest.ingest import Item, Source, describe_error, is_transient, process
from models.db import SessionFactory
from models.tables import AuditLog, Case, InboundEmail

IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class IgnoredEntry:
    id: int
    received: dt.datetime
    size: int
    sha256: str
    mailbox: str
    reason: str | None
    case: str | None  # the case an ignored reply was about, if any

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "received": self.received.isoformat(),
            "size": self.size,
            "sha256": self.sha256,
            "mailbox": self.mailbox,
            "reason": self.reason,
            "case": self.case,
        }


@dataclass(frozen=True, slots=True)
class Promoted:
    id: int
    status: str  # created | appended | unchanged (not ignored) | missing | failed
    case: str | None
    reason: str | None

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "case": self.case, "reason": self.reason}


async def list_ignored(sessions: SessionFactory) -> list[IgnoredEntry]:
    """Every ignored message, oldest first (without loading the raw bytes)."""
    async with sessions() as session:
        rows = await session.exec(
            select(InboundEmail, Case.number)
            .options(defer(InboundEmail.raw))  # type: ignore[arg-type]
            .outerjoin(Case, col(Case.id) == col(InboundEmail.case_id))
            .where(InboundEmail.status == IGNORED)
            .order_by(col(InboundEmail.id))
        )
        return [
            IgnoredEntry(
                row.id or 0, row.created_at, row.size, row.sha256, row.mailbox, row.reason, number
            )
            for row, number in rows
        ]


async def read_raw(sessions: SessionFactory, inbound_id: int, *, actor: str) -> bytes | None:
    """The stored bytes of an ignored message, for a person deciding whether to promote it;
    the read is recorded in the audit log (`read.inbound`), the content is not."""
    async with sessions() as session:
        row = await session.get(InboundEmail, inbound_id)
        if row is None or row.status != IGNORED:
            return None
        details = {"inbound": inbound_id, "status": row.status}
        session.add(
            AuditLog(actor=actor, action="read.inbound", case_id=row.case_id, details=details)
        )
        await session.commit()
        return row.raw


def _source(row: InboundEmail) -> Source:
    """Where the row came from, with its arrival time: the case is dated when the mail came."""
    from_file = row.mailbox == FILE_MAILBOX
    return Source(
        mailbox=row.mailbox,
        uidvalidity=row.uidvalidity,
        uid=row.uid,
        size=row.size,
        received_at=None if from_file else row.created_at,
        headers_only=(row.reason or "").startswith("over the size limit"),
        date_from_header=from_file,
    )


async def _case_number(session: AsyncSession, case_id: int | None) -> str | None:
    case = await session.get(Case, case_id) if case_id is not None else None
    return case.number if case else None


async def _promote_row(
    session: AsyncSession, row: InboundEmail, settings: IngestSettings, actor: str
) -> Promoted:
    assert row.id is not None
    ctx = await Context.load(session, settings)
    item = Item(row.raw, _source(row))
    try:
        async with session.begin_nested():
            fresh, decision = await process(
                session, item, row.sha256, ctx, settings.max_bytes, promoted=True
            )
            await session.flush()
    except Exception as exc:
        if is_transient(exc):
            raise
        return Promoted(row.id, "failed", None, describe_error(exc))
    row.status, row.case_id = fresh.status, fresh.case_id
    row.reason = f"promoted by {actor}: {fresh.reason or 'ok'}; was: {row.reason or ''}"[:2000]
    session.add(row)
    session.add(
        AuditLog(
            actor=actor,
            action="mail.promoted",
            case_id=row.case_id,
            details={"inbound": row.id, "status": row.status},
        )
    )
    case = decision.case.number if decision.case else await _case_number(session, row.case_id)
    return Promoted(row.id, row.status, case, fresh.reason)


async def promote(
    sessions: SessionFactory, settings: IngestSettings, inbound_id: int, *, actor: str
) -> Promoted:
    """Make an ignored message a case (or the follow-up it was) as if it had come from a person;
    `actor` (`cli:<os user>`) is recorded in the audit log."""
    async with sessions() as session:
        # FOR UPDATE on PostgreSQL (SQLite holds its one write lock): two promotions at once
        # see the row one after the other.
        query = select(InboundEmail).where(InboundEmail.id == inbound_id).with_for_update()
        row = (await session.exec(query)).first()
        if row is None:
            return Promoted(inbound_id, "missing", None, "no stored message with this id")
        if row.status != IGNORED:
            case = await _case_number(session, row.case_id)
            return Promoted(inbound_id, "unchanged", case, f"not ignored: {row.status}")
        result = await _promote_row(session, row, settings, actor)
        await session.commit()
    return result

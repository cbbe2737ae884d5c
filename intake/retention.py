"""Retention: what is not needed is not kept.

RETENTION_DAYS after a case was closed, its personal data is erased: the report text, the
thread's texts and raw originals, the raw email, the entities (phones, IINs), the attachments
(rows and files no other case holds), what its notifications carried, and its reporter's
address and contact when no kept case still needs them. The case keeps its number, region,
district, category, channel, language, dates and outcome: the statistics. Quarantined and
ignored mail, and ledger rows of Telegram updates, older than the same limit go as well.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.attachments import relative_path_for
from models.db import SessionFactory
from models.tables import (
    Attachment,
    Case,
    CaseEntity,
    InboundEmail,
    Message,
    Notification,
    Reporter,
    TelegramUpdate,
)

log = logging.getLogger(__name__)
ERASED = ""  # what an erased text becomes (the columns are NOT NULL)


@dataclass(slots=True)
class Purge:
    """What a purge erased (or, dry, would erase)."""

    cases: list[str] = field(default_factory=list)
    attachments: int = 0
    files: int = 0
    reporters: int = 0
    mail: int = 0
    updates: int = 0
    removable: list[str] = field(default_factory=list)  # evidence files to delete on commit

    def summary(self) -> str:
        return (
            f"{len(self.cases)} closed cases, {self.attachments} attachments "
            f"({self.files} files), {self.reporters} reporters' addresses, {self.mail} "
            f"quarantined or ignored emails, {self.updates} Telegram updates"
        )


async def _due_cases(session: AsyncSession, cutoff: dt.datetime) -> list[Case]:
    query = select(Case).where(
        col(Case.closed_at).is_not(None),
        col(Case.closed_at) < cutoff,
        col(Case.purged_at).is_(None),
    )
    return list((await session.exec(query)).all())


async def _lonely_reporters(session: AsyncSession, ids: list[int], reporters: set[int]) -> set[int]:
    """The reporters none of whose other cases is kept."""
    if not reporters:
        return set()
    kept = await session.exec(
        select(Case.reporter_id).where(
            col(Case.reporter_id).in_(reporters),
            col(Case.id).not_in(ids),
            col(Case.purged_at).is_(None),
        )
    )
    return reporters - {r for r in kept if r is not None}


async def _files(session: AsyncSession, ids: list[int]) -> tuple[list[int], set[str]]:
    """The attachment rows of these cases, and the hashes no other case holds."""
    rows = list(
        await session.exec(select(Attachment.id, Attachment.sha256).where(  # type: ignore[call-overload]
            col(Attachment.case_id).in_(ids)
        ))
    )  # fmt: skip
    hashes = {sha for _, sha in rows}
    shared = await session.exec(
        select(Attachment.sha256).where(
            col(Attachment.sha256).in_(hashes), col(Attachment.case_id).not_in(ids)
        )
    )
    return [row_id for row_id, _ in rows if row_id is not None], hashes - set(shared)


async def _erase_cases(session: AsyncSession, ids: list[int], now: dt.datetime) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(Case)
        .where(col(Case.id).in_(ids))
        .values(text=ERASED, subject=None, entities={}, contact_shared=False, reporter_id=None,
                purged_at=now)
    )  # fmt: skip
    await session.exec(  # type: ignore[call-overload]
        update(Message).where(col(Message.case_id).in_(ids)).values(text=ERASED, raw_text=None)
    )
    await session.exec(delete(CaseEntity).where(col(CaseEntity.case_id).in_(ids)))  # type: ignore[call-overload]
    await session.exec(  # type: ignore[call-overload]
        update(InboundEmail).where(col(InboundEmail.case_id).in_(ids)).values(raw=b"")
    )
    await session.exec(  # type: ignore[call-overload]
        update(Notification)
        .where(col(Notification.case_id).in_(ids))
        .values(payload={}, last_error=None)
    )


async def _erase_reporters(session: AsyncSession, reporters: set[int]) -> None:
    for reporter_id in reporters:  # the hash is replaced too: nothing links a later message
        await session.exec(  # type: ignore[call-overload]
            update(Reporter)
            .where(col(Reporter.id) == reporter_id)
            .values(address=None, address_hash=f"erased:{reporter_id}", contact_phone=None,
                    contact_email=None)
        )  # fmt: skip


async def _old_mail_and_updates(
    session: AsyncSession, cutoff: dt.datetime, dry_run: bool
) -> tuple[int, int]:
    mail = col(InboundEmail.status).in_(("quarantined", "ignored")) & (
        col(InboundEmail.created_at) < cutoff
    )
    updates = col(TelegramUpdate.received_at) < cutoff
    n_mail = (await session.exec(select(func.count()).where(mail))).one()  # type: ignore[call-overload]
    n_updates = (await session.exec(select(func.count()).where(updates))).one()  # type: ignore[call-overload]
    if not dry_run:
        await session.exec(delete(InboundEmail).where(mail))  # type: ignore[call-overload]
        await session.exec(delete(TelegramUpdate).where(updates))  # type: ignore[call-overload]
    return int(n_mail), int(n_updates)


async def purge(
    session: AsyncSession,
    *,
    now: dt.datetime,
    days: int,
    dry_run: bool = False,
) -> Purge:
    """Erase (or, dry, count) what is past retention, in the caller's transaction; files go
    after the caller commits (`remove_files`), so a rollback never loses evidence still
    referenced."""
    cutoff = now - dt.timedelta(days=days)
    done = Purge()
    cases = await _due_cases(session, cutoff)
    ids = [c.id for c in cases if c.id is not None]
    done.cases = [c.number for c in cases]
    if ids:
        reporters = await _lonely_reporters(
            session, ids, {c.reporter_id for c in cases if c.reporter_id is not None}
        )
        rows, hashes = await _files(session, ids)
        done.attachments, done.files, done.reporters = len(rows), len(hashes), len(reporters)
        if not dry_run:
            await _erase_cases(session, ids, now)
            await session.exec(delete(Attachment).where(col(Attachment.id).in_(rows)))  # type: ignore[call-overload]
            await _erase_reporters(session, reporters)
            done.removable = sorted(hashes)
    done.mail, done.updates = await _old_mail_and_updates(session, cutoff, dry_run)
    return done


def remove_files(attachments_dir: Path, hashes: list[str]) -> None:
    for sha in hashes:
        (attachments_dir / relative_path_for(sha)).unlink(missing_ok=True)


async def purge_store(
    sessions: SessionFactory,
    *,
    now: dt.datetime,
    days: int,
    attachments_dir: Path,
    dry_run: bool = False,
) -> Purge:
    """One purge in its own transaction, then the files nothing references any more."""
    async with sessions() as session:
        done = await purge(session, now=now, days=days, dry_run=dry_run)
        if not dry_run:
            await session.commit()
    if not dry_run:
        remove_files(attachments_dir, done.removable)
        if done.cases or done.mail or done.updates:
            log.info("retention: erased %s", done.summary())
    return done

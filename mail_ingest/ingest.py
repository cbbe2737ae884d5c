"""Exactly-once ingest: raw bytes and their case in one transaction, duplicates recognised,
failures quarantined.

A batch of messages shares one transaction; each message runs in its own savepoint, so a
message that cannot be processed is rolled back alone and kept raw in quarantine while the
rest of the batch commits. Database trouble (locked, connection lost) is not the message's
fault: it aborts the whole batch, nothing is marked done, and the caller retries later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from mail_ingest.config import IngestSettings
from mail_ingest.decide import Context, Decision, Oversize, decide
from mail_ingest.parser import parse_email
from models.db import SessionFactory
from models.tables import Case, InboundEmail
from models.types import utcnow

log = logging.getLogger(__name__)
MAX_REASON_CHARS = 2000
EARLIEST_DATE = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


class TransientError(Exception):
    """The store could not take the batch now (locked, disconnected, a concurrent ingest)."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where the bytes came from: an IMAP folder position, or a file (`mailbox="file"`)."""

    mailbox: str
    uidvalidity: int | None = None
    uid: int | None = None
    size: int | None = None  # RFC822.SIZE; for a message over the limit, the whole size
    received_at: dt.datetime | None = None  # INTERNALDATE
    headers_only: bool = False  # only the header was fetched: the message was over the limit
    date_from_header: bool = False  # no arrival time known (a file): trust a plausible Date


@dataclass(frozen=True, slots=True)
class Item:
    raw: bytes
    source: Source


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # created | appended | duplicate | ignored | quarantined
    case: str | None
    reason: str | None
    inbound_id: int | None
    source: Source


def is_transient(exc: BaseException) -> bool:
    """Trouble with the store rather than with the message."""
    if isinstance(exc, TransientError | OperationalError | InterfaceError | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _body(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            return body
    return b""


async def _duplicate_of(session: AsyncSession, sha: str) -> InboundEmail | None:
    return (await session.exec(select(InboundEmail).where(InboundEmail.sha256 == sha))).first()


async def _same_message(
    session: AsyncSession, message_id: str | None, raw: bytes
) -> InboundEmail | None:
    """A second delivery of a stored message: same Message-ID and the same body (only the
    trace headers differ). A Message-ID alone is not enough: broken mailers reuse them."""
    if not message_id:
        return None
    rows = await session.exec(
        select(InboundEmail).where(
            InboundEmail.message_id == message_id,
            col(InboundEmail.status).in_(("created", "appended", "ignored")),
        )
    )
    body = _body(raw)
    return next((row for row in rows if _body(row.raw) == body), None)


def _row(item: Item, sha: str, status: str, reason: str | None) -> InboundEmail:
    source = item.source
    return InboundEmail(
        mailbox=source.mailbox,
        uidvalidity=source.uidvalidity,
        uid=source.uid,
        sha256=sha,
        size=source.size or len(item.raw),
        raw=item.raw,
        status=status,
        reason=reason[:MAX_REASON_CHARS] if reason else None,
    )


def _oversize_note(size: int, limit: int) -> str:
    return f"[message of {size} bytes, over the {limit}-byte limit: body and attachments not received]"


def _received_at(source: Source, claimed: dt.datetime | None) -> dt.datetime | None:
    if source.received_at is not None or not source.date_from_header or claimed is None:
        return source.received_at
    now = utcnow()
    return claimed if EARLIEST_DATE <= claimed <= now else None


async def process(
    session: AsyncSession, item: Item, sha: str, ctx: Context, limit: int
) -> tuple[InboundEmail, Decision]:
    """Parse and act on one message; returns the row to store (not yet added) and what was done.
    Raises whatever went wrong: the caller decides between quarantine and retry."""
    parsed = parse_email(item.raw)
    received = _received_at(item.source, parsed.headers.date)
    if received is not None:
        parsed.report.received_at = received
    if parsed.headers.message_id:
        earlier = await _same_message(session, parsed.headers.message_id, item.raw)
        if earlier is not None:
            row = _row(item, sha, "duplicate", f"same message as inbound #{earlier.id}")
            row.case_id = earlier.case_id
            row.message_id = parsed.headers.message_id
            return row, Decision("duplicate", None, row.reason)
    oversize = None
    if item.source.headers_only:
        oversize = Oversize(item.source.size or len(item.raw), limit)
        parsed.report.text = _oversize_note(oversize.size, limit)
    decision = await decide(session, parsed, ctx, oversize)
    reason = decision.reason
    if oversize is not None:
        reason = f"over the size limit, headers only; {reason or 'acknowledged'}"
    row = _row(item, sha, decision.status, reason)
    row.message_id = parsed.headers.message_id
    row.case_id = decision.case.id if decision.case else None
    return row, decision


async def _store(session: AsyncSession, row: InboundEmail) -> None:
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        # The unique keys (content hash, folder position) were taken since we looked.
        raise TransientError(f"stored concurrently by another ingest: {exc.orig}") from exc


def brief_error(exc: BaseException) -> str:
    """A one-line description fit for logs: never the SQL parameters or message content
    that a database or parser error may carry."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        detail = str(exc.orig).splitlines()[0] if str(exc.orig) else ""
        return f"{type(exc).__name__}: {detail}"[:200]
    if isinstance(exc, TransientError | OSError | TimeoutError):
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    return type(exc).__name__


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]


async def _quarantine(session: AsyncSession, item: Item, sha: str, exc: BaseException) -> Outcome:
    row = _row(item, sha, "quarantined", describe_error(exc))
    async with session.begin_nested():
        await _store(session, row)
    # The reason (which may quote the message) stays in the store; the log names the row.
    log.warning("inbound #%s quarantined: %s", row.id, type(exc).__name__)
    log.debug("inbound #%s quarantined", row.id, exc_info=exc)
    return Outcome("quarantined", None, row.reason, row.id, item.source)


async def ingest_one(session: AsyncSession, item: Item, ctx: Context, limit: int) -> Outcome:
    """Ingest one message inside the caller's transaction (see the module docstring)."""
    sha = hashlib.sha256(item.raw).hexdigest()
    same = await _duplicate_of(session, sha)
    if same is not None:
        case = await _case_number(session, same.case_id)
        return Outcome(
            "duplicate", case, f"same bytes as inbound #{same.id}", same.id, item.source
        )
    try:
        async with session.begin_nested():
            row, decision = await process(session, item, sha, ctx, limit)
            await session.flush()  # the message's own writes fail here, inside its savepoint
            await _store(session, row)
    except Exception as exc:
        if is_transient(exc):
            raise
        return await _quarantine(session, item, sha, exc)
    case = decision.case.number if decision.case else await _case_number(session, row.case_id)
    return Outcome(row.status, case, row.reason, row.id, item.source)


async def _case_number(session: AsyncSession, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    case = await session.get(Case, case_id)
    return case.number if case else None


async def ingest_batch(
    sessions: SessionFactory, items: Sequence[Item], settings: IngestSettings
) -> list[Outcome]:
    """Ingest messages in one transaction; returns one outcome per item, after the commit."""
    if not items:
        return []
    try:
        async with sessions() as session:
            ctx = await Context.load(session, settings)
            outcomes = [await ingest_one(session, item, ctx, settings.max_bytes) for item in items]
            await session.commit()
    except Exception as exc:
        if is_transient(exc):
            raise TransientError(brief_error(exc)) from exc
        raise
    return outcomes


async def stored_positions(
    sessions: SessionFactory, mailbox: str, uidvalidity: int, uids: Sequence[int]
) -> dict[int, InboundEmail]:
    """Rows already stored for these folder positions (their messages need only moving)."""
    found: dict[int, InboundEmail] = {}
    async with sessions() as session:
        for start in range(0, len(uids), 500):
            chunk = list(uids[start : start + 500])
            rows = await session.exec(
                select(InboundEmail).where(
                    InboundEmail.mailbox == mailbox,
                    InboundEmail.uidvalidity == uidvalidity,
                    col(InboundEmail.uid).in_(chunk),
                )
            )
            found.update({row.uid: row for row in rows if row.uid is not None})
    return found


async def mark_moved(sessions: SessionFactory, inbound_ids: Sequence[int]) -> None:
    """Record that these messages left the inbox (flagged seen, moved to the processed folder)."""
    ids = sorted(set(inbound_ids))
    if not ids:
        return
    async with sessions() as session:
        for start in range(0, len(ids), 500):
            await session.exec(  # type: ignore[call-overload]
                update(InboundEmail)
                .where(col(InboundEmail.id).in_(ids[start : start + 500]))
                .values(moved=True)
            )
        await session.commit()

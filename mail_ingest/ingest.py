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
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.cases import defer_writes, prepare_reporters, write_deferred
from intake.raw import RawReport
from mail_ingest.config import IngestSettings
from mail_ingest.decide import Context, Decision, Oversize, decide, opens_case
from mail_ingest.parser import ParsedEmail, parse_email
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


def _redelivery(rows: Sequence[InboundEmail], raw: bytes) -> InboundEmail | None:
    body = _body(raw)
    return next((row for row in rows if _body(row.raw) == body), None)


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
            col(InboundEmail.status).in_(REDELIVERY_OF),
        )
    )
    return _redelivery(list(rows), raw)


REDELIVERY_OF = ("created", "appended", "ignored")


@dataclass(slots=True)
class Seen:
    """The stored mail a batch can collide with, read in two queries for the whole batch
    instead of two per message, and kept up to date as the batch stores its own rows.

    Same answers as `_duplicate_of` and `_same_message` within the batch's transaction (on
    SQLite it holds the write lock; on PostgreSQL a concurrent ingest of the same bytes still
    fails on the unique content hash, which aborts the batch as transient)."""

    by_sha: dict[str, InboundEmail] = field(default_factory=dict)
    by_message_id: dict[str, list[InboundEmail]] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, session: AsyncSession, shas: Sequence[str], message_ids: Sequence[str]
    ) -> Seen:
        seen = cls()
        for chunk in _chunks(sorted(set(shas))):
            query = select(InboundEmail).where(col(InboundEmail.sha256).in_(chunk))
            seen.by_sha.update({row.sha256: row for row in await session.exec(query)})
        for chunk in _chunks(sorted(set(message_ids))):
            query = select(InboundEmail).where(
                col(InboundEmail.message_id).in_(chunk),
                col(InboundEmail.status).in_(REDELIVERY_OF),
            )
            for row in (await session.exec(query.order_by(col(InboundEmail.id)))).all():
                seen.by_message_id.setdefault(row.message_id or "", []).append(row)
        return seen

    def same_message(self, message_id: str | None, raw: bytes) -> InboundEmail | None:
        return _redelivery(self.by_message_id.get(message_id or "", []), raw)

    def remember(self, row: InboundEmail) -> None:
        self.by_sha.setdefault(row.sha256, row)
        if row.message_id and row.status in REDELIVERY_OF:
            self.by_message_id.setdefault(row.message_id, []).append(row)


def _chunks(values: Sequence[str], size: int = 500) -> list[list[str]]:
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


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
    session: AsyncSession,
    item: Item,
    sha: str,
    ctx: Context,
    limit: int,
    *,
    parsed: ParsedEmail | None = None,
    seen: Seen | None = None,
    promoted: bool = False,
) -> tuple[InboundEmail, Decision]:
    """Parse (unless given the parse) and act on one message; returns the row to store (not yet
    added) and what was done. Raises whatever went wrong: the caller decides between
    quarantine and retry. `promoted`: an ignored message a person sends through again (it is
    its own stored copy, not a redelivery; see `decide`)."""
    if parsed is None:
        parsed = parse_email(item.raw)
    received = _received_at(item.source, parsed.headers.date)
    if received is not None:
        parsed.report.received_at = received
    if parsed.headers.message_id and not promoted:
        if seen is not None:
            earlier = seen.same_message(parsed.headers.message_id, item.raw)
        else:
            earlier = await _same_message(session, parsed.headers.message_id, item.raw)
        if earlier is not None:
            if earlier.id is None:  # stored earlier in this batch, not yet flushed
                session.add(earlier)
                await session.flush()
            row = _row(item, sha, "duplicate", f"same message as inbound #{earlier.id}")
            row.case_id = earlier.case_id
            row.message_id = parsed.headers.message_id
            return row, Decision("duplicate", None, row.reason)
    oversize = None
    if item.source.headers_only:
        oversize = Oversize(item.source.size or len(item.raw), limit)
        parsed.report.text = _oversize_note(oversize.size, limit)
    decision = await decide(session, parsed, ctx, oversize, promoted=promoted)
    reason = decision.reason
    if oversize is not None:
        reason = f"over the size limit, headers only; {reason or 'acknowledged'}"
    row = _row(item, sha, decision.status, reason)
    if decision.forgotten:
        row.raw = b""  # it carries the address the citizen asked us to forget
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


@dataclass(slots=True)
class _Prepared:
    """A batch read up front: the context, the stored mail it may repeat, each message's
    content hash and parse (or the exception the parser raised, re-raised in its turn)."""

    ctx: Context
    seen: Seen
    shas: list[str]
    parses: list[ParsedEmail | Exception]


Read = tuple[list[str], list[ParsedEmail | Exception]]


def _read(items: Sequence[Item]) -> Read:
    """Each message's content hash and parse (or the exception the parser raised)."""
    shas = [hashlib.sha256(item.raw).hexdigest() for item in items]
    parses: list[ParsedEmail | Exception] = []
    for item in items:
        try:
            parses.append(parse_email(item.raw))
        except Exception as exc:  # the message's own fault: quarantined in its turn
            parses.append(exc)
    return shas, parses


async def _prepare(
    session: AsyncSession, items: Sequence[Item], settings: IngestSettings, read: Read | None
) -> _Prepared:
    ctx = await Context.load(session, settings)
    shas, parses = read or _read(items)
    good = [p for p in parses if not isinstance(p, Exception)]
    message_ids = [p.headers.message_id for p in good if p.headers.message_id]
    seen = await Seen.load(session, shas, message_ids)
    await ctx.load_recent_acks(session, [p.report.sender for p in good])
    return _Prepared(ctx, seen, shas, parses)


def _new_reports(prepared: _Prepared, items: Sequence[Item]) -> list[RawReport]:
    """The reports of a batch that will open cases: parsed, new (not stored, not a
    redelivery) and naming no case (`opens_case`)."""
    reports = []
    for item, sha, parsed in zip(items, prepared.shas, prepared.parses, strict=True):
        if isinstance(parsed, Exception) or sha in prepared.seen.by_sha:
            continue
        if prepared.seen.same_message(parsed.headers.message_id, item.raw) is not None:
            continue
        if opens_case(parsed, prepared.ctx):
            reports.append(parsed.report)
    return reports


class _MessageFailed(Exception):
    """One message of a batch processed without savepoints failed on its own account."""


async def _known_duplicate(
    session: AsyncSession, item: Item, same: InboundEmail
) -> tuple[str, str | None, str, int | None]:
    if same.id is None:  # stored earlier in this batch, not yet flushed
        session.add(same)
        await session.flush()
    case = await _case_number(session, same.case_id)
    return "duplicate", case, f"same bytes as inbound #{same.id}", same.id


def _parse_of(prepared: _Prepared, index: int) -> ParsedEmail:
    parsed = prepared.parses[index]
    if isinstance(parsed, Exception):
        raise parsed
    return parsed


async def ingest_one(
    session: AsyncSession,
    item: Item,
    ctx: Context,
    limit: int,
    *,
    prepared: _Prepared | None = None,
    index: int = 0,
) -> Outcome:
    """Ingest one message inside the caller's transaction, in its own savepoint (see the
    module docstring)."""
    sha = prepared.shas[index] if prepared else hashlib.sha256(item.raw).hexdigest()
    seen = prepared.seen if prepared else None
    same = seen.by_sha.get(sha) if seen else await _duplicate_of(session, sha)
    if same is not None:
        return Outcome(*await _known_duplicate(session, item, same), item.source)
    try:
        async with session.begin_nested():
            parsed = _parse_of(prepared, index) if prepared else None
            row, decision = await process(session, item, sha, ctx, limit, parsed=parsed, seen=seen)
            await session.flush()  # the message's own writes fail here, inside its savepoint
            await _store(session, row)
    except Exception as exc:
        if is_transient(exc):
            raise
        outcome = await _quarantine(session, item, sha, exc)
        if seen is not None:
            seen.by_sha.setdefault(sha, await session.get_one(InboundEmail, outcome.inbound_id))
        return outcome
    if seen is not None:
        seen.remember(row)
    ctx.acknowledged(decision)
    case = decision.case.number if decision.case else await _case_number(session, row.case_id)
    return Outcome(row.status, case, row.reason, row.id, item.source)


async def _case_number(session: AsyncSession, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    case = await session.get(Case, case_id)
    return case.number if case else None


async def _ingest_apart(
    sessions: SessionFactory,
    items: Sequence[Item],
    settings: IngestSettings,
    read: Read | None = None,
) -> list[Outcome]:
    """One transaction, one savepoint per message: a message that fails is quarantined alone."""
    async with sessions() as session:
        prepared = await _prepare(session, items, settings, read)
        outcomes = [
            await ingest_one(
                session, item, prepared.ctx, settings.max_bytes, prepared=prepared, index=i
            )
            for i, item in enumerate(items)
        ]
        await session.commit()
    return outcomes


async def _ingest_together(
    sessions: SessionFactory, items: Sequence[Item], settings: IngestSettings, read: Read
) -> list[Outcome]:
    """One transaction and no savepoints, the inbound rows inserted in one statement at the end.

    Raises _MessageFailed (and rolls everything back) when any message fails on its own
    account; the caller then goes through the batch again with `_ingest_apart`. Nothing is
    committed unless every message went through, so nothing is lost or doubled either way.
    """
    async with sessions() as session:
        prepared = await _prepare(session, items, settings, read)
        ctx, seen, limit = prepared.ctx, prepared.seen, settings.max_bytes
        defer_writes(session)  # notifications and audit entries: one statement each, below
        await prepare_reporters(session, _new_reports(prepared, items))
        pending: list[InboundEmail] = []
        # Per message: (status, case, reason, the stored row or the id it duplicates).
        results: list[tuple[str, str | None, str | None, InboundEmail | int | None]] = []
        for index, item in enumerate(items):
            sha = prepared.shas[index]
            same = seen.by_sha.get(sha)
            if same is not None:
                status, case, reason, same_id = await _known_duplicate(session, item, same)
                results.append((status, case, reason, same_id))
                continue
            try:
                parsed = _parse_of(prepared, index)
                row, decision = await process(
                    session, item, sha, ctx, limit, parsed=parsed, seen=seen
                )
                case = decision.case.number if decision.case else None
                if case is None and row.case_id is not None:
                    case = await _case_number(session, row.case_id)
            except Exception as exc:
                if is_transient(exc):
                    raise
                raise _MessageFailed(type(exc).__name__) from exc
            pending.append(row)
            seen.remember(row)
            ctx.acknowledged(decision)
            results.append((row.status, case, row.reason, row))
        try:
            await write_deferred(session)
            session.add_all(pending)
            await session.flush()
        except Exception as exc:
            if is_transient(exc):
                raise
            # A unique key taken (by a message of this batch, or a concurrent ingest): the
            # message-by-message pass tells which, and treats each case as before.
            raise _MessageFailed(brief_error(exc)) from exc
        await session.commit()
    return [
        Outcome(
            status, case, reason, ref.id if isinstance(ref, InboundEmail) else ref, item.source
        )
        for (status, case, reason, ref), item in zip(results, items, strict=True)
    ]


async def ingest_batch(
    sessions: SessionFactory, items: Sequence[Item], settings: IngestSettings
) -> list[Outcome]:
    """Ingest messages in one transaction; returns one outcome per item, after the commit.

    First all together without savepoints (the common case: every message goes through); if
    one fails on its own account, the whole attempt is rolled back and the batch goes again
    with a savepoint per message, so that only the bad one is quarantined.
    """
    if not items:
        return []
    # Parsed before the transaction begins: on SQLite it holds the one write lock, which the
    # outbox waits for meanwhile. The second pass parses afresh (processing changes a parse).
    read = _read(items)
    try:
        if len(items) > 1:
            try:
                return await _ingest_together(sessions, items, settings, read)
            except _MessageFailed as failed:
                log.info("batch of %d: %s; again, one message at a time", len(items), failed)
            return await _ingest_apart(sessions, items, settings)
        return await _ingest_apart(sessions, items, settings, read)
    except Exception as exc:
        if is_transient(exc):
            raise TransientError(brief_error(exc)) from exc
        raise


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

"""Opening a case from a RawReport: the case, its thread, evidence, receipt, related links and
the notifications it owes are written in the caller's one transaction."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import keyed_hash
from core.metrics import report_committed
from intake.analyse import Analysis, analyse
from intake.attachments import store_bytes
from intake.category import CATEGORIES
from intake.raw import RawReport
from intake.receipts import hash_code, new_code
from intake.region import detect_region
from intake.related import PendingEntities, link_related, simhash
from intake.routing import CENTRAL, due_date, route
from models.db import insert_ignore, on_commit
from models.outbox import enqueue_all, owed
from models.tables import (
    Attachment,
    AuditLog,
    Case,
    Channel,
    Commission,
    Direction,
    Message,
    NotificationKind,
    Receipt,
    Reporter,
)
from models.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeContext:
    attachments_dir: Path
    zone: ZoneInfo
    due_working_days: int = 15
    receipt_key: bytes = b""  # Settings.receipt_key(): the HMAC key of receipt codes


@dataclass(slots=True)
class OpenedCase:
    case: Case
    receipt_code: str
    analysis: Analysis
    related: list[int] = field(default_factory=list)


def case_number(case_id: int, year: int) -> str:
    return f"SH-{year}-{case_id:05d}"


def _reporter_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (channel, address) DO UPDATE … RETURNING the row: the reporter,
    new or known, in one round trip. The no-op update is what makes RETURNING give the row
    that was already there."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Reporter)
    return statement.on_conflict_do_update(
        index_elements=["channel", "address_hash"], set_={"channel": statement.excluded.channel}
    ).returning(Reporter)


_REPORTER_UPSERT = {name: _reporter_upsert(name) for name in ("postgresql", "sqlite")}


async def _upsert_reporters(session: AsyncSession, raws: Iterable[RawReport]) -> list[Reporter]:
    """The reporters of these reports, new or known, in one statement (one row per address:
    an address twice in one INSERT … ON CONFLICT DO UPDATE is an error on PostgreSQL)."""
    statement = _REPORTER_UPSERT[session.get_bind().dialect.name]
    now = utcnow()
    values = {
        (raw.channel, raw.sender): {
            "channel": raw.channel,
            "address": raw.sender,  # encrypted by the column's type; found by its hash
            "address_hash": keyed_hash(raw.sender),
            "language": raw.language_hint,
            "blocked": False,
            "created_at": now,
        }
        for raw in raws
    }
    result = await session.exec(  # type: ignore[call-overload]
        statement, params=list(values.values()), execution_options={"populate_existing": True}
    )
    return list(result.scalars().all())


async def prepare_reporters(session: AsyncSession, raws: Iterable[RawReport]) -> None:
    """Upsert at once the reporters of a batch's reports that will open cases, while the
    session defers its writes (see `defer_writes`): open_case then takes its reporter from
    here instead of one statement per case. A report left out gets its reporter as before."""
    deferred = _deferred(session)
    if deferred is None:
        return
    wanted = [raw for raw in raws if (raw.channel, raw.sender) not in deferred.reporters]
    if wanted:
        for reporter in await _upsert_reporters(session, wanted):
            deferred.reporters[(reporter.channel, reporter.address or "")] = reporter


async def get_or_create_reporter(session: AsyncSession, raw: RawReport) -> Reporter:
    deferred = _deferred(session)
    reporter = deferred.reporters.get((raw.channel, raw.sender)) if deferred else None
    if reporter is None:
        [reporter] = await _upsert_reporters(session, [raw])
    # A contact is kept only when the citizen chose to share it in this report.
    if raw.contact_phone:
        reporter.contact_phone = raw.contact_phone
    if raw.contact_email:
        reporter.contact_email = raw.contact_email
    return reporter


async def add_attachments(
    session: AsyncSession, case: Case, message: Message, raw: RawReport, root: Path
) -> list[Attachment]:
    assert case.id is not None
    stored = []
    seen: set[str] = set()
    for item in raw.attachments:
        file = store_bytes(root, item.content)
        if file.sha256 in seen:
            continue
        seen.add(file.sha256)
        exists = (
            await session.exec(
                select(Attachment).where(
                    Attachment.case_id == case.id, Attachment.sha256 == file.sha256
                )
            )
        ).first()
        if exists:
            continue
        attachment = Attachment(
            case_id=case.id,
            message_id=message.id,
            sha256=file.sha256,
            size=file.size,
            mime_type=item.mime_type[:128],
            path=file.relative_path,
            original_name=(item.original_name or None) and item.original_name[:512],
        )
        session.add(attachment)
        stored.append(attachment)
    return stored


def _place(raw: RawReport, analysis: Analysis) -> tuple[str | None, str | None, float]:
    if raw.place_fixed:
        return raw.region_hint, raw.district_hint, 1.0
    region, district, confidence = (
        analysis.region.region,
        analysis.region.district,
        analysis.region.confidence,
    )
    if raw.place:
        from_place = detect_region(raw.place)
        if from_place.region and (raw.region_hint in (None, from_place.region)):
            region, district, confidence = (
                from_place.region,
                from_place.district,
                from_place.confidence,
            )
    if raw.region_hint:
        if raw.region_hint != region:
            district = None
        region, confidence = raw.region_hint, 1.0
    return region, district, confidence


async def _issue_receipt(session: AsyncSession, case: Case, key: bytes) -> str:
    while True:
        code = new_code()
        row = {"case_id": case.id, "code_hash": hash_code(code, key), "created_at": utcnow()}
        deferred = _deferred(session)
        if deferred is not None:
            # Written with the batch; a hash already taken (one in 10^16) fails the batch's
            # insert, and the caller goes through the batch again without deferring.
            deferred.receipts.append(row)
            return code
        if await insert_ignore(session, Receipt, row):
            return code


def _alerts(
    case: Case,
    commission: Commission,
    *,
    ref: str | None = None,
    payload: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The alerts a commission is owed about a case: each of its addresses and its group.
    `ref` and `payload` tell a follow-up's alerts from the new case's (see `_followup_alerts`)."""
    common: dict[str, Any] = {
        "kind": NotificationKind.alert,
        "ref": ref or f"case{case.id}",
        "case_id": case.id,
        "commission_code": commission.code,
        "language": commission.language,
        "payload": payload,
    }
    rows = [
        owed(channel=Channel.email, recipient=address, **common) for address in commission.emails
    ]
    if commission.telegram_chat_id is not None:
        rows.append(
            owed(channel=Channel.telegram, recipient=str(commission.telegram_chat_id), **common)
        )
    return rows


def _ack(case: Case, raw: RawReport, code: str) -> dict[str, Any]:
    # The plain receipt code rides in the ack's payload only until it is delivered; the
    # outbox worker erases it from the row once sent.
    return owed(
        kind=NotificationKind.ack,
        channel=raw.channel,
        recipient=raw.sender,
        ref=f"case{case.id}",
        case_id=case.id,
        language=case.language,
        payload={"receipt_code": code},
    )


_KNOWN_COMMISSIONS = "intake.cases.commissions"
_DEFERRED = "intake.cases.deferred"


@dataclass(slots=True)
class DeferredWrites:
    """Rows that open_case owes the store (the citizen's message when it has no attachments,
    the receipt, the case's entities, notifications, audit entries) and append_to_case too
    (notifications, audit entries), held back to be written for a whole batch of cases in one
    statement per table (`write_deferred`), in the same transaction."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    entities: PendingEntities = field(default_factory=PendingEntities)
    # Not a write: the reporters `prepare_reporters` upserted for the batch, by (channel, address).
    reporters: dict[tuple[str, str], Reporter] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def defer_writes(session: AsyncSession) -> None:
    """From now until `write_deferred` (and within the current transaction), open_case and
    append_to_case hold back what DeferredWrites lists. Whoever calls this must call `write_deferred`
    before committing, and before reading those tables back."""
    session.info[_DEFERRED] = (session.sync_session.get_transaction(), DeferredWrites())


def _deferred(session: AsyncSession) -> DeferredWrites | None:
    transaction, deferred = session.info.get(_DEFERRED, (None, None))
    current = session.sync_session.get_transaction()
    return deferred if current is not None and transaction is current else None


async def write_deferred(session: AsyncSession) -> None:
    """Write what open_case held back (see `defer_writes`); later cases write at once again."""
    deferred = _deferred(session)
    session.info.pop(_DEFERRED, None)
    if deferred is None:
        return
    await deferred.entities.write(session)
    if deferred.messages:
        await session.exec(insert(Message), params=deferred.messages)  # type: ignore[call-overload]
    if deferred.receipts:
        await session.exec(insert(Receipt), params=deferred.receipts)  # type: ignore[call-overload]
    if deferred.notifications:
        await enqueue_all(session, deferred.notifications)
    if deferred.audit:
        await session.exec(insert(AuditLog), params=deferred.audit)  # type: ignore[call-overload]


def remember_commissions(session: AsyncSession, commissions: Iterable[Commission]) -> None:
    """Route from these commissions (all of them, read in the session's current transaction)
    for as long as that transaction lasts, instead of one query per case: a batch of mail
    opens many cases against the same few commissions."""
    transaction = session.sync_session.get_transaction()
    session.info[_KNOWN_COMMISSIONS] = (transaction, {c.code: c for c in commissions})


def _known_commissions(session: AsyncSession) -> dict[str, Commission] | None:
    transaction, known = session.info.get(_KNOWN_COMMISSIONS, (None, None))
    current = session.sync_session.get_transaction()
    return known if current is not None and transaction is current else None


async def _responsible(session: AsyncSession, region: str | None) -> Commission:
    """The region's commission, else the central committee's triage: one query at most."""
    wanted = [code for code in (region, CENTRAL) if code]
    known = _known_commissions(session)
    if known is not None:
        found = {code: known[code] for code in wanted if code in known}
    else:
        query = select(Commission).where(col(Commission.code).in_(wanted))
        found = {c.code: c for c in await session.exec(query)}
    commission = found.get(route(region, set(found)))
    if commission is None:
        raise LookupError(f"no commission {CENTRAL}; run `shagym commissions load FILE`")
    return commission


async def open_case(
    session: AsyncSession, raw: RawReport, ctx: IntakeContext, *, acknowledge: bool = True
) -> OpenedCase:
    """Open one case for one report. `acknowledge=False` when the channel must not answer
    (an auto-reply or mailing list, RFC 3834)."""
    analysis = analyse(raw.text, raw.html, default_language=raw.language_hint or "ru")
    region, district, confidence = _place(raw, analysis)
    hinted = raw.category_hint in CATEGORIES
    category = raw.category_hint if raw.category_hint in CATEGORIES else analysis.category
    language = raw.language_hint or analysis.language
    # A category the model is unsure of goes to central triage, as a case with no region does.
    triage = not hinted and analysis.category_triage
    commission = await _responsible(session, None if triage else region)
    commission_code = commission.code
    reporter = await get_or_create_reporter(session, raw)
    body = analysis.text.text or raw.subject or ""
    case = Case(
        number=f"pending-{secrets.token_hex(8)}",  # unique until the id gives the number
        channel=raw.channel,
        region=region,
        district=district,
        category=category,
        language=language,
        subject=(raw.subject or None) and raw.subject[:512],
        text=body,
        region_confidence=confidence,
        category_score=analysis.category_score,
        entities=analysis.entities.as_dict(),
        commission_code=commission_code,
        reporter_id=reporter.id,
        contact_shared=bool(raw.contact_phone or raw.contact_email),
        simhash=simhash(body),
        created_at=raw.received_at,
        due_at=due_date(raw.received_at, ctx.zone, ctx.due_working_days),
    )
    session.add(case)
    await session.flush()
    assert case.id is not None
    case.number = case_number(case.id, raw.received_at.astimezone(ctx.zone).year)
    message = Message(
        case_id=case.id,
        direction=Direction.citizen_in,
        channel=raw.channel,
        text=body,
        raw_text=raw.html or raw.text,
        author="citizen",
        external_id=raw.external_id,
    )
    deferred = _deferred(session)
    if deferred is not None and not raw.attachments:
        # Nothing needs the message's id now: it goes with the batch's other messages.
        deferred.messages.append(message.model_dump(exclude={"id"}))
    else:
        session.add(message)
        await session.flush()  # one round trip: the number, the message and its id
        await add_attachments(session, case, message, raw, ctx.attachments_dir)
    pending = deferred.entities if deferred is not None else None
    keys = analysis.entities.keys() | (raw.entities.keys() if raw.entities else set())
    related = await link_related(session, case, keys, pending)
    code = await _issue_receipt(session, case, ctx.receipt_key)
    owed_now = _alerts(case, commission) + ([_ack(case, raw, code)] if acknowledge else [])
    audit: dict[str, Any] = {
        "at": utcnow(),
        "actor": "system",
        "action": "case.created",
        "case_id": case.id,
        "details": {
            "region": region,
            "commission": commission_code,
            "category": category,
            "related": related,
            **({"triage": "category"} if triage else {}),
        },
    }
    await _owe(session, owed_now, audit)
    on_commit(session, partial(report_committed, raw.channel, raw.received_at, True))
    log.info("case %s opened, routed to %s", case.number, commission_code)
    return OpenedCase(case=case, receipt_code=code, analysis=analysis, related=related)


async def _owe(
    session: AsyncSession, notifications: list[dict[str, Any]], audit: dict[str, Any]
) -> None:
    """Owe the notifications and record the audit entry: at once, or with the batch when
    mail ingest defers its writes."""
    deferred = _deferred(session)
    if deferred is not None:
        deferred.notifications += notifications
        deferred.audit.append(audit)
        return
    await enqueue_all(session, notifications)
    session.add(AuditLog(**audit))
    await session.flush()


async def append_to_case(
    session: AsyncSession,
    case: Case,
    raw: RawReport,
    ctx: IntakeContext,
    *,
    direction: str = Direction.citizen_in,
    author: str = "citizen",
) -> Message:
    """Add what arrived to an existing case's thread (a follow-up, or a commission's answer)."""
    assert case.id is not None
    cleaned = analyse(raw.text, raw.html).text
    message = Message(
        case_id=case.id,
        direction=direction,
        channel=raw.channel,
        text=cleaned.text or raw.subject or "",
        raw_text=raw.html or raw.text,
        author=author,
        external_id=raw.external_id,
    )
    session.add(message)
    await session.flush()  # one round trip: the number, the message and its id
    await add_attachments(session, case, message, raw, ctx.attachments_dir)
    case.updated_at = utcnow()
    session.add(case)
    owed_now: list[dict[str, Any]] = []
    if direction == Direction.citizen_in:  # a commission's own words alert nobody
        owed_now = await _followup_alerts(session, case, message)
    audit: dict[str, Any] = {
        "at": utcnow(),
        "actor": author,
        "action": "case.appended",
        "case_id": case.id,
        "details": {"direction": direction, "message": message.id},
    }
    await _owe(session, owed_now, audit)
    if direction == Direction.citizen_in:
        on_commit(session, partial(report_committed, raw.channel, raw.received_at, False))
    log.info("case %s: %s message added", case.number, direction)
    return message


async def _followup_alerts(
    session: AsyncSession, case: Case, message: Message
) -> list[dict[str, Any]]:
    """A citizen's follow-up is owed to the commission now holding the case at once, like a
    new case, whatever the case's status: a resolved case's commission decides whether the
    new information reopens it. One alert per address and group per message (its own ref),
    so a redelivered message owes nothing new."""
    commission = (_known_commissions(session) or {}).get(case.commission_code)
    if commission is None:
        commission = await session.get(Commission, case.commission_code)
    if commission is None:
        log.warning("case %s: no commission %s to alert", case.number, case.commission_code)
        return []
    return _alerts(
        case, commission, ref=f"case{case.id}:msg{message.id}", payload={"followup": message.id}
    )


async def find_by_receipt(session: AsyncSession, code: str, key: bytes = b"") -> Case | None:
    receipt = (
        await session.exec(select(Receipt).where(Receipt.code_hash == hash_code(code, key)))
    ).first()
    return await session.get(Case, receipt.case_id) if receipt else None


async def find_by_number(session: AsyncSession, number: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.number == number))).first()

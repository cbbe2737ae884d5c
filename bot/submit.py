"""Sending a finished draft: one case, with the acknowledgement shown in the chat itself.

The plain receipt code lives only in the case's ack row until the citizen has it. A kill after
the case commits therefore loses nothing: the replayed update (or, failing that, the outbox
after ACK_GRACE) still delivers it, and the row is erased once it is delivered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.draft import Draft
from bot.fastsql import Statement
from intake.attachments import read_by_hash, relative_path_for
from intake.cases import IntakeContext, open_case
from intake.raw import RawAttachment, RawReport
from models.tables import (
    Case,
    Channel,
    Commission,
    Message,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from models.types import EncryptedJSON, UTCDateTime, utcnow

log = logging.getLogger(__name__)

# How long the outbox leaves a Telegram receipt to the bot before sending it itself.
ACK_GRACE = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Submitted:
    case_id: int
    number: str
    code: str | None  # the fresh receipt code; None when this draft had already been sent
    commission: str
    due_at: dt.datetime


def external_id(draft: Draft) -> str:
    return f"tg-draft:{draft.id}"


def report_text(draft: Draft) -> str:
    # The free-form place (a school, a village) has no column of its own: it leads the text,
    # where the commission reads it and intake's analysis sees it.
    return f"📍 {draft.place}\n\n{draft.text}" if draft.place else draft.text


async def _attachments(draft: Draft, root: Path) -> list[RawAttachment]:
    def read() -> list[RawAttachment]:
        items = []
        for item in draft.evidence:
            path = root / relative_path_for(item.sha256)
            if not path.exists():
                log.warning("evidence file %s… is missing; sent without it", item.sha256[:12])
                continue
            content = read_by_hash(root, item.sha256)
            items.append(RawAttachment(content, item.mime_type, item.name))
        return items

    return await asyncio.to_thread(read)


async def submit(
    session: AsyncSession, draft: Draft, chat_id: int, language: str, ctx: IntakeContext
) -> Submitted:
    """Open the case (once per draft) and commit; the caller shows the confirmation."""
    sent = await _already_sent(session, draft)
    if sent is not None:
        return sent
    raw = RawReport(
        channel=Channel.telegram,
        sender=str(chat_id),
        text=report_text(draft),
        attachments=await _attachments(draft, ctx.attachments_dir),
        external_id=external_id(draft),
        language_hint=language,
        region_hint=draft.region,
        category_hint=draft.category,
        place=draft.place,
        contact_phone=draft.phone if draft.contact == "phone" else None,
        contact_email=draft.email if draft.contact == "email" else None,
    )
    opened = await open_case(session, raw, ctx)
    case = opened.case
    assert case.id is not None
    await session.exec(_HOLD_ACK, params=_hold_params(case.id))  # type: ignore[call-overload]
    commission = await session.get(Commission, case.commission_code)
    await session.commit()
    name = commission.name if commission else case.commission_code
    return Submitted(case.id, case.number, opened.receipt_code, name, case.due_at)


# The bot shows the receipt in the chat itself; the outbox holds back its own copy for
# ACK_GRACE and sends it only if the bot never could (a crash whose update was given up).
# Built once (parameters: _hold_params): building a statement costs more than running it.
_HOLD_ACK = (
    update(Notification)
    .where(
        col(Notification.case_id) == bindparam("of_case"),
        col(Notification.kind) == NotificationKind.ack,
        col(Notification.channel) == Channel.telegram,
        col(Notification.status) == NotificationStatus.pending,
        or_(
            col(Notification.lease_until).is_(None),
            col(Notification.lease_until) <= bindparam("now"),
        ),
    )
    .values(next_attempt_at=bindparam("until"), result={"held_for": "bot"})
    .execution_options(synchronize_session=False)
)
_TAKE_CODE = _HOLD_ACK.returning(col(Notification.payload))
_SENT_DRAFT = select(Message).where(col(Message.external_id) == bindparam("external_id"))


def _hold_params(case_id: int) -> dict[str, Any]:
    now = utcnow()
    return {"of_case": case_id, "now": now, "until": now + ACK_GRACE}


async def take_receipt_code(session: AsyncSession, case_id: int) -> str | None:
    """The plain receipt code, if the citizen does not have it yet: the ack row is held back
    from the outbox once more while the bot delivers it. None once the outbox or an earlier
    confirmation has delivered it."""
    taken = await session.exec(_TAKE_CODE, params=_hold_params(case_id))  # type: ignore[call-overload]
    payloads = [row[0] for row in taken]
    await session.commit()
    return next((p.get("receipt_code") for p in payloads if p.get("receipt_code")), None)


# Shown in the chat: the outbox must not send it again, and the plain code leaves the row.
# Raw SQL so that it rides in the bot's group commit with the dialogue's own last write.
ACK_DELIVERED = Statement(
    "UPDATE notification SET status = 'sent', payload = :payload, result = :result, "
    "attempts = attempts + 1, sent_at = :sent_at "
    "WHERE case_id = :case_id AND kind = 'ack' AND channel = 'telegram' AND status = 'pending'",
    {"payload": EncryptedJSON(), "result": EncryptedJSON(), "sent_at": UTCDateTime()},
)


def ack_delivered(case_id: int) -> dict[str, Any]:
    """Parameters of ACK_DELIVERED for a case."""
    return {
        "case_id": case_id,
        "payload": {},
        "result": {"delivered_by": "bot"},
        "sent_at": utcnow(),
    }


async def _already_sent(session: AsyncSession, draft: Draft) -> Submitted | None:
    found = await session.exec(_SENT_DRAFT, params={"external_id": external_id(draft)})
    message = found.first()
    if message is None:
        return None
    case = await session.get(Case, message.case_id)
    assert case is not None and case.id is not None
    commission = await session.get(Commission, case.commission_code)
    name = commission.name if commission else case.commission_code
    return Submitted(case.id, case.number, None, name, case.due_at)

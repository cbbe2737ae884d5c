""""Forget my contact": the citizen erases what they shared and their channel address.

The case stays with the commission (its text, evidence and history), but nothing in the store
leads back to the citizen any more: the reporter row loses its address (and the hash that
found it), its shared phone and email; the raw emails they sent lose their bytes (they carry
the From address); their thread's raw originals (signatures) go; answers still owed to them
are given up. Answers can no longer reach them, which they were told before confirming.
"""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.cases import find_by_receipt
from intake.receipts import parse_code
from models.tables import (
    AuditLog,
    Case,
    Direction,
    InboundEmail,
    Message,
    Notification,
    NotificationKind,
    Reporter,
)

# Robust phrasings in the three languages: any of these words near "contact" asks to forget.
_FORGET = re.compile(
    r"(forget|erase|delete|remove)\s+(my\s+)?(contact|address|data)"
    r"|(забуд|забыт|удал|стер|сотр)\w*\s+(мо\w+\s+)?(контакт|адрес|данн|email|почт)"
    r"|(байланыс|мекенжай|деректер)\w*\s+(өшір|жой|ұмыт)",
    re.IGNORECASE,
)
_CODE = re.compile(r"\d{4}[\s\-]?\d{4}[\s\-]?\d{4}[\s\-]?\d{4}")


def asks_to_forget(text: str) -> bool:
    return _FORGET.search(text or "") is not None


async def case_to_forget(session: AsyncSession, text: str, receipt_key: bytes) -> Case | None:
    """The case whose receipt code a "forget my contact" message names, if it does."""
    if not asks_to_forget(text):
        return None
    for candidate in _CODE.findall(text):
        code = parse_code(candidate)
        case = await find_by_receipt(session, code, receipt_key) if code else None
        if case is not None:
            return case
    return None


async def forget_contact(session: AsyncSession, case: Case) -> None:
    """Erase the reporter of `case`: contact, address, raw mail; the cases stay."""
    reporter_id = case.reporter_id
    if reporter_id is None:
        return
    cases = list(
        (await session.exec(select(Case.id).where(Case.reporter_id == reporter_id))).all()
    )
    await session.exec(  # type: ignore[call-overload]
        update(Reporter)
        .where(col(Reporter.id) == reporter_id)
        .values(address=None, address_hash=f"forgotten:{reporter_id}", contact_phone=None,
                contact_email=None)
    )  # fmt: skip
    await session.exec(  # type: ignore[call-overload]
        update(Case).where(col(Case.id).in_(cases)).values(contact_shared=False)
    )
    await session.exec(  # type: ignore[call-overload]
        update(InboundEmail).where(col(InboundEmail.case_id).in_(cases)).values(raw=b"")
    )
    await session.exec(  # type: ignore[call-overload]
        update(Message)
        .where(col(Message.case_id).in_(cases), col(Message.direction) == Direction.citizen_in)
        .values(raw_text=None)
    )
    await session.exec(  # type: ignore[call-overload]
        update(Notification)
        .where(
            col(Notification.case_id).in_(cases),
            col(Notification.kind).in_((NotificationKind.ack, NotificationKind.relay)),
            col(Notification.status).in_(("pending", "sending")),
        )
        .values(status="dead", payload={}, last_error="the citizen asked to be forgotten")
    )
    await session.exec(  # type: ignore[call-overload]
        update(Notification)
        .where(
            col(Notification.case_id).in_(cases),
            col(Notification.kind).in_((NotificationKind.ack, NotificationKind.relay)),
        )
        .values(recipient="", recipient_hash=f"forgotten:{reporter_id}")
    )
    # The actor is not named: the citizen's id is what was just erased.
    session.add(AuditLog(actor="citizen", action="privacy.forget_contact", case_id=case.id))

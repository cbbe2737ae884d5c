"""Writing what the system owes into the outbox, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import insert_ignore
from models.tables import Notification
from models.types import utcnow


def idempotency_key(kind: str, channel: str, recipient: str, ref: str) -> str:
    return f"{ref}:{kind}:{channel}:{recipient}"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    channel: str,
    recipient: str,
    ref: str,
    case_id: int | None = None,
    commission_code: str | None = None,
    language: str = "ru",
    payload: dict[str, Any] | None = None,
) -> Notification | None:
    """Add a notification unless one with the same (ref, kind, channel, recipient) exists.

    `ref` names what the notification is about: the case id for an ack or alert, the
    message id for a relay, commission and period for a digest. Returns the new row, or
    None when it was already owed.
    """
    key = idempotency_key(kind, channel, recipient, ref)
    inserted = await insert_ignore(
        session,
        Notification,
        {
            "idempotency_key": key,
            "kind": kind,
            "channel": channel,
            "recipient": recipient,
            "case_id": case_id,
            "commission_code": commission_code,
            "language": language,
            "payload": payload or {},
            "message_id": None,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "result": {},
            "created_at": utcnow(),
        },
    )
    if not inserted:
        return None
    return (
        await session.exec(select(Notification).where(Notification.idempotency_key == key))
    ).one()

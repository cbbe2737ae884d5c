"""Writing what the system owes into the outbox, in the caller's transaction."""

from __future__ import annotations

import hashlib
import re
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


def message_id_for(notification: Notification, domain: str) -> str:
    """The deterministic RFC 5322 Message-ID of a notification: a resend after a crash carries
    the same id, so the recipient's mail system can drop the duplicate, and a bounce or reply
    that quotes it leads back to the notification (and its case)."""
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:16]
    return f"<shagym.{notification.id}.{digest}@{domain}>"


_OUR_MESSAGE_ID = re.compile(r"<shagym\.(\d+)\.([0-9a-f]{16})@[^>]+>")


def notification_id_from_message_id(value: str) -> int | None:
    """The notification a Message-ID of ours names (from In-Reply-To, References, a bounce)."""
    match = _OUR_MESSAGE_ID.search(value or "")
    return int(match.group(1)) if match else None

"""Writing what the system owes into the outbox, in the caller's transaction."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import keyed_hash
from models.db import OWES, insert_ignore
from models.tables import Notification
from models.types import utcnow


def idempotency_key(kind: str, channel: str, recipient: str, ref: str) -> str:
    # The recipient by its keyed hash: the key is plain text, and may be a citizen's address.
    return f"{ref}:{kind}:{channel}:{keyed_hash(recipient)[:32]}"


def owed(
    *,
    kind: str,
    channel: str,
    recipient: str,
    ref: str,
    case_id: int | None = None,
    commission_code: str | None = None,
    language: str = "ru",
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of a notification owed about `ref` (the case id for an ack or alert, the
    message id for a relay, commission and period for a digest)."""
    now = utcnow()
    return {
        "idempotency_key": idempotency_key(kind, channel, recipient, ref),
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "recipient_hash": keyed_hash(recipient),
        "case_id": case_id,
        "commission_code": commission_code,
        "language": language,
        "payload": payload or {},
        "message_id": None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "result": {},
        "created_at": now,
    }


async def enqueue_all(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Add every owed notification not already owed (same idempotency key); one statement.
    The session is marked as owing: once it commits, the outbox is woken (`models.db`)."""
    if not rows:
        return 0
    session.info[OWES] = True
    return await insert_ignore(session, Notification, rows)


async def enqueue(session: AsyncSession, **notification: Any) -> bool:
    """Add one notification (see `owed`) unless the same one is already owed."""
    return await enqueue_all(session, [owed(**notification)]) == 1


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

"""A commission's answer to a citizen: recorded in the thread and owed to the citizen's channel.

Both ways a commission answers (the Answer button in its Telegram group, an email reply from a
commission address) come through here, so the relay is the same.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from models.outbox import enqueue
from models.tables import (
    AuditLog,
    Case,
    CaseStatus,
    Direction,
    Message,
    NotificationKind,
    Reporter,
)
from models.types import utcnow

log = logging.getLogger(__name__)


async def record_commission_answer(
    session: AsyncSession,
    case: Case,
    text: str,
    *,
    actor: str,
    via: str,
    external_id: str | None = None,
) -> Message:
    """Add the answer to the case's thread and owe a relay to the citizen.

    `actor` names who answered ("tg:<user id>", "email:<commission code>"); `via` is the
    channel the answer came in on (telegram or email).
    """
    assert case.id is not None
    message = Message(
        case_id=case.id,
        direction=Direction.citizen_out,
        channel=via,
        text=text,
        author=actor,
        external_id=external_id,
    )
    session.add(message)
    await session.flush()
    case.status = CaseStatus.answered
    case.updated_at = utcnow()
    session.add(case)
    reporter = await session.get(Reporter, case.reporter_id) if case.reporter_id else None
    if reporter is not None and not reporter.blocked:
        await enqueue(
            session,
            kind=NotificationKind.relay,
            channel=reporter.channel,
            recipient=reporter.address,
            ref=f"message{message.id}",
            case_id=case.id,
            language=case.language,
            payload={"message_id": message.id},
        )
    session.add(
        AuditLog(
            actor=actor,
            action="case.answered",
            case_id=case.id,
            details={"message": message.id, "via": via},
        )
    )
    await session.flush()
    log.info("case %s answered via %s", case.number, via)
    return message

"""What a commission does to a case, whichever channel the action came in on (a Telegram
button, an email reply, the web console): take, resolve, reroute, an internal note. Each
changes the case and writes the audit log in the caller's transaction, under `actor`
("tg:<user id>", "email:<commission>", "web:<account email>"). Who may act is the caller's
rule; the answer to the citizen is `intake.answers.record_commission_answer`.
"""

from __future__ import annotations

import logging

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.routing import CENTRAL
from models.outbox import enqueue
from models.tables import (
    AuditLog,
    Case,
    CaseStatus,
    Channel,
    Commission,
    Direction,
    Message,
    NotificationKind,
)
from models.types import utcnow

log = logging.getLogger(__name__)

RESOLUTIONS = ("confirmed", "not_confirmed", "forwarded")


async def take(session: AsyncSession, case: Case, actor: str, assignee: int | None = None) -> None:
    """Assign the case to whoever took it (`assignee` is a Telegram user id when it has one;
    the audit row names the actor either way)."""
    previous = case.assignee
    case.assignee = assignee
    if case.status == CaseStatus.new:
        case.status = CaseStatus.assigned
    case.updated_at = utcnow()
    session.add(case)
    session.add(
        AuditLog(
            actor=actor, action="case.taken", case_id=case.id,
            details={"previous_assignee": previous},
        )
    )  # fmt: skip
    log.info("case %s taken", case.number)


async def resolve(
    session: AsyncSession, case: Case, actor: str, resolution: str, assignee: int | None = None
) -> None:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}")
    case.status = CaseStatus.resolved
    case.resolution = resolution
    case.closed_at = case.updated_at = utcnow()
    if case.assignee is None:
        case.assignee = assignee
    session.add(case)
    session.add(
        AuditLog(
            actor=actor, action="case.resolved", case_id=case.id,
            details={"resolution": resolution},
        )
    )  # fmt: skip
    log.info("case %s resolved: %s", case.number, resolution)


async def reroute_targets(session: AsyncSession, case: Case) -> list[Commission]:
    """Every other commission, the central committee last."""
    rows = (
        await session.exec(select(Commission).where(Commission.code != case.commission_code))
    ).all()
    return sorted(rows, key=lambda c: (c.code == CENTRAL, c.code))


async def reroute(
    session: AsyncSession, case: Case, actor: str, target_code: str, reason: str
) -> Commission:
    """Not ours: move the case to another region's commission, which is alerted at once."""
    target = await session.get(Commission, target_code)
    if target is None or target.code == case.commission_code:
        raise ValueError(f"cannot reroute {case.number} to {target_code!r}")
    source = case.commission_code
    moves = await session.exec(
        select(func.count()).where(AuditLog.case_id == case.id, AuditLog.action == "case.rerouted")
    )
    ref = f"case{case.id}.reroute{int(moves.one()) + 1}"
    if target.region is not None and target.region != case.region:
        case.region, case.district = target.region, None
    case.commission_code = target.code
    case.assignee = None
    case.status = CaseStatus.new
    case.updated_at = utcnow()
    session.add(case)
    await _alert(session, case, target, ref, {"rerouted_from": source, "reason": reason})
    session.add(
        AuditLog(
            actor=actor, action="case.rerouted", case_id=case.id,
            details={"from": source, "to": target.code, "reason": reason},
        )
    )  # fmt: skip
    log.info("case %s rerouted %s -> %s", case.number, source, target.code)
    return target


async def _alert(
    session: AsyncSession, case: Case, target: Commission, ref: str, payload: dict[str, str]
) -> None:
    recipients = [(Channel.email, address) for address in target.emails]
    if target.telegram_chat_id is not None:
        recipients.append((Channel.telegram, str(target.telegram_chat_id)))
    for channel, recipient in recipients:
        await enqueue(
            session,
            kind=NotificationKind.alert,
            channel=channel,
            recipient=recipient,
            ref=ref,
            case_id=case.id,
            commission_code=target.code,
            language=target.language,
            payload=payload,
        )


async def add_note(session: AsyncSession, case: Case, actor: str, text: str, via: str) -> Message:
    """An internal note in the case's thread: commissions see it, the citizen never does."""
    assert case.id is not None
    note = Message(
        case_id=case.id, direction=Direction.commission_note, channel=via, text=text, author=actor
    )
    session.add(note)
    await session.flush()
    session.add(
        AuditLog(actor=actor, action="case.noted", case_id=case.id, details={"message": note.id})
    )
    log.info("case %s: note added", case.number)
    return note

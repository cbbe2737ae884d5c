"""What a commission member may do to a case, as plain rules: who may act, Take, Resolve,
Not ours (reroute). Each changes the case and writes the audit log in the caller's
transaction; the group handlers are only the shell around these.

The Answer action is `intake.answers.record_commission_answer`, shared with email answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.routing import CENTRAL
from models.outbox import enqueue
from models.tables import AuditLog, Case, CaseStatus, Channel, Commission, NotificationKind
from models.types import utcnow

log = logging.getLogger(__name__)

RESOLUTIONS = ("confirmed", "not_confirmed", "forwarded")


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str  # member, moved, resolved, gone
    number: str | None = None
    target: str | None = None  # the commission the case now belongs to
    language: str = "ru"  # of the group where it was refused


@dataclass(frozen=True, slots=True)
class Allowed:
    case: Case
    commission: Commission


def actor(user_id: int) -> str:
    return f"tg:{user_id}"


async def group_language(session: AsyncSession, chat_id: int) -> str:
    """The language of the commission whose group this is (ru when none is)."""
    query = select(Commission.language).where(Commission.telegram_chat_id == chat_id)
    return (await session.exec(query)).first() or "ru"


async def authorise(
    session: AsyncSession,
    case_id: int,
    user_id: int,
    chat_id: int,
    action: str,
    *,
    open_only: bool = True,
) -> Allowed | Refusal:
    """Only a member of the case's commission, in that commission's group, may act; a refusal
    changes nothing but is written to the audit log."""
    language = await group_language(session, chat_id)
    case = await session.get(Case, case_id)
    if case is None:
        return Refusal("gone", language=language)
    commission = await session.get(Commission, case.commission_code)
    refusal = None
    if commission is None or commission.telegram_chat_id != chat_id:
        # The case is not (or no longer) this group's: it was passed to another commission.
        refusal = Refusal("moved", case.number, case.commission_code, language)
    elif user_id not in (commission.members or []):
        refusal = Refusal("member", case.number, language=language)
    elif open_only and case.status == CaseStatus.resolved:
        refusal = Refusal("resolved", case.number, language=language)
    if refusal is not None:
        session.add(
            AuditLog(
                actor=actor(user_id),
                action="case.action_refused",
                case_id=case.id,
                details={"action": action, "reason": refusal.reason, "chat": chat_id},
            )
        )
        log.info("case %s: %s refused (%s)", case.number, action, refusal.reason)
        return refusal
    assert commission is not None
    return Allowed(case, commission)


async def take(session: AsyncSession, case: Case, user_id: int) -> None:
    """Assign the case to the member who pressed Take."""
    previous = case.assignee
    case.assignee = user_id
    if case.status == CaseStatus.new:
        case.status = CaseStatus.assigned
    case.updated_at = utcnow()
    session.add(case)
    session.add(
        AuditLog(
            actor=actor(user_id),
            action="case.taken",
            case_id=case.id,
            details={"previous_assignee": previous},
        )
    )
    log.info("case %s taken", case.number)


async def resolve(session: AsyncSession, case: Case, user_id: int, resolution: str) -> None:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}")
    case.status = CaseStatus.resolved
    case.resolution = resolution
    case.closed_at = case.updated_at = utcnow()
    if case.assignee is None:
        case.assignee = user_id
    session.add(case)
    session.add(
        AuditLog(
            actor=actor(user_id),
            action="case.resolved",
            case_id=case.id,
            details={"resolution": resolution},
        )
    )
    log.info("case %s resolved: %s", case.number, resolution)


async def reroute_targets(session: AsyncSession, case: Case) -> list[Commission]:
    """Every other commission, the central committee last."""
    rows = (
        await session.exec(select(Commission).where(Commission.code != case.commission_code))
    ).all()
    return sorted(rows, key=lambda c: (c.code == CENTRAL, c.code))


async def reroute(
    session: AsyncSession, case: Case, user_id: int, target_code: str, reason: str
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
    payload = {"rerouted_from": source, "reason": reason}
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
    session.add(
        AuditLog(
            actor=actor(user_id),
            action="case.rerouted",
            case_id=case.id,
            details={"from": source, "to": target.code, "reason": reason},
        )
    )
    log.info("case %s rerouted %s -> %s", case.number, source, target.code)
    return target

"""Who in a Telegram group may act on a case, and the group's Take, Resolve and Not ours,
which are the channel-neutral rules of `intake.actions` under a `tg:<user id>` actor (the
web console and email replies call the same rules). The group handlers are the shell.

The Answer action is `intake.answers.record_commission_answer`, shared with email answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake import actions
from intake.actions import RESOLUTIONS, reroute_targets
from models.tables import AuditLog, Case, CaseStatus, Commission

log = logging.getLogger(__name__)

__all__ = ["RESOLUTIONS", "Allowed", "Refusal", "authorise", "reroute", "reroute_targets"]


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
    await actions.take(session, case, actor(user_id), assignee=user_id)


async def resolve(session: AsyncSession, case: Case, user_id: int, resolution: str) -> None:
    await actions.resolve(session, case, actor(user_id), resolution, assignee=user_id)


async def reroute(
    session: AsyncSession, case: Case, user_id: int, target_code: str, reason: str
) -> Commission:
    """Not ours: move the case to another region's commission, which is alerted at once."""
    return await actions.reroute(session, case, actor(user_id), target_code, reason)

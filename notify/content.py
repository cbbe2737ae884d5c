"""What a notification is about, loaded from the store: the case as a commission may see it,
the answer being relayed, the message being acknowledged."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import (
    Attachment,
    Case,
    Commission,
    Direction,
    Message,
    Notification,
    Reporter,
)

RELATED_SHOWN = 10
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


@dataclass(slots=True)
class Loaded:
    notification: Notification
    case: Case | None = None
    commission: Commission | None = None
    attachments: list[Attachment] = field(default_factory=list)
    answer: Message | None = None  # the commission's answer a relay carries
    followup: Message | None = None  # what the citizen added, for a follow-up's alert
    in_reply_to: str | None = None  # the citizen's Message-ID, to thread an ack or relay
    contact: str | None = None  # only when the citizen chose to share one
    related: list[str] = field(default_factory=list)
    rerouted_from: Commission | None = None

    @property
    def payload(self) -> dict[str, Any]:
        return self.notification.payload or {}

    @property
    def is_followup(self) -> bool:
        """An alert about what a citizen added to a case, not about a new case."""
        return self.notification.kind == "alert" and bool(self.payload.get("followup"))


async def _citizen_message_id(session: AsyncSession, case_id: int) -> str | None:
    rows = await session.exec(
        select(Message.external_id)
        .where(Message.case_id == case_id, Message.direction == Direction.citizen_in)
        .order_by(col(Message.id).desc())
        .limit(1)
    )
    value = rows.first()
    return value if value and _MESSAGE_ID.match(value) else None


async def _related(session: AsyncSession, case: Case) -> list[str]:
    if case.cluster_id is None:
        return []
    rows = await session.exec(
        select(Case.number)
        .where(Case.cluster_id == case.cluster_id, Case.id != case.id)
        .order_by(col(Case.id))
        .limit(RELATED_SHOWN)
    )
    return list(rows.all())


async def _contact(session: AsyncSession, case: Case) -> str | None:
    if not case.contact_shared or case.reporter_id is None:
        return None
    reporter = await session.get(Reporter, case.reporter_id)
    if reporter is None:
        return None
    shared = [value for value in (reporter.contact_phone, reporter.contact_email) if value]
    return ", ".join(shared) or None


async def load(session: AsyncSession, notification: Notification) -> Loaded:
    loaded = Loaded(notification=notification)
    if notification.case_id is not None:
        loaded.case = await session.get(Case, notification.case_id)
    code = notification.commission_code or (loaded.case and loaded.case.commission_code)
    if code:
        loaded.commission = await session.get(Commission, code)
    case = loaded.case
    if case is None or case.id is None:
        return loaded
    if notification.kind == "alert":
        evidence = select(Attachment).where(Attachment.case_id == case.id)
        if loaded.is_followup:
            # Only what this message brought: the case's earlier files went with its alert.
            followup = await session.get(Message, loaded.payload["followup"])
            loaded.followup = followup if followup and followup.case_id == case.id else None
            evidence = evidence.where(Attachment.message_id == loaded.payload["followup"])
        attachments = await session.exec(evidence.order_by(col(Attachment.id)))
        loaded.attachments = list(attachments.all())
        loaded.contact = await _contact(session, case)
        loaded.related = await _related(session, case)
        source = loaded.payload.get("rerouted_from")
        if source:
            loaded.rerouted_from = await session.get(Commission, source)
    elif notification.kind == "relay":
        message_id = loaded.payload.get("message_id")
        loaded.answer = await session.get(Message, message_id) if message_id else None
    if notification.kind in ("ack", "relay"):
        loaded.in_reply_to = await _citizen_message_id(session, case.id)
    return loaded


async def load_many(session: AsyncSession, notifications: list[Notification]) -> list[Loaded]:
    """`load` for a claimed batch in a few statements: the cases, their commissions and the
    evidence of new-case alerts fetched together (one IN query each), the rest row by row.
    The objects land in the session's identity map, so `load`'s own gets find them there."""
    case_ids = {n.case_id for n in notifications if n.case_id is not None}
    if not case_ids:
        return [await load(session, n) for n in notifications]
    cases = {c.id: c for c in await session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    codes = {n.commission_code for n in notifications} | {
        c.commission_code for c in cases.values()
    }
    codes.discard(None)
    if codes:
        list(await session.exec(select(Commission).where(col(Commission.code).in_(codes))))
    simple = {
        n.id
        for n in notifications
        if n.kind == "alert"
        and not (n.payload or {}).get("followup")
        and not (n.payload or {}).get("rerouted_from")
        and n.case_id in cases
        and not cases[n.case_id].contact_shared
        and cases[n.case_id].cluster_id is None
    }
    evidence: dict[int | None, list[Attachment]] = {}
    wanted = {n.case_id for n in notifications if n.id in simple}
    if wanted:
        found = await session.exec(
            select(Attachment)
            .where(col(Attachment.case_id).in_(wanted))
            .order_by(col(Attachment.id))
        )
        for item in found:
            evidence.setdefault(item.case_id, []).append(item)
    loaded = []
    for n in notifications:
        if n.id not in simple:
            loaded.append(await load(session, n))
            continue
        case = cases[n.case_id]
        code = n.commission_code or case.commission_code
        commission = await session.get(Commission, code) if code else None
        loaded.append(Loaded(n, case, commission, attachments=evidence.get(case.id, [])))
    return loaded

"""What the case page shows, read within the viewer's scope: a case of another commission
is None (the page answers 404, so its existence is not disclosed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import (
    Attachment,
    AuditLog,
    Case,
    CaseEntity,
    CaseLink,
    Commission,
    Message,
    Reporter,
)
from web.queue import scoped
from web.sessions import Viewer


@dataclass(slots=True)
class CaseView:
    case: Case
    messages: list[Message]
    attachments: list[Attachment]
    entities: list[CaseEntity]
    related: list[tuple[Case, str]]  # visible related cases and why
    history: list[AuditLog]
    contact: dict[str, str] = field(default_factory=dict)
    targets: list[Commission] = field(default_factory=list)


async def visible_case(session: AsyncSession, viewer: Viewer, number: str) -> Case | None:
    query = scoped(select(Case).where(Case.number == number[:32]), viewer.scope)
    return (await session.exec(query)).first()


async def _related(session: AsyncSession, viewer: Viewer, case: Case) -> list[tuple[Case, str]]:
    """Linked cases and the rest of its cluster, only those the viewer may see."""
    assert case.id is not None
    links = (
        await session.exec(
            select(CaseLink).where(
                or_(CaseLink.case_id == case.id, CaseLink.related_case_id == case.id)
            )
        )
    ).all()
    reasons = {
        (link.related_case_id if link.case_id == case.id else link.case_id): link.reason
        for link in links
    }
    ids: set[Any] = set(reasons)
    query = select(Case).where(col(Case.id).in_(ids)) if ids else None
    if case.cluster_id is not None:
        in_cluster = Case.cluster_id == case.cluster_id
        query = select(Case).where(or_(col(Case.id).in_(ids), in_cluster) if ids else in_cluster)
    if query is None:
        return []
    query = scoped(query.where(Case.id != case.id), viewer.scope).order_by(col(Case.created_at))
    rows = (await session.exec(query.limit(100))).all()
    return [(row, reasons.get(row.id or 0, "cluster")) for row in rows]


async def case_view(session: AsyncSession, viewer: Viewer, case: Case) -> CaseView:
    assert case.id is not None
    messages = await session.exec(
        select(Message).where(Message.case_id == case.id).order_by(col(Message.created_at), col(Message.id))
    )
    attachments = await session.exec(
        select(Attachment).where(Attachment.case_id == case.id).order_by(col(Attachment.id))
    )
    entities = await session.exec(
        select(CaseEntity).where(CaseEntity.case_id == case.id).order_by(CaseEntity.kind, CaseEntity.value)
    )
    history = await session.exec(
        select(AuditLog)
        .where(AuditLog.case_id == case.id, ~col(AuditLog.action).startswith("read."))
        .order_by(col(AuditLog.at), col(AuditLog.id))
    )
    view = CaseView(
        case, list(messages.all()), list(attachments.all()), list(entities.all()),
        await _related(session, viewer, case), list(history.all()),
    )  # fmt: skip
    if case.contact_shared and viewer.sees_contacts and case.reporter_id:
        reporter = await session.get(Reporter, case.reporter_id)
        if reporter is not None:
            view.contact = {
                k: v for k, v in (("phone", reporter.contact_phone), ("email", reporter.contact_email)) if v
            }
    return view

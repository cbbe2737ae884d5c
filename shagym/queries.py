"""Read-side queries shared by the CLI (reports, outbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Attachment, Case, Notification


def case_record(case: Case, attachments: list[Attachment], root: Path) -> dict[str, Any]:
    """A case as exported: what a commission may see, never who reported."""
    return {
        "case": case.number,
        "status": case.status,
        "region": case.region,
        "district": case.district,
        "category": case.category,
        "language": case.language,
        "channel": case.channel,
        "commission": case.commission_code,
        "cluster": case.cluster_id,
        "subject": case.subject,
        "text": case.text,
        "created_at": case.created_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "attachments": [
            {
                "name": a.original_name,
                "sha256": a.sha256,
                "size": a.size,
                "mime_type": a.mime_type,
                "path": str(root / a.path),
            }
            for a in attachments
        ],
    }


async def cases(
    session: AsyncSession,
    *,
    status: str | None = None,
    region: str | None = None,
    commission: str | None = None,
    limit: int | None = None,
) -> list[Case]:
    query = select(Case).order_by(col(Case.id))
    if status:
        query = query.where(Case.status == status)
    if region:
        query = query.where(Case.region == region)
    if commission:
        query = query.where(Case.commission_code == commission)
    if limit:
        query = query.order_by(None).order_by(col(Case.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def attachments_by_case(
    session: AsyncSession, case_ids: list[int]
) -> dict[int, list[Attachment]]:
    grouped: dict[int, list[Attachment]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return grouped
    rows = await session.exec(
        select(Attachment)
        .where(col(Attachment.case_id).in_(case_ids))
        .order_by(col(Attachment.id))
    )
    for row in rows:
        grouped[row.case_id].append(row)
    return grouped


def notification_record(row: Notification, case_number: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "channel": row.channel,
        "recipient": row.recipient,
        "case": case_number,
        "status": row.status,
        "attempts": row.attempts,
        "message_id": row.message_id,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }

"""Read-side queries shared by the CLI (reports, outbox)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.attachments import read_attachment
from models.tables import Attachment, AuditLog, Case, Notification


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def record_reads(session: AsyncSession, action: str, case_ids: list[int], **details: Any) -> None:
    """The access log: who read which cases (`read.case`, `read.export`), never what."""
    actor = cli_actor()
    session.add_all(
        AuditLog(actor=actor, action=action, case_id=case_id, details=details)
        for case_id in case_ids
    )


def _file_entry(a: Attachment, root: Path, files: Path | None) -> dict[str, Any]:
    """An attachment as exported; with `files`, a decrypted copy is written there."""
    path, encrypted = root / a.path, True
    if files is not None:
        files.mkdir(parents=True, exist_ok=True)
        path, encrypted = files / a.sha256, False
        if not path.exists():
            path.write_bytes(read_attachment(root, a.path))
    return {
        "name": a.original_name,
        "sha256": a.sha256,
        "size": a.size,
        "mime_type": a.mime_type,
        "path": str(path),
        "encrypted": encrypted,  # the stored file is encrypted at rest (see `--files`)
    }


def case_record(
    case: Case, attachments: list[Attachment], root: Path, files: Path | None = None
) -> dict[str, Any]:
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
        "attachments": [_file_entry(a, root, files) for a in attachments],
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

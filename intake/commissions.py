"""Loading the commissions file into the store."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.gazetteer import load as load_gazetteer
from intake.routing import CommissionSpec, read_commissions
from models.tables import AuditLog, Commission
from models.types import utcnow


def read_file(path: Path) -> list[CommissionSpec]:
    return read_commissions(path, set(load_gazetteer().regions))


async def sync_commissions(session: AsyncSession, specs: list[CommissionSpec]) -> int:
    """Insert or update every commission in the file; commissions no longer listed stay (their
    cases still point at them) but lose their members, so nobody can act for them."""
    existing = {c.code: c for c in (await session.exec(select(Commission))).all()}
    listed = set()
    for spec in specs:
        listed.add(spec.code)
        row = existing.get(spec.code) or Commission(code=spec.code, name=spec.name)
        row.region = spec.region
        row.name = spec.name
        row.emails = list(spec.emails)
        row.telegram_chat_id = spec.telegram_chat_id
        row.members = list(spec.members)
        row.language = spec.language
        row.is_central = spec.is_central
        row.updated_at = utcnow()
        session.add(row)
    for code, row in existing.items():
        if code not in listed:
            row.members = []
            session.add(row)
    session.add(
        AuditLog(actor="system", action="commissions.loaded", details={"count": len(specs)})
    )
    await session.flush()
    return len(specs)

"""`/audit`, central only: the access log (who read or did what, to which case, when)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from models.tables import AuditLog, Case
from web.guard import page
from web.render import render
from web.sessions import Viewer

SHOWN = 200


@page(central=True)
async def audit(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    actor = (request.query_params.get("actor") or "").strip()[:128]
    query = select(AuditLog, Case.number).join(Case, col(AuditLog.case_id) == Case.id, isouter=True)
    if actor:
        query = query.where(AuditLog.actor == actor)
    rows = (await session.exec(query.order_by(col(AuditLog.id).desc()).limit(SHOWN))).all()
    return render(request, "audit.html", {
        "viewer": viewer, "language": viewer.account.language, "rows": rows, "actor": actor,
    })  # fmt: skip

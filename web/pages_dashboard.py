"""The dashboard at `/`: per region and per category, the tile map, cases per day, triage."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from notify.texts import region_name
from web import dashboard
from web.cache import as_of, figures
from web.guard import page
from web.render import render
from web.sessions import Viewer


@page()
async def dashboard_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    language = viewer.account.language
    zone = request.app.state.settings.zone

    async def numbers(session: AsyncSession) -> tuple:
        return (*await dashboard.tallies(session, viewer.scope),
                await dashboard.per_day(session, viewer.scope, zone),
                await dashboard.triage(session, viewer.scope))  # fmt: skip

    cached = await figures(request, session, ("dashboard", viewer.scope), numbers)
    (regions, categories, days, triage), counted_at = cached
    names = {code: region_name(code, language) for code in dashboard.TILES}
    return render(request, "dashboard.html", {
        "viewer": viewer, "language": language, "regions": regions, "categories": categories,
        "tiles": dashboard.tile_map(regions, names), "bars": dashboard.bars(days),
        "days": days, "triage": triage, "as_of": as_of(counted_at),
        "total_open": sum(t.open for t in regions.values()),
    })  # fmt: skip


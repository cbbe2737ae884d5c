"""The dashboard's numbers and its SVG pictures, drawn on the server (no script, no colour
needed to read them: every tile and bar carries its number as text)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import case as when
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Case, CaseStatus
from models.types import utcnow
from web.queue import scoped

# Rough geography of Kazakhstan on a grid (column, row): west to east, north to south.
TILES = {
    "KOS": (2, 0), "SKO": (3, 0), "PAV": (4, 0),
    "ZKO": (0, 1), "AKT": (1, 1), "ULY": (2, 1), "AKM": (3, 1), "AST": (4, 1), "ABA": (5, 1),
    "VKO": (6, 1), "ATY": (0, 2), "KZY": (2, 2), "KAR": (3, 2), "ZHT": (5, 2),
    "MAN": (0, 3), "TUR": (2, 3), "ZHM": (3, 3), "ALM": (4, 3), "ALA": (5, 3), "SHY": (2, 4),
}  # fmt: skip
SHADES = ("#f1f5f9", "#dbeafe", "#93c5fd", "#3b82f6", "#1e3a8a")


@dataclass(slots=True)
class Tally:
    open: int = 0
    overdue: int = 0
    resolved: int = 0


async def tallies(
    session: AsyncSession, scope: str | None
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Open, overdue and resolved cases per region and per category, from one grouped scan in
    the order of the facets index (it holds every column read, so no report row is read)."""
    facets = [col(Case.status), col(Case.category), col(Case.channel), col(Case.region)]
    overdue = func.sum(when((col(Case.due_at) < utcnow(), 1), else_=0))
    query = scoped(select(*facets, func.count(), overdue), scope).group_by(*facets)  # type: ignore[call-overload]
    regions: dict[str, Tally] = {}
    categories: dict[str, Tally] = {}
    for status, category, _channel, region, n, late in (await session.exec(query)).all():
        for tally in (regions.setdefault(region or "NONE", Tally()),
                      categories.setdefault(category, Tally())):  # fmt: skip
            if status == CaseStatus.resolved:
                tally.resolved += int(n)
            else:
                tally.open += int(n)
                tally.overdue += int(late or 0)
    return regions, categories


async def per_day(
    session: AsyncSession, scope: str | None, zone: ZoneInfo, days: int = 30
) -> list[tuple[dt.date, int]]:
    today = utcnow().astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    query = scoped(select(Case.created_at).where(Case.created_at >= start), scope)
    counts = dict.fromkeys((first + dt.timedelta(days=n) for n in range(days)), 0)
    for moment in (await session.exec(query)).all():
        day = moment.astimezone(zone).date()
        if day in counts:
            counts[day] += 1
    return list(counts.items())


async def triage(session: AsyncSession, scope: str | None, limit: int = 20) -> list[Case]:
    query = scoped(select(Case), scope).where(
        col(Case.region).is_(None), Case.status != CaseStatus.resolved
    )
    return list((await session.exec(query.order_by(col(Case.due_at)).limit(limit))).all())


def shade(count: int, top: int) -> str:
    if count <= 0 or top <= 0:
        return SHADES[0]
    return SHADES[min(len(SHADES) - 1, 1 + (len(SHADES) - 2) * count // top)]


def tile_map(regions: dict[str, Tally], names: dict[str, str], size: int = 64) -> list[dict]:
    """The tiles to draw: position, fill, code, open count and full name (for the title)."""
    top = max((t.open for t in regions.values()), default=0)
    tiles = []
    for code, (x, y) in TILES.items():
        count = regions.get(code, Tally()).open
        tiles.append({
            "code": code, "x": x * (size + 4), "y": y * (size + 4), "size": size,
            "fill": shade(count, top), "dark": shade(count, top) in SHADES[3:],
            "open": count, "name": names.get(code, code),
        })  # fmt: skip
    return tiles


BARS_WIDTH, BARS_HEIGHT, BARS_MARGIN = 420, 190, 20  # the chart's viewBox, labels inside it


def bars(days: list[tuple[dt.date, int]]) -> list[dict]:
    """One bar per day with its count on top; a date under every seventh (the last included),
    so that the labels stay legible when the chart is shrunk to a phone's width."""
    top = max((n for _, n in days), default=0) or 1
    step = (BARS_WIDTH - 2 * BARS_MARGIN) / max(len(days), 1)
    out = []
    for i, (day, n) in enumerate(days):
        h = round((BARS_HEIGHT - 44) * n / top)
        out.append({"x": round(BARS_MARGIN + i * step + 1, 1), "w": round(step - 2, 1),
                    "y": BARS_HEIGHT - 22 - h, "h": h, "n": n, "day": day,
                    "label": (len(days) - 1 - i) % 7 == 0})  # fmt: skip
    return out

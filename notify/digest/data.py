"""Collecting one digest's figures from the store: every query of `queries`, nothing else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from intake.routing import CENTRAL
from models.tables import Case, Commission
from notify.digest import queries as q
from notify.digest.queries import Window


@dataclass(slots=True)
class DigestData:
    code: str
    name: str
    language: str
    national: bool
    window: Window
    new: list[Any] = field(default_factory=list)
    open: list[Any] = field(default_factory=list)  # by time left, overdue first
    by_category: list[Any] = field(default_factory=list)
    per_day: list[Any] = field(default_factory=list)
    clusters: list[Any] = field(default_factory=list)
    cluster_details: dict[str, list[Any]] = field(default_factory=dict)
    by_commission: list[Any] = field(default_factory=list)  # national only
    overdue: list[Any] = field(default_factory=list)  # national only
    triage: list[Any] = field(default_factory=list)  # national only

    def total(self, column: str) -> int:
        return sum(int(getattr(row, column)) for row in self.by_category)


async def collect(session: AsyncSession, commission: Commission, window: Window) -> DigestData:
    """All figures of one commission's digest (the national one for the central committee)."""
    national = commission.code == CENTRAL
    data = DigestData(
        code=commission.code,
        name=commission.name,
        language=commission.language,
        national=national,
        window=window,
    )
    where = q.everywhere() if national else q.of_commission(commission.code)
    data.by_category = await q.totals_by(session, Case.category, where, window)
    data.per_day = await q.per_day(session, where, window)
    data.clusters = await q.clusters(session, where, window)
    ids = [row.cluster_id for row in data.clusters]
    data.cluster_details = await q.cluster_details(session, ids)
    if national:
        data.by_commission = await q.totals_by(session, Case.commission_code, where, window)
        data.overdue = await q.open_cases(session, where, overdue_only=True, now=window.until)
        data.triage = await q.open_cases(
            session, q.of_commission(CENTRAL), overdue_only=False, now=window.until
        )
        data.new = await q.new_cases(session, q.of_commission(CENTRAL), window)
    else:
        data.new = await q.new_cases(session, where, window)
        data.open = await q.open_cases(session, where, overdue_only=False, now=window.until)
    return data


def chart_days(window: Window) -> list[dt.date]:
    last = (window.until - dt.timedelta(microseconds=1)).astimezone(window.zone).date()
    return [last - dt.timedelta(days=offset) for offset in range(q.CHART_DAYS - 1, -1, -1)]

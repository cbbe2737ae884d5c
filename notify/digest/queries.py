"""The SQL aggregation behind every digest: a few grouped queries per commission, no ORM
objects (the benchmark runs these alone to see what building the digest adds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, literal_column, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import keyed_hash
from intake.entities import entity_keys
from intake.related import SIMHASH_KIND
from models.tables import Case, CaseEntity, CaseLink, CaseStatus

LISTED = 50  # cases listed by name in a section; the rest are counted
CHART_DAYS = 30
CLUSTERS_SHOWN = 10
SNIPPET = 240


@dataclass(frozen=True, slots=True)
class Window:
    since: dt.datetime  # new cases counted from here (the last digest's end)
    until: dt.datetime  # to here (when this digest is built)
    zone: ZoneInfo
    web_base_url: str | None = None  # WEB_BASE_URL: case numbers link to the web console

    @property
    def chart_from(self) -> dt.datetime:
        return self.until - dt.timedelta(days=CHART_DAYS)


def dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None
    return bind.dialect.name


def _open() -> Any:
    return Case.status != CaseStatus.resolved


def _is_new(w: Window) -> Any:
    return and_(col(Case.created_at) >= w.since, col(Case.created_at) < w.until)


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.status,
    Case.region,
    Case.district,
    Case.category,
    Case.commission_code,
    Case.created_at,
    Case.due_at,
    Case.subject,
    func.substr(Case.text, 1, SNIPPET).label("snippet"),
)


async def new_cases(session: AsyncSession, where: Any, w: Window) -> list[Any]:
    query = select(*CASE_COLUMNS).where(where, _is_new(w)).order_by(col(Case.created_at))  # type: ignore[call-overload]
    return list((await session.exec(query.limit(LISTED))).all())  # type: ignore[call-overload]


async def open_cases(session: AsyncSession, where: Any, *, overdue_only: bool, now: dt.datetime):
    query = select(*CASE_COLUMNS).where(where, _open())  # type: ignore[call-overload]
    if overdue_only:
        query = query.where(Case.due_at < now)
    query = query.order_by(col(Case.due_at), col(Case.id)).limit(LISTED)
    return list((await session.exec(query)).all())  # type: ignore[call-overload]


async def totals_by(session: AsyncSession, key: Any, where: Any, w: Window) -> list[Any]:
    """Per `key` (category, or commission): new, open, overdue, resolved in the window."""
    query = (
        select(  # type: ignore[call-overload]
            key,
            _sum(_is_new(w)).label("new"),
            _sum(_open()).label("open"),
            _sum(and_(_open(), col(Case.due_at) < w.until)).label("overdue"),
            _sum(and_(col(Case.closed_at) >= w.since, col(Case.closed_at) < w.until)).label(
                "resolved"
            ),
        )
        .where(where)
        .group_by(key)
        .order_by(key)
    )
    return list((await session.exec(query)).all())  # type: ignore[call-overload]


def _local_day(session: AsyncSession, w: Window) -> Any:
    if dialect(session) == "postgresql":
        return cast(func.timezone(str(w.zone), Case.created_at), Date)
    # SQLite keeps UTC text; shift by the zone's offset when the window ends (fixed for
    # Asia/Almaty since 2024; a zone with DST would misplace the changeover day's first hour).
    offset = w.until.astimezone(w.zone).utcoffset() or dt.timedelta()
    return func.date(Case.created_at, f"{int(offset.total_seconds() // 60):+d} minutes")


async def per_day(session: AsyncSession, where: Any, w: Window) -> list[Any]:
    """(local day, category, count) over the chart's 30 days."""
    day = _local_day(session, w).label("day")
    query = (
        select(day, Case.category, func.count().label("n"))
        .where(where, Case.created_at >= w.chart_from, Case.created_at < w.until)
        .group_by(day, Case.category)
    )
    return list((await session.exec(query)).all())  # type: ignore[call-overload]


async def clusters(session: AsyncSession, where: Any, w: Window) -> list[Any]:
    """Clusters with two or more of the commission's open or recent cases, biggest first."""
    query = (
        select(Case.cluster_id, func.count().label("n"), func.min(Case.created_at).label("first"))
        .where(where, col(Case.cluster_id).is_not(None), or_(_open(), col(Case.created_at) >= w.chart_from))
        .group_by(col(Case.cluster_id))
        .having(func.count() >= 2)
        .order_by(func.count().desc(), col(Case.cluster_id))
        .limit(CLUSTERS_SHOWN)
    )  # fmt: skip
    return list((await session.exec(query)).all())  # type: ignore[call-overload]


async def cluster_details(session: AsyncSession, ids: list[int]) -> dict[str, list[Any]]:
    """For the shown clusters: their cases, the keys two or more of them share, link reasons."""
    if not ids:
        return {"cases": [], "keys": [], "reasons": []}
    members = await session.exec(  # type: ignore[call-overload]
        select(Case.cluster_id, Case.number, Case.region, Case.commission_code)
        .where(col(Case.cluster_id).in_(ids))
        .order_by(col(Case.id))
    )
    shared = func.count(func.distinct(CaseEntity.case_id))
    keys = await session.exec(  # type: ignore[call-overload]
        select(Case.cluster_id, CaseEntity.kind, CaseEntity.value, shared.label("n"))
        .join(Case, col(Case.id) == CaseEntity.case_id)
        .where(col(Case.cluster_id).in_(ids), CaseEntity.kind != SIMHASH_KIND)
        .group_by(col(Case.cluster_id), CaseEntity.kind, CaseEntity.value)
        .having(shared >= 2)
        .order_by(shared.desc())
    )
    reasons = await session.exec(  # type: ignore[call-overload]
        select(Case.cluster_id, CaseLink.reason)
        .join(Case, col(Case.id) == CaseLink.case_id)
        .where(col(Case.cluster_id).in_(ids))
        .distinct()
    )
    return {
        "cases": list(members),
        "keys": await _plain_keys(session, ids, list(keys)),
        "reasons": list(reasons),
    }


async def _plain_keys(session: AsyncSession, ids: list[int], keys: list[Any]) -> list[Any]:
    """The shared keys with their values: the store holds only their keyed hashes, so each
    is found again among the (decrypted) entities of the clusters' cases."""
    if not keys:
        return keys
    found = await session.exec(select(Case.entities).where(col(Case.cluster_id).in_(ids)))
    plain: dict[tuple[str, str], str] = {}
    for entities in found:
        for kind, value in entity_keys(entities or {}):
            plain[(kind, keyed_hash(value[:256]))] = value
    return [
        (cluster_id, kind, plain.get((kind, value), "…"), n) for cluster_id, kind, value, n in keys
    ]


def of_commission(code: str) -> Any:
    return Case.commission_code == code


def everywhere() -> Any:
    return literal_column("1") == 1

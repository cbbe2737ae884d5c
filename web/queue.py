"""The queue's filters, its keyset-paginated query (by time left) and the counts per filter.

The export uses the same `Filters` and `filtered`, so it holds exactly what the queue shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.search import matches
from models.tables import Case, CaseStatus, Channel
from models.types import utcnow

PAGE = 50
STATUSES = tuple(CaseStatus)
CHANNELS = (Channel.telegram, Channel.email)
NO_REGION = "none"  # the region filter's value for the central triage (no region found)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""
    category: str = ""
    region: str = ""
    channel: str = ""
    overdue: bool = False
    cluster: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = ""

    @classmethod
    def of(cls, params: Any, central: bool) -> Filters:
        def text(name: str, limit: int = 32) -> str:
            return str(params.get(name) or "").strip()[:limit]

        return cls(
            status=text("status") if text("status") in STATUSES else "",
            category=text("category"),
            region=text("region").upper() if central else "",
            channel=text("channel") if text("channel") in CHANNELS else "",
            overdue=params.get("overdue") in ("1", "on", "true"),
            cluster=_int(params.get("cluster")),
            since=_date(params.get("since")),
            until=_date(params.get("until")),
            q=text("q", 200),
        )

    def query(self, **changes: Any) -> str:
        """The URL query of these filters with `changes` (empty values left out)."""
        values = replace(self, **changes)
        pairs = []
        for field in fields(values):
            value = getattr(values, field.name)
            if value in (None, "", False):
                continue
            pairs.append((field.name, "1" if value is True else str(value)))
        return urlencode(pairs)

    def where(self, dialect: str, zone: ZoneInfo, skip: Collection[str] = ()) -> list[Any]:
        """The WHERE clauses of these filters; `skip` leaves some of the facets out (counts)."""
        clauses: list[Any] = []
        if self.status and "status" not in skip:
            clauses.append(Case.status == self.status)
        if self.category and "category" not in skip:
            clauses.append(Case.category == self.category)
        if self.region and "region" not in skip:
            clauses.append(
                col(Case.region).is_(None) if self.region == NO_REGION.upper()
                else Case.region == self.region
            )  # fmt: skip
        if self.channel and "channel" not in skip:
            clauses.append(Case.channel == self.channel)
        if self.overdue:
            clauses.append(
                and_(col(Case.due_at) < utcnow(), col(Case.status) != CaseStatus.resolved)
            )
        if self.cluster is not None:
            clauses.append(Case.cluster_id == self.cluster)
        if self.since:
            clauses.append(Case.created_at >= _start_of(self.since, zone))
        if self.until:
            clauses.append(Case.created_at < _start_of(self.until + dt.timedelta(days=1), zone))
        if self.q:
            # `id + 0`: SQLite then walks an index (due order for a page, the facets for
            # counts) testing each case against the matches once, instead of fetching every
            # matching row and sorting them all (a common word matches most cases).
            found = matches(dialect, self.q, col(Case.id) + 0 if dialect == "sqlite" else Case.id)
            if found is not None:
                clauses.append(found)
        return clauses


def _start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


def scoped(query: Any, scope: str | None) -> Any:
    """Only the cases of the commission `scope` (None: all)."""
    return query if scope is None else query.where(Case.commission_code == scope)


def filtered(
    filters: Filters, scope: str | None, dialect: str, zone: ZoneInfo
) -> SelectOfScalar[Case]:
    query = scoped(select(Case), scope).where(*filters.where(dialect, zone))
    return query.order_by(col(Case.due_at), col(Case.id))


def cursor_of(case: Case) -> str:
    return f"{case.due_at.isoformat()}~{case.id}"


def _after(cursor: str | None) -> Any:
    """The keyset condition "after this case in due order", or None for the first page."""
    due_text, _, id_text = (cursor or "").partition("~")
    try:
        due, case_id = dt.datetime.fromisoformat(due_text), int(id_text)
    except ValueError:
        return None
    if due.tzinfo is None:
        return None
    # The redundant `due_at >= due` is the range the index scan starts from: without it,
    # both stores walked the due-order index from its first entry, filtering out every case
    # of the pages before (20,000 rows for page 400, ~20 ms on PostgreSQL).
    return and_(
        col(Case.due_at) >= due,
        or_(col(Case.due_at) > due, and_(col(Case.due_at) == due, col(Case.id) > case_id)),
    )


async def page_of(
    session: AsyncSession, filters: Filters, scope: str | None, zone: ZoneInfo, after: str | None
) -> tuple[list[Case], str | None]:
    """One page of the queue and the cursor of the next (None on the last page)."""
    dialect = session.get_bind().dialect.name
    query = filtered(filters, scope, dialect, zone)
    condition = _after(after)
    if condition is not None:
        query = query.where(condition)
    rows = list((await session.exec(query.limit(PAGE + 1))).all())
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, cursor_of(rows[-1]) if more and rows else None


FACETS = ("status", "category", "channel", "region")


def _key(name: str, value: str | None) -> str:
    return (value or NO_REGION.upper()) if name == "region" else str(value)


def _kept(filters: Filters, cell: dict[str, str], skip: str) -> bool:
    """Whether a cell of the cube passes the facet filters other than `skip`."""
    return all(
        not getattr(filters, name) or name == skip or cell[name] == getattr(filters, name)
        for name in FACETS
    )


async def counts(
    session: AsyncSession, filters: Filters, scope: str | None, zone: ZoneInfo, central: bool
) -> dict[str, dict[str, int]]:
    """For each filter, how many cases each of its values would show with the others kept:
    one grouped scan by all four facets (the other filters applied), summed up here."""
    dialect = session.get_bind().dialect.name
    columns = [getattr(Case, name) for name in FACETS]
    query = scoped(select(*columns, func.count()), scope).where(  # type: ignore[call-overload]
        *filters.where(dialect, zone, skip=FACETS)
    )
    rows = (await session.exec(query.group_by(*columns))).all()  # type: ignore[call-overload]
    cells = [({n: _key(n, v) for n, v in zip(FACETS, row[:-1], strict=True)}, int(row[-1]))
             for row in rows]  # fmt: skip
    found: dict[str, dict[str, int]] = {}
    for name in FACETS if central else FACETS[:-1]:
        tally: dict[str, int] = {}
        for cell, n in cells:
            if _kept(filters, cell, name):
                tally[cell[name]] = tally.get(cell[name], 0) + n
        found[name] = tally
    found["total"] = {"all": sum(n for cell, n in cells if _kept(filters, cell, ""))}
    return found

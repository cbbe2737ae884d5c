"""`/cases.csv` and `/cases.xlsx`: the filtered queue, every page of it.

No citizen contact unless the citizen chose to share it and the role may see it; a cell that
a spreadsheet would take for a formula (= + - @, tab, CR) is prefixed with an apostrophe.
Every export is a `read.export` row in the access log.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from models.tables import AuditLog, Case, Reporter
from web.guard import page, record
from web.queue import Filters, filtered
from web.sessions import Viewer

MAX_ROWS = 100_000
COLUMNS = ("case", "status", "region", "district", "category", "language", "channel",
           "subject", "text", "created_at", "due_at", "closed_at", "resolution", "contact")  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


async def _rows(request: Request, session: AsyncSession, viewer: Viewer) -> list[list[Any]]:
    settings = request.app.state.settings
    filters = Filters.of(request.query_params, viewer.is_central)
    dialect = session.get_bind().dialect.name
    cases = list((await session.exec(
        filtered(filters, viewer.scope, dialect, settings.zone).limit(MAX_ROWS))).all())  # fmt: skip
    contacts = await _contacts(session, cases) if viewer.sees_contacts else {}
    record(request, AuditLog(actor=viewer.actor, action="read.export", details={
        "rows": len(cases), "filters": filters.query(), "contacts": len(contacts),
    }))  # fmt: skip
    return [[neutral(v) for v in _row(case, contacts.get(case.id or 0, ""))] for case in cases]


async def _contacts(session: AsyncSession, cases: list[Case]) -> dict[int, str]:
    shared = {case.reporter_id: case.id for case in cases if case.contact_shared and case.reporter_id}
    if not shared:
        return {}
    reporters = await session.exec(select(Reporter).where(col(Reporter.id).in_(list(shared))))
    found: dict[int, str] = {}
    for reporter in reporters.all():
        value = " ".join(v for v in (reporter.contact_phone, reporter.contact_email) if v)
        for case in cases:
            if case.reporter_id == reporter.id and case.contact_shared and case.id and value:
                found[case.id] = value
    return found


def _row(case: Case, contact: str) -> list[Any]:
    def iso(moment: Any) -> str:
        return moment.isoformat() if moment else ""

    return [case.number, case.status, case.region or "", case.district or "", case.category,
            case.language, case.channel, case.subject or "", case.text, iso(case.created_at),
            iso(case.due_at), iso(case.closed_at), case.resolution or "", contact]  # fmt: skip


def _download(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


@page()
async def csv_export(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    rows = await _rows(request, session, viewer)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    # A BOM so that Excel opens Cyrillic text as UTF-8.
    return _download(("\ufeff" + out.getvalue()).encode(), "text/csv; charset=utf-8", "cases.csv")


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@page()
async def xlsx_export(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    rows = await _rows(request, session, viewer)
    content = await asyncio.to_thread(_xlsx, rows)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(content, media, "cases.xlsx")

"""`shagym reports list|show|export` and `shagym outbox list`."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlmodel import col, select

from core.settings import Settings, load_settings
from models.tables import Case, Message, Notification
from shagym import queries
from shagym.errors import CliError, friendly
from shagym.store import open_store

reports_app = typer.Typer(help="Cases: list, show, export.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="The outbox: what the system owes and what it delivered.", no_args_is_help=True
)

CSV_FIELDS = [
    "case",
    "status",
    "region",
    "district",
    "category",
    "language",
    "channel",
    "commission",
    "cluster",
    "created_at",
    "due_at",
    "text",
    "attachments",
]


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


async def _records(
    settings: Settings, *, read: str | None = None, files: Path | None = None, **filters: Any
) -> list[dict[str, Any]]:
    """The cases; with `read`, each is recorded in the access log under that action."""
    async with open_store(settings) as (_, sessions), sessions() as session:
        rows = await queries.cases(session, **filters)
        ids = [r.id for r in rows if r.id]
        by_case = await queries.attachments_by_case(session, ids)
        if read:
            queries.record_reads(session, read, ids)
            await session.commit()
        root = settings.ATTACHMENTS_DIR
        return [queries.case_record(r, by_case[r.id or 0], root, files) for r in rows]


@reports_app.command("list")
@friendly
def list_(
    status: Annotated[str | None, typer.Option(help="new, assigned, answered or resolved")] = None,
    region: Annotated[str | None, typer.Option(help="a region code, e.g. AKM")] = None,
    commission: Annotated[str | None, typer.Option(help="a commission code")] = None,
    limit: Annotated[int, typer.Option(help="newest N cases")] = 50,
) -> None:
    """List the newest cases."""
    records = asyncio.run(
        _records(load_settings(), status=status, region=region, commission=commission, limit=limit)
    )
    table = Table("case", "status", "region", "district", "category", "lang", "via", "due")
    for r in records:
        table.add_row(
            r["case"],
            r["status"],
            r["region"] or "—",
            r["district"] or "",
            r["category"],
            r["language"],
            r["channel"],
            r["due_at"][:10],
        )
    Console().print(table)


@reports_app.command("show")
@friendly
def show(number: Annotated[str, typer.Argument(help="case number, e.g. SH-2026-00001")]) -> None:
    """Show one case with its thread."""
    settings = load_settings()

    async def _go() -> tuple[dict[str, Any], list[Message]]:
        async with open_store(settings) as (_, sessions), sessions() as session:
            case = (await session.exec(select(Case).where(Case.number == number))).first()
            if case is None or case.id is None:
                raise CliError(f"no case {number}")
            files = await queries.attachments_by_case(session, [case.id])
            queries.record_reads(session, "read.case", [case.id])
            await session.commit()
            thread = await session.exec(
                select(Message).where(Message.case_id == case.id).order_by(col(Message.id))
            )
            return queries.case_record(case, files[case.id], settings.ATTACHMENTS_DIR), list(
                thread
            )

    record, thread = asyncio.run(_go())
    console = Console()
    for key in (
        "case",
        "status",
        "region",
        "district",
        "category",
        "language",
        "channel",
        "commission",
        "created_at",
        "due_at",
    ):
        console.print(f"[bold]{key}[/]: {record[key]}", highlight=False, markup=True)
    for attachment in record["attachments"]:
        console.print(
            f"  attachment {attachment['sha256'][:12]} {attachment['mime_type']} {attachment['size']} B",
            markup=False,
        )
    for message in thread:
        console.rule(
            f"{message.direction} via {message.channel} at {message.created_at:%Y-%m-%d %H:%M}"
        )
        console.print(message.text, markup=False, highlight=False)


def _write_csv(records: list[dict[str, Any]], out: Any) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for r in track(
        records,
        description="exporting",
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),
    ):
        writer.writerow({**r, "attachments": ";".join(a["sha256"] for a in r["attachments"])})


def _write_xlsx(records: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(CSV_FIELDS)
    for r in track(
        records,
        description="exporting",
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),
    ):
        row = {**r, "attachments": ";".join(a["sha256"] for a in r["attachments"])}
        # A leading = + - @ would be read as a formula by spreadsheet programs.
        sheet.append([_inert(row[f]) for f in CSV_FIELDS])
    book.save(path)


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@reports_app.command("export")
@friendly
def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="csv, json (one object per line) or xlsx")
    ] = ExportFormat.json,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="file to write; stdout when omitted (not for xlsx)"),
    ] = None,
    status: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    commission: Annotated[str | None, typer.Option()] = None,
    files: Annotated[
        Path | None,
        typer.Option(help="write decrypted copies of the attachments here; paths point to them"),
    ] = None,
) -> None:
    """Export cases (never who reported them); each export is recorded in the access log."""
    if fmt is ExportFormat.xlsx and out is None:
        raise CliError("xlsx needs --out FILE.xlsx")
    records = asyncio.run(
        _records(
            load_settings(), read="read.export", files=files,
            status=status, region=region, commission=commission,
        )
    )  # fmt: skip
    if fmt is ExportFormat.xlsx:
        assert out is not None
        _write_xlsx(records, out)
        typer.echo(f"wrote {len(records)} cases to {out}", err=True)
        return
    with out.open("w", encoding="utf-8", newline="") if out else sys.stdout as sink:
        if fmt is ExportFormat.csv:
            _write_csv(records, sink)
        else:
            for r in records:
                sink.write(json.dumps(r, ensure_ascii=False) + "\n")


@outbox_app.command("list")
@friendly
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sending, sent or dead")] = None,
    kind: Annotated[str | None, typer.Option(help="ack, alert, digest or relay")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    limit: Annotated[int, typer.Option()] = 1000,
) -> None:
    """List notifications in the outbox."""
    settings = load_settings()

    async def _go() -> list[dict[str, Any]]:
        async with open_store(settings) as (_, sessions), sessions() as session:
            query = (
                select(Notification, Case.number)
                .join(Case, isouter=True)
                .order_by(col(Notification.id))
                .limit(limit)
            )
            if status:
                query = query.where(Notification.status == status)
            if kind:
                query = query.where(Notification.kind == kind)
            return [
                queries.notification_record(n, number) for n, number in await session.exec(query)
            ]

    records = asyncio.run(_go())
    if fmt == "json":
        for r in records:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    table = Table("id", "kind", "channel", "recipient", "case", "status", "attempts", "last error")
    for r in records:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["channel"],
            r["recipient"],
            r["case"] or "",
            r["status"],
            str(r["attempts"]),
            (r["last_error"] or "")[:60],
        )
    Console().print(table)

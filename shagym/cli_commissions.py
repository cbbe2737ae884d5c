"""`shagym commissions load|list`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select

from core.settings import load_settings
from intake.commissions import read_file, sync_commissions
from models.tables import Commission
from shagym.errors import friendly
from shagym.store import open_store

app = typer.Typer(help="Regional commissions and the central committee.", no_args_is_help=True)


@app.command("load")
@friendly
def load(file: Annotated[Path, typer.Argument(help="A commissions TOML file.")]) -> None:
    """Load (insert or update) every commission in FILE."""
    specs = read_file(file)
    settings = load_settings()

    async def _go() -> int:
        async with open_store(settings) as (_, sessions), sessions() as session:
            count = await sync_commissions(session, specs)
            await session.commit()
            return count

    count = asyncio.run(_go())
    typer.echo(f"loaded {count} commissions from {file}")


@app.command("list")
@friendly
def list_(fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table") -> None:
    """List the commissions in the store."""
    settings = load_settings()

    async def _go() -> list[Commission]:
        async with open_store(settings) as (_, sessions), sessions() as session:
            rows = await session.exec(
                select(Commission).order_by(col(Commission.is_central).desc(), Commission.code)
            )  # type: ignore[attr-defined]
            return list(rows.all())

    rows = asyncio.run(_go())
    if fmt == "json":
        for row in rows:
            typer.echo(
                json.dumps(row.model_dump(mode="json", exclude={"updated_at"}), ensure_ascii=False)
            )
        return
    table = Table("code", "name", "emails", "telegram", "members", "lang")
    for row in rows:
        table.add_row(
            row.code,
            row.name,
            ", ".join(row.emails),
            str(row.telegram_chat_id or ""),
            str(len(row.members)),
            row.language,
        )
    Console().print(table)
    if not rows:
        typer.echo("no commissions yet: run `shagym commissions load FILE`", err=True)

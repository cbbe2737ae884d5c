"""`shagym bot ban|unban|bans|ledger`: the bot's ban list and its update ledger."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Annotated

import typer
from sqlalchemy import func
from sqlmodel import col, select

from core.settings import load_settings
from models.tables import BannedUser, TelegramUpdate
from shagym.errors import friendly
from shagym.store import open_store

app = typer.Typer(help="The Telegram bot: ban list and update ledger.", no_args_is_help=True)


@app.command("ban")
@friendly
def ban(
    user_id: Annotated[int, typer.Argument(help="Telegram user id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the store).")] = "",
) -> None:
    """Ignore every update from USER_ID (the bot picks it up within 30 s)."""

    async def _go() -> None:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            row = await session.get(BannedUser, user_id) or BannedUser(telegram_user_id=user_id)
            row.reason = reason[:512] or None
            session.add(row)
            await session.commit()

    asyncio.run(_go())
    typer.echo(f"banned {user_id}")


@app.command("unban")
@friendly
def unban(user_id: Annotated[int, typer.Argument(help="Telegram user id.")]) -> None:
    """Take USER_ID off the ban list."""

    async def _go() -> bool:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            row = await session.get(BannedUser, user_id)
            if row is None:
                return False
            await session.delete(row)
            await session.commit()
            return True

    typer.echo(f"unbanned {user_id}" if asyncio.run(_go()) else f"{user_id} was not banned")


@app.command("bans")
@friendly
def bans() -> None:
    """The ban list, one JSON object per line."""

    async def _go() -> list[BannedUser]:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            query = select(BannedUser).order_by(col(BannedUser.created_at))
            return list((await session.exec(query)).all())

    for row in asyncio.run(_go()):
        typer.echo(json.dumps(row.model_dump(mode="json"), ensure_ascii=False))


@app.command("ledger")
@friendly
def ledger() -> None:
    """How many updates the ledger holds in each status (`failed`/`received`: replayed at the
    next start, up to three attempts)."""

    async def _go() -> Counter[str]:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            query = select(TelegramUpdate.status, func.count()).group_by(TelegramUpdate.status)
            return Counter({status: count for status, count in (await session.exec(query)).all()})

    typer.echo(json.dumps(dict(asyncio.run(_go())), ensure_ascii=False))

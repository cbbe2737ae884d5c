"""`shagym digest preview|send`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.settings import Settings, load_settings
from models.tables import Commission
from shagym.errors import CliError, friendly
from shagym.store import open_store

app = typer.Typer(help="Daily digests: preview one, or send those that are due.")


async def _preview(settings: Settings, code: str, out: Path) -> list[Path]:
    from notify.digest.build import build
    from notify.digest.data import collect
    from notify.digest.schedule import DigestScheduler, due_period

    async with open_store(settings) as (_, sessions):
        scheduler = DigestScheduler.from_settings(settings, sessions)
        # One short session at a time: on SQLite every transaction holds the write lock.
        async with sessions() as session:
            commission = await session.get(Commission, code)
        if commission is None:
            raise CliError(f"no commission {code}; see `shagym commissions list`")
        period = due_period(scheduler.clock.now(), scheduler.zone, scheduler.at)
        window = await scheduler.window_for(code, period)
        async with sessions() as session:
            data = await collect(session, commission, window)
        digest = build(data, chart_src="chart.png", period=period)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "digest.html": digest.html.encode(),
        "digest.txt": digest.text.encode(),
        "chart.png": digest.chart_png,
        "telegram.html": digest.telegram_html.encode(),
        "subject.txt": (digest.subject + "\n").encode(),
    }
    for name, content in files.items():
        (out / name).write_bytes(content)
    return [out / name for name in files]


@app.command("preview")
@friendly
def preview(
    commission: Annotated[str, typer.Option("--commission", help="a commission code, e.g. AKM")],
    out: Annotated[Path, typer.Option("--out", help="directory for digest.html and chart.png")],
) -> None:
    """Write a commission's digest as it would be sent now (nothing is recorded or sent)."""
    for path in asyncio.run(_preview(load_settings(), commission.upper(), out)):
        typer.echo(str(path))


async def _send(settings: Settings) -> tuple[list[str], int]:
    from notify.digest.schedule import DigestScheduler
    from notify.service import build_worker

    async with open_store(settings) as (_, sessions):
        owed = await DigestScheduler.from_settings(settings, sessions).tick()
        worker = build_worker(settings, sessions)
        worker.kinds = {"digest"}
        delivered = await worker.drain()
        return owed, delivered


@app.command("send")
@friendly
def send() -> None:
    """Owe every digest that is due and not yet sent, then deliver the digests waiting in the
    outbox. A period's digest is never sent twice."""
    owed, delivered = asyncio.run(_send(load_settings()))
    typer.echo(f"owed now: {', '.join(owed) or 'none (all due digests were already owed)'}")
    typer.echo(f"digest notifications processed: {delivered} (see `shagym outbox list`)")

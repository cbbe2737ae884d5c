"""The `shagym` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from shagym.cli_bot import app as bot_app
from shagym.cli_commissions import app as commissions_app
from shagym.cli_digest import app as digest_app
from shagym.cli_mail import ingest_eml, mail_app
from shagym.cli_reports import outbox_app, reports_app
from shagym.demo import demo
from shagym.errors import CliError, friendly
from shagym.logs import configure_logging
from shagym.settings import load_settings

app = typer.Typer(
    name="shagym",
    help="Shagym: a hotline for reports of violations (Telegram and email in, one case per report).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The case store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(commissions_app, name="commissions")
app.add_typer(reports_app, name="reports")
app.add_typer(outbox_app, name="outbox")
app.add_typer(digest_app, name="digest")
app.add_typer(mail_app, name="mail")
app.add_typer(bot_app, name="bot")
app.command("ingest-eml")(ingest_eml)
app.command("demo")(demo)

LOOPS = ("bot", "mail", "outbox", "digests")


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    configure_logging("DEBUG" if verbose else None)


@app.command()
@friendly
def analyse(
    file: Annotated[
        Path | None, typer.Argument(help="JSON lines with a `text` field; stdin when omitted.")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Analyse this one text instead.")
    ] = None,
) -> None:
    """Analyse texts: region, district, category, language, confidence, entities (JSON lines)."""
    from shagym.analyse_cli import analyse_lines, analyse_one

    if text is not None:
        print(json.dumps(analyse_one(text), ensure_ascii=False))  # noqa: T201
        return
    if file is not None and not file.is_file():
        raise CliError(f"no such file: {file}")
    with file.open("r", encoding="utf-8", errors="replace") if file else sys.stdin as source:
        analyse_lines(source, sys.stdout)


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply every pending migration to DATABASE_URL."""
    from models.db import create_engine
    from models.migrate import current_revision, upgrade

    settings = load_settings()

    async def _go() -> str | None:
        engine = create_engine(settings.DATABASE_URL)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(_go())
    typer.echo(f"database is at revision {revision}")


@app.command()
@friendly
def run(
    only: Annotated[
        str | None, typer.Option(help=f"Comma-separated loops to start: {','.join(LOOPS)}.")
    ] = None,
) -> None:
    """Start the service: migrate, load commissions, then run every configured loop."""
    from shagym.runner import run_service

    wanted = set(LOOPS)
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        unknown = wanted - set(LOOPS)
        if unknown:
            raise CliError(
                f"unknown loop(s) {', '.join(sorted(unknown))}; choose from {', '.join(LOOPS)}"
            )
    settings = load_settings()
    configure_logging(settings.LOG_LEVEL)
    try:
        asyncio.run(run_service(settings, wanted))
    except KeyboardInterrupt:
        logging.getLogger("shagym").info("stopped")


def main() -> None:
    app()

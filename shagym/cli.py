"""The `shagym` command line.

Each command lives in its own module and is imported only when it runs, so `shagym --help`
and a one-text `shagym analyse` do not pay for aiogram, SQLAlchemy or Alembic.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from core.logs import configure_logging

# name: ("module:attribute" of its Typer app, the one-line help shown by `shagym --help`).
# Adding a command is one line here and a `shagym/cli_<name>.py` holding `app`: a
# `typer.Typer(help=...)` for a group of subcommands, a bare `typer.Typer()` for one command.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("shagym.cli_run:app", "Start the service: migrate, load commissions, run the loops."),
    "demo": ("demo.command:app", "Show the whole hotline working, offline."),
    "analyse": ("shagym.cli_analyse:app", "Analyse texts: region, category, language, entities."),
    "ingest-eml": ("shagym.cli_mail:ingest_app", "Ingest stored .eml files (the IMAP code path)."),
    "db": ("shagym.cli_db:app", "The case store's schema."),
    "commissions": ("shagym.cli_commissions:app", "Regional commissions and the central committee."),
    "reports": ("shagym.cli_reports:reports_app", "Cases: list, show, export."),
    "outbox": ("shagym.cli_reports:outbox_app", "What the system owes and what it delivered."),
    "digest": ("shagym.cli_digest:app", "Daily digests: preview one, or send those due."),
    "mail": ("shagym.cli_mail:mail_app", "The email channel: quarantine and ignored mail."),
    "bot": ("shagym.cli_bot:app", "The Telegram bot: ban list and update ledger."),
    "keys": ("shagym.cli_keys:app", "Data keys of encryption at rest: new, status, rotate."),
    "privacy": ("shagym.cli_privacy:app", "Privacy: erase personal data past retention."),
    "backup": ("shagym.cli_backup:backup_app", "Back up the store and evidence, encrypted."),
    "restore": ("shagym.cli_backup:restore_app", "Restore a backup into an empty store."),
    "audit": ("shagym.cli_audit:app", "Audit a membership registry or primaries' votes."),
    "web": ("shagym.cli_web:app", "Serve the web console alone (run --only web)."),
    "users": ("shagym.cli_users:app", "Web console accounts: add, list, disable, reset-password."),
    "train": ("shagym.cli_train:app", "Train the intake's category model from the labelled corpus."),
}

COMPLETION_OPTIONS = {"install_completion", "show_completion"}


class LazyGroup(TyperGroup):
    """A group whose commands are imported on first use; the help lists them from COMMANDS."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        target, summary = COMMANDS[cmd_name]
        if self.listing:  # the help only needs the summary; importing would defeat the point
            return typer.core.TyperCommand(cmd_name, help=summary, short_help=summary)
        module, attribute = target.split(":")
        sub_app = getattr(importlib.import_module(module), attribute)
        # A sub-app with help text is a group even with one command (`outbox list` stays a path);
        # one without is a single command (`analyse`).
        build = typer.main.get_group if sub_app.info.help else typer.main.get_command
        command = build(sub_app)
        command.name = cmd_name
        # A sub-app made into a command on its own would offer shell completion; the root doesn't.
        command.params = [p for p in command.params if p.name not in COMPLETION_OPTIONS]
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="shagym",
    cls=LazyGroup,
    help="Shagym: a hotline for reports of violations (Telegram and email in, one case per report).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    configure_logging("DEBUG" if verbose else None)


def main() -> None:
    app()

"""`shagym users add|list|disable|reset-password|totp`: accounts of the web console."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from core.settings import load_settings
from shagym.errors import CliError, friendly
from shagym.store import open_store

app = typer.Typer(help="Web console accounts: add, list, disable, reset-password.",
                  no_args_is_help=True)  # fmt: skip


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


async def _with_account(email: str, change: object) -> str:
    from web import accounts

    async with open_store(load_settings()) as (_, sessions), sessions() as session:
        account = await accounts.find(session, email)
        if account is None:
            raise CliError(f"no account {email.strip().lower()}")
        result = change(account)  # type: ignore[operator]
        session.add(account)
        await session.commit()
        return str(result or "")


@app.command("add")
@friendly
def add(
    email: str,
    role: Annotated[str, typer.Option(help="central, commission or viewer")],
    region: Annotated[str | None, typer.Option(help="the commission's code (commission role)")] = None,
    language: Annotated[str, typer.Option(help="ru, kk or en")] = "ru",
    totp: Annotated[bool, typer.Option(help="require a one-time code at sign-in")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Create an account (the password is asked for, or read from stdin)."""
    from web import accounts

    password = _password(password_stdin)

    async def _go() -> str:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            try:
                account = await accounts.add(session, email, password, role, region, language, totp)
            except accounts.AccountError as exc:
                raise CliError(str(exc)) from None
            await session.commit()
            return accounts.totp_uri(account) if account.totp_secret else ""

    uri = asyncio.run(_go())
    typer.echo(f"added {email.strip().lower()} ({role})")
    if uri:
        typer.echo(f"TOTP: add this to the authenticator app: {uri}")


@app.command("list")
@friendly
def list_() -> None:
    """Every account: email, role, region, TOTP, disabled."""
    from sqlmodel import col, select

    from models.web import WebAccount

    async def _go() -> list[WebAccount]:
        async with open_store(load_settings()) as (_, sessions), sessions() as session:
            return list((await session.exec(select(WebAccount).order_by(col(WebAccount.email)))).all())

    for a in asyncio.run(_go()):
        flags = " ".join(f for f, on in (("totp", a.totp_secret), ("disabled", a.disabled)) if on)
        typer.echo(f"{a.email}\t{a.role}\t{a.region or '-'}\t{flags}".rstrip())


@app.command("disable")
@friendly
def disable(email: str) -> None:
    """Disable an account: its sessions stop working at once."""
    asyncio.run(_with_account(email, lambda a: setattr(a, "disabled", True)))
    typer.echo(f"disabled {email.strip().lower()}")


@app.command("reset-password")
@friendly
def reset_password(
    email: str, password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False
) -> None:
    """Set a new password (and enable a disabled account)."""
    from web import accounts

    password = _password(password_stdin)
    try:
        new_hash = accounts.hash_password(password)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None

    def change(account: object) -> None:
        account.password_hash = new_hash  # type: ignore[attr-defined]
        account.disabled = False  # type: ignore[attr-defined]

    asyncio.run(_with_account(email, change))
    typer.echo(f"password reset for {email.strip().lower()}")


@app.command("totp")
@friendly
def totp(email: str, off: Annotated[bool, typer.Option("--off")] = False) -> None:
    """Turn on a one-time code for the account (prints the otpauth URI), or --off."""
    import pyotp

    from web import accounts

    def change(account: object) -> str:
        account.totp_secret = None if off else pyotp.random_base32()  # type: ignore[attr-defined]
        return "" if off else accounts.totp_uri(account)  # type: ignore[arg-type]

    uri = asyncio.run(_with_account(email, change))
    typer.echo(f"TOTP for {email.strip().lower()}: {uri}" if uri else "TOTP off")

"""Accounts of the console: argon2id passwords, optional TOTP, throttled sign-in.

Used by `shagym users` and by the sign-in page. A failed sign-in never says whether the
account exists: a missing account costs the same hash check as a wrong password.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import AuditLog
from models.types import utcnow
from models.web import LoginThrottle, Role, WebAccount

FREE_FAILURES = 5  # then each further failure doubles the wait
FIRST_DELAY = dt.timedelta(seconds=2)
MAX_DELAY = dt.timedelta(minutes=15)
MIN_PASSWORD = 12


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, the library's current recommended parameters


@cache
def _region_codes() -> frozenset[str]:
    from intake.gazetteer import load

    return frozenset(load().regions)


@cache
def _dummy_hash() -> str:
    return hasher().hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return hasher().hash(password)


def password_ok(account: WebAccount | None, password: str) -> bool:
    try:
        return hasher().verify(account.password_hash if account else _dummy_hash(), password) and (
            account is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def totp_ok(account: WebAccount, code: str) -> bool:
    if not account.totp_secret:
        return True
    return pyotp.TOTP(account.totp_secret).verify(code.strip(), valid_window=1)


def totp_uri(account: WebAccount) -> str:
    assert account.totp_secret
    return pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.email, issuer_name="Shagym")


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an email address")
    return email


async def find(session: AsyncSession, email: str) -> WebAccount | None:
    query = select(WebAccount).where(WebAccount.email == email.strip().lower())
    return (await session.exec(query)).first()


async def add(
    session: AsyncSession, email: str, password: str, role: str, region: str | None,
    language: str = "ru", totp: bool = False,
) -> WebAccount:  # fmt: skip
    email = normal_email(email)
    if role not in set(Role):
        raise AccountError(f"unknown role {role!r}; choose central, commission or viewer")
    if role == Role.commission and not region:
        raise AccountError("a commission account needs --region (the commission's code)")
    if region and region.upper() not in _region_codes():
        raise AccountError(f"unknown region {region!r}; use a code such as AKM or AST")
    if await find(session, email) is not None:
        raise AccountError(f"{email} already has an account")
    account = WebAccount(
        email=email, password_hash=hash_password(password), role=role,
        region=region.upper() if region else None, language=language,
        totp_secret=pyotp.random_base32() if totp else None,
    )  # fmt: skip
    session.add(account)
    await session.flush()
    session.add(AuditLog(actor="system", action="account.added", details={"account": account.id}))
    return account


@dataclass(frozen=True, slots=True)
class Throttle:
    keys: tuple[str, ...]

    @classmethod
    def of(cls, email: str, address: str) -> Throttle:
        return cls((f"account:{email.strip().lower()[:320]}", f"address:{address[:64]}"))

    async def blocked(self, session: AsyncSession) -> bool:
        now = utcnow()
        for key in self.keys:
            row = await session.get(LoginThrottle, key)
            if row is not None and row.blocked_until is not None and row.blocked_until > now:
                return True
        return False

    async def failed(self, session: AsyncSession) -> None:
        now = utcnow()
        for key in self.keys:
            row = await session.get(LoginThrottle, key) or LoginThrottle(key=key)
            row.failures += 1
            if row.failures >= FREE_FAILURES:
                delay = FIRST_DELAY * 2 ** (row.failures - FREE_FAILURES)
                row.blocked_until = now + min(delay, MAX_DELAY)
            row.updated_at = now
            session.add(row)

    async def succeeded(self, session: AsyncSession) -> None:
        row = await session.get(LoginThrottle, self.keys[0])  # the address keeps its count
        if row is not None:
            await session.delete(row)

"""Signed-in browsers: a random id in a signed cookie, its hash and CSRF token in the store.

A new id is made at every sign-in (a cookie planted before sign-in is never promoted), the
session ends after `WEB_IDLE_MINUTES` without a request or `WEB_SESSION_HOURS` in all, and
sign-out ends it in the store, so a copied cookie is worthless afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import Settings
from models.types import utcnow
from models.web import Role, WebAccount, WebSession
from web.security import new_token, token_hash

COOKIE = "shagym_session"
PRE_COOKIE = "shagym_pre"  # the sign-in form's nonce, before any session exists
TOUCH_EVERY = dt.timedelta(seconds=60)  # seen_at is written at most this often


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in account and what it may see and do."""

    account: WebAccount
    session: WebSession

    @property
    def actor(self) -> str:
        return f"web:{self.account.email}"

    @property
    def scope(self) -> str | None:
        """The one commission whose cases it sees, or None for all."""
        if self.account.role == Role.central:
            return None
        return self.account.region

    @property
    def can_act(self) -> bool:
        return self.account.role in (Role.central, Role.commission)

    @property
    def is_central(self) -> bool:
        return self.account.role == Role.central

    @property
    def sees_contacts(self) -> bool:
        return self.can_act


def signer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="shagym.web.session")


def cookie_value(secret: bytes, token: str) -> str:
    return signer(secret).dumps(token)


def token_from(secret: bytes, value: str | None) -> str | None:
    if not value:
        return None
    try:
        token = signer(secret).loads(value)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


async def start(session: AsyncSession, account: WebAccount, stage: str = "ok") -> str:
    """A new session for `account`; returns the token the cookie will carry."""
    assert account.id is not None
    token = new_token()
    session.add(
        WebSession(id_hash=token_hash(token), account_id=account.id, csrf=new_token(), stage=stage)
    )
    return token


def expired(row: WebSession, settings: Settings, now: dt.datetime) -> bool:
    idle = dt.timedelta(minutes=settings.WEB_IDLE_MINUTES)
    absolute = dt.timedelta(hours=settings.WEB_SESSION_HOURS)
    return row.ended_at is not None or now - row.seen_at > idle or now - row.created_at > absolute


async def load(
    session: AsyncSession, settings: Settings, token: str | None, stage: str = "ok"
) -> Viewer | None:
    """The viewer behind a cookie's token, or None when it is unknown, ended or expired."""
    if token is None:
        return None
    # One round trip for both rows: every page pays for this check.
    query = (
        select(WebSession, WebAccount)
        .join(WebAccount, col(WebAccount.id) == col(WebSession.account_id))
        .where(WebSession.id_hash == token_hash(token))
    )
    found = (await session.exec(query)).first()
    if found is None:
        return None
    row, account = found
    if row.stage != stage or expired(row, settings, utcnow()) or account.disabled:
        return None
    return Viewer(account, row)


def stale(viewer: Viewer) -> bool:
    """Whether the session's last-seen time is old enough to be written again (once a
    minute at most: a page that only reads should not cost a write)."""
    return utcnow() - viewer.session.seen_at > TOUCH_EVERY


async def touch(session: AsyncSession, viewer: Viewer) -> None:
    """Keep an active session from going idle (the caller commits)."""
    row = await session.get(WebSession, viewer.session.id_hash)
    if row is not None:
        row.seen_at = utcnow()
        session.add(row)


async def end(session: AsyncSession, token: str | None) -> None:
    if token is None:
        return
    row = await session.get(WebSession, token_hash(token))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)

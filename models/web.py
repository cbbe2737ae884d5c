"""The web console's tables: accounts, their sessions in the store, sign-in throttling.

The full-text index over cases is not a model: it is an FTS5 table (SQLite) or a GIN
expression index (PostgreSQL) made by migration 0006 (`models.search` names them).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow


class Role(StrEnum):
    central = "central"  # every region, reroutes, the access log
    commission = "commission"  # its own region's cases only
    viewer = "viewer"  # reads only (its region's when it has one)


class WebAccount(SQLModel, table=True):
    __tablename__ = "web_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)  # stored lower-cased
    password_hash: str = Field(max_length=256)  # argon2id
    role: str = Field(max_length=16)
    region: str | None = Field(default=None, max_length=16)  # commission code it acts for
    language: str = Field(default="ru", max_length=2)
    totp_secret: str | None = Field(default=None, max_length=64)
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; the store keeps its SHA-256, so a
    leaked database does not hand out live sessions."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="web_account.id", index=True)
    csrf: str = Field(max_length=64)
    # "totp" while the password is right but the code is still owed; "ok" once signed in.
    stage: str = Field(default="ok", max_length=8)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key ("account:<email>", "address:<ip>")."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=400)
    failures: int = 0
    blocked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

"""All configuration in one pydantic-settings class, read from the environment and `.env`.

Created once in the composition root (`shagym.runner`, `shagym.cli`) and passed down; nothing
reads the environment at import time.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.keys import load_or_create_key

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shagym.db"
PUBLIC_BOT_API = "https://api.telegram.org"


class Security(StrEnum):
    ssl = "ssl"
    starttls = "starttls"
    none = "none"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    DATABASE_URL: str = DEFAULT_DATABASE_URL

    BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE: str = PUBLIC_BOT_API

    IMAP_HOST: str | None = None
    IMAP_PORT: int | None = Field(default=None, ge=1, le=65535)
    IMAP_USER: str | None = None
    IMAP_PASSWORD: SecretStr | None = None
    IMAP_SECURITY: Security = Security.ssl
    IMAP_FOLDER: str = "INBOX"
    IMAP_PROCESSED_FOLDER: str = "Processed"
    IMAP_POLL_SECONDS: float = Field(default=60.0, gt=0)
    IMAP_MAX_BYTES: int = Field(default=25 * 1024 * 1024, gt=0)

    SMTP_HOST: str | None = None
    SMTP_PORT: int | None = Field(default=None, ge=1, le=65535)
    SMTP_USER: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_SECURITY: Security = Security.starttls
    MAIL_FROM: str = "Shagym <hotline@localhost>"

    COMMISSIONS_FILE: Path = Path("config/commissions.example.toml")
    ATTACHMENTS_DIR: Path = Path("./attachments")
    TIMEZONE: str = "Asia/Almaty"
    DIGEST_AT: dt.time = dt.time(9, 0)
    # How long a claimed outbox row is held: what a restart after a crash waits before it
    # delivers the rows the dead process held (renewed while a batch is delivered).
    OUTBOX_LEASE_SECONDS: float = Field(default=120.0, ge=10.0, le=3600.0)
    REDIS_URL: str | None = None
    # Several processes (issue 15, scale-out): unset, this is the one bot process and it
    # replays everything left unfinished when it starts; set (bot replicas behind one
    # webhook), an update another replica claimed is left to it this long, then taken over.
    BOT_UPDATE_LEASE_SECONDS: float | None = Field(default=None, ge=1.0, le=3600.0)
    # This replica's name in the ledger, unique among the replicas and kept across restarts
    # (the unit's %H-%i, say): a restarted replica takes back at once what it held. Unset: a
    # random one per start, and what a dead process held waits out the lease.
    BOT_REPLICA_ID: str | None = Field(default=None, min_length=1, max_length=32)

    # HMAC key of receipt codes; when unset, a key file is kept beside the evidence files.
    RECEIPT_KEY: SecretStr | None = None
    LOG_LEVEL: str = "INFO"
    DUE_WORKING_DAYS: int = Field(default=15, ge=1, le=90)

    @field_validator("TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Almaty"
            ) from exc
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.TIMEZONE)

    @property
    def imap_configured(self) -> bool:
        return bool(self.IMAP_HOST and self.IMAP_USER and self.IMAP_PASSWORD)

    @property
    def smtp_configured(self) -> bool:
        return bool(self.SMTP_HOST)

    def receipt_key(self) -> bytes:
        """RECEIPT_KEY, or the key in ATTACHMENTS_DIR/.receipt-key (created on first use).
        Losing it makes every issued receipt code unverifiable: back it up with the data."""
        if self.RECEIPT_KEY is not None:
            return self.RECEIPT_KEY.get_secret_value().encode()
        return load_or_create_key(self.ATTACHMENTS_DIR / ".receipt-key")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and what to do."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            lines.append(
                f"setting {name} is invalid: {error['msg']} (set it in the environment or .env)"
            )
        raise SettingsError("; ".join(lines)) from None

"""All configuration in one pydantic-settings class, read from the environment and `.env`.

Created once in the composition root (`shagym.runner`, `shagym.cli`) and passed down; nothing
reads the environment at import time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.crypto import Keyring, new_key_text, parse_key
from core.keys import load_or_create_key, read_key_lines, write_key_lines

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shagym.db"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", ""})
log = logging.getLogger(__name__)
PUBLIC_BOT_API = "https://api.telegram.org"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


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

    # Delivery at election-day volume (issue 15): SMTP connections kept open per relay (one
    # message on each at a time); the health and metrics server (/healthz, /readyz,
    # /metrics; unset port: not served).
    SMTP_CONNECTIONS: int = Field(default=4, ge=1, le=64)
    METRICS_HOST: str = "127.0.0.1"
    METRICS_PORT: int | None = Field(default=None, ge=0, le=65535)
    # The bot by webhook: Telegram POSTs updates to WEBHOOK_URL (the public HTTPS address of a
    # proxy in front of WEBHOOK_HOST:WEBHOOK_PORT), each carrying WEBHOOK_SECRET.
    BOT_MODE: Literal["polling", "webhook"] = "polling"
    WEBHOOK_URL: str | None = None
    WEBHOOK_SECRET: SecretStr | None = None
    WEBHOOK_HOST: str = "127.0.0.1"
    WEBHOOK_PORT: int = Field(default=8081, ge=0, le=65535)

    # HMAC key of receipt codes; when unset, a key file is kept beside the evidence files.
    RECEIPT_KEY: SecretStr | None = None
    LOG_LEVEL: str = "INFO"
    DUE_WORKING_DAYS: int = Field(default=15, ge=1, le=90)

    # Privacy (encryption at rest, retention): the data keys (comma-separated, the first one
    # encrypts, the others stay readable until `shagym keys rotate` is done), or a file of them
    # one a line; the separate HMAC key of equality lookups; how long a closed case keeps its
    # personal data. A local run without keys keeps generated ones beside the evidence files.
    DATA_KEY: SecretStr | None = None
    DATA_KEY_FILE: Path | None = None
    HASH_KEY: SecretStr | None = None
    RETENTION_DAYS: int = Field(default=365, ge=1)
    # Registry and primaries audit (`shagym audit`, audit/): each rule's threshold.
    AUDIT_SHARED_MIN: int = Field(default=5, ge=2)  # people under one phone or email (a family is fewer)
    AUDIT_IP_MIN: int = Field(default=10, ge=2)  # votes from one IP within the window
    AUDIT_WINDOW_MINUTES: int = Field(default=60, ge=1)
    AUDIT_IP_ALLOWLIST: str = ""  # comma-separated addresses or networks known to be shared
    AUDIT_BURST_DAYS: int = Field(default=3, ge=1, le=60)  # an admission burst's window
    AUDIT_BURST_MIN: int = Field(default=20, ge=2)  # admissions in it, at least
    AUDIT_BURST_FACTOR: float = Field(default=5.0, ge=1.0)  # × the organisation's median day
    # The web console (web/): where it listens, the key that signs its cookies (required off
    # loopback; kept in ATTACHMENTS_DIR/.web-secret-key for a local run), the address links in
    # alerts and digests point to, Secure cookies behind HTTPS, TOTP mandatory for central;
    # WEB_WORKERS processes share the listening socket (sessions and throttling are in the store).
    WEB_HOST: str = "127.0.0.1"
    WEB_PORT: int = Field(default=8080, ge=1, le=65535)
    WEB_SECRET_KEY: SecretStr | None = None
    WEB_BASE_URL: str | None = None
    WEB_SECURE_COOKIES: bool = False
    WEB_CENTRAL_TOTP: bool = False
    WEB_IDLE_MINUTES: int = Field(default=30, ge=1, le=24 * 60)
    WEB_SESSION_HOURS: int = Field(default=12, ge=1, le=24 * 7)
    WEB_WORKERS: int = Field(default=1, ge=1, le=32)

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

    @field_validator("AUDIT_IP_ALLOWLIST")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("WEB_BASE_URL")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("use an http:// or https:// address, e.g. https://shagym.example.kz")
        return value.rstrip("/") if value else None
    @field_validator("WEBHOOK_SECRET")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.BOT_MODE == "webhook" and not (self.WEBHOOK_URL and self.WEBHOOK_SECRET):
            raise ValueError("BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET")
        return self

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

    @property
    def is_local(self) -> bool:
        """Everything on loopback with no real citizens: the store is a SQLite file or a server
        on loopback, no channel talks to a non-loopback host (a real bot token with the public
        Bot API, an IMAP server elsewhere) and no web console listens beyond loopback."""
        if not self.DATABASE_URL.startswith("sqlite") and (
            (urlsplit(self.DATABASE_URL).hostname or "") not in LOOPBACK_HOSTS
        ):
            return False
        if self.BOT_TOKEN is not None and (
            (urlsplit(self.TELEGRAM_API_BASE).hostname or "") not in LOOPBACK_HOSTS
        ):
            return False
        if self.IMAP_HOST and self.IMAP_HOST not in LOOPBACK_HOSTS:
            return False
        hosts = (getattr(self, name, None) for name in ("WEB_HOST", "WEBHOOK_HOST"))
        return all(host is None or str(host) in LOOPBACK_HOSTS for host in hosts)

    @property
    def data_key_file(self) -> Path:
        return self.DATA_KEY_FILE or self.ATTACHMENTS_DIR / ".data-key"

    def data_keys(self) -> list[str]:
        """The data keys as written (the first one encrypts)."""
        if self.DATA_KEY is not None:
            return [k for k in self.DATA_KEY.get_secret_value().split(",") if k.strip()]
        path = self.data_key_file
        if path.exists():
            return read_key_lines(path)
        if self.DATA_KEY_FILE is not None:
            raise SettingsError(f"setting DATA_KEY_FILE is invalid: {path} does not exist")
        self._require_local("DATA_KEY")
        write_key_lines(path, [new_key_text()])
        log.warning("no DATA_KEY set: generated a data key in %s; back it up with the store", path)
        return read_key_lines(path)

    def hash_key(self) -> bytes:
        if self.HASH_KEY is not None:
            return parse_key(self.HASH_KEY.get_secret_value())
        path = self.ATTACHMENTS_DIR / ".hash-key"
        if not path.exists():
            self._require_local("HASH_KEY")
            log.warning("no HASH_KEY set: generated a hash key in %s; back it up", path)
        return load_or_create_key(path)

    def keyring(self) -> Keyring:
        """The keyring of this deployment; a non-local one without keys stops, naming them."""
        try:
            return Keyring(tuple(parse_key(k) for k in self.data_keys()), self.hash_key())
        except ValueError as exc:
            raise SettingsError(f"setting DATA_KEY or HASH_KEY is invalid: {exc}") from None

    def _require_local(self, name: str) -> None:
        if not self.is_local:
            raise SettingsError(
                f"setting {name} is missing: a deployment beyond loopback needs it "
                f"(generate one with `shagym keys new`, set it in the environment or .env)"
            )

    @property
    def web_on_loopback(self) -> bool:
        return self.WEB_HOST in ("127.0.0.1", "::1", "localhost")

    def web_secret_key(self) -> bytes:
        """WEB_SECRET_KEY; on loopback only, a key kept in ATTACHMENTS_DIR/.web-secret-key."""
        if self.WEB_SECRET_KEY is not None:
            return self.WEB_SECRET_KEY.get_secret_value().encode()
        if not self.web_on_loopback:
            raise SettingsError(
                f"setting WEB_SECRET_KEY is required when WEB_HOST is {self.WEB_HOST} "
                "(not loopback): set a long random value in the environment or .env"
            )
        return load_or_create_key(self.ATTACHMENTS_DIR / ".web-secret-key")


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

"""The case store: every table of the system.

Who reported is kept in `reporter`, apart from the case: a commission's view of a case never
joins it unless the citizen shared a contact (`reporter.contact_*`).

Personal data is encrypted at rest by its column type (`Encrypted*`, see core.crypto): code
reads and writes plain values, the store holds ciphertext. What is looked up by equality is
found through a keyed hash column (`*_hash`, `case_entity.value`), never the plain value.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import EncryptedBytes, EncryptedJSON, EncryptedText, UTCDateTime, utcnow


def _ts(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


def _opt_ts(**kwargs: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kwargs)


class Channel(StrEnum):
    telegram = "telegram"
    email = "email"
    internal = "internal"
    audit = "audit"  # findings of the membership registry and primaries audit


class CaseStatus(StrEnum):
    new = "new"
    assigned = "assigned"
    answered = "answered"
    resolved = "resolved"


class Direction(StrEnum):
    citizen_in = "citizen_in"
    citizen_out = "citizen_out"
    commission_note = "commission_note"


class NotificationKind(StrEnum):
    ack = "ack"
    alert = "alert"
    digest = "digest"
    relay = "relay"


class NotificationStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    dead = "dead"


class Commission(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)  # region code, or CENTRAL
    region: str | None = Field(default=None, max_length=8, index=True)
    name: str
    emails: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    telegram_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    members: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="ru", max_length=2)
    is_central: bool = False
    updated_at: dt.datetime = _ts()


class Reporter(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "address_hash", name="uq_reporter_channel_address_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    # Telegram chat id or email address: needed to answer, never shown to a commission.
    # Encrypted; NULL once the citizen asked us to forget it or the retention time passed.
    address: str | None = Field(default=None, sa_column=Column(EncryptedText))
    # keyed_hash(address): how a citizen's later messages find their reporter row.
    address_hash: str = Field(max_length=64)
    language: str | None = Field(default=None, max_length=2)
    contact_phone: str | None = Field(default=None, sa_column=Column(EncryptedText))
    contact_email: str | None = Field(default=None, sa_column=Column(EncryptedText))
    blocked: bool = False
    created_at: dt.datetime = _ts()


class Case(SQLModel, table=True):
    # The console's counts per filter and the dashboard read only these (migration 0011).
    __table_args__ = (
        Index("ix_case_facets", "status", "category", "channel", "region", "commission_code",
              "due_at", "created_at"),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    status: str = Field(default=CaseStatus.new, max_length=16, index=True)
    channel: str = Field(max_length=16)
    region: str | None = Field(default=None, max_length=8, index=True)
    district: str | None = Field(default=None, max_length=128)
    category: str = Field(default="other", max_length=32, index=True)
    language: str = Field(default="ru", max_length=2)
    subject: str | None = Field(default=None, max_length=512)
    text: str = Field(sa_column=Column(Text, nullable=False))
    region_confidence: float = 0.0
    category_score: float = 0.0
    entities: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(EncryptedJSON, nullable=False)
    )
    commission_code: str = Field(foreign_key="commission.code", index=True, max_length=16)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id", index=True)
    contact_shared: bool = False
    cluster_id: int | None = Field(default=None, index=True)
    assignee: int | None = Field(default=None, sa_type=BigInteger)
    resolution: str | None = Field(default=None, max_length=32)
    simhash: int | None = Field(default=None, sa_type=BigInteger)
    created_at: dt.datetime = _ts(index=True)
    updated_at: dt.datetime = _ts()
    due_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: dt.datetime | None = _opt_ts()
    # When retention erased its personal data (intake.retention); the statistics stay.
    purged_at: dt.datetime | None = _opt_ts()


class CaseEntity(SQLModel, table=True):
    """One phone, IIN, email or organisation named in a case: the key that links related cases."""

    __tablename__ = "case_entity"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "value"),
        Index("ix_case_entity_kind_value", "kind", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    kind: str = Field(max_length=16)
    value: str = Field(max_length=256)  # keyed_hash of the phone, IIN, email (simhash bands plain)


class CaseLink(SQLModel, table=True):
    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("case_id", "related_case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    related_case_id: int = Field(foreign_key="case.id", index=True)
    reason: str = Field(max_length=64)
    created_at: dt.datetime = _ts()


class Message(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    direction: str = Field(max_length=24)
    channel: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The text as it arrived (HTML, quoted history, signature) before cleanup.
    # Encrypted: the original carries signatures, quoted addresses and phone numbers.
    raw_text: str | None = Field(default=None, sa_column=Column(EncryptedText))
    author: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=512, index=True)
    created_at: dt.datetime = _ts()


class Attachment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    sha256: str = Field(max_length=64, index=True)
    size: int
    mime_type: str = Field(max_length=128)
    path: str = Field(max_length=512)  # relative to ATTACHMENTS_DIR, named by hash
    original_name: str | None = Field(default=None, sa_column=Column(EncryptedText))  # metadata
    created_at: dt.datetime = _ts()


class Receipt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    code_hash: str = Field(unique=True, max_length=128)
    created_at: dt.datetime = _ts()


class Notification(SQLModel, table=True):
    """The outbox: what the system owes someone. Only `notify` sends anything."""

    __table_args__ = (
        Index("ix_notification_due", "status", "next_attempt_at"),
        # "At most one acknowledgement per sender per day" looks rows up by recipient.
        Index("ix_notification_recipient", "recipient_hash", "kind", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=256)
    kind: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    # Encrypted (a citizen's chat id or address for acks and relays); looked up by its hash.
    recipient: str = Field(sa_column=Column(EncryptedText, nullable=False))
    recipient_hash: str = Field(max_length=64)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    commission_code: str | None = Field(default=None, max_length=16)
    language: str = Field(default="ru", max_length=2)
    # Encrypted: an acknowledgement's payload holds the receipt code until it is delivered.
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(EncryptedJSON, nullable=False)
    )
    message_id: str | None = Field(default=None, max_length=256)
    status: str = Field(default=NotificationStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = _ts()
    lease_until: dt.datetime | None = _opt_ts()
    last_error: str | None = Field(default=None, sa_column=Column(EncryptedText))  # may name them
    # Encrypted: a Telegram delivery's result names the chat.
    result: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(EncryptedJSON, nullable=False)
    )
    created_at: dt.datetime = _ts()
    sent_at: dt.datetime | None = _opt_ts()


class InboundEmail(SQLModel, table=True):
    __tablename__ = "inbound_email"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=256)
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    uid: int | None = Field(default=None, sa_type=BigInteger)
    message_id: str | None = Field(default=None, max_length=998, index=True)
    sha256: str = Field(unique=True, max_length=64)
    size: int = 0
    raw: bytes = Field(sa_column=Column(EncryptedBytes, nullable=False))
    status: str = Field(max_length=16, index=True)  # created|appended|ignored|quarantined
    reason: str | None = Field(default=None, sa_column=Column(Text))
    case_id: int | None = Field(default=None, foreign_key="case.id")
    moved: bool = False
    created_at: dt.datetime = _ts()


class TelegramUpdate(SQLModel, table=True):
    """The update ledger: written before an update is handled, marked done after."""

    __tablename__ = "telegram_update"

    update_id: int = Field(primary_key=True, sa_type=BigInteger)
    payload: dict[str, Any] = Field(sa_column=Column(EncryptedJSON, nullable=False))
    status: str = Field(default="received", max_length=16, index=True)
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: dt.datetime = _ts()
    done_at: dt.datetime | None = _opt_ts()
    # Which bot process is handling it, since when (several replicas share the ledger).
    claimed_by: str | None = Field(default=None, max_length=32)
    claimed_at: dt.datetime | None = _opt_ts()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _ts(index=True)
    actor: str = Field(max_length=128)  # "system", "tg:<user id>", "email:<commission>"
    action: str = Field(max_length=64)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, so a restart in the middle of a dialogue loses nothing."""

    __tablename__ = "fsm_state"

    key: str = Field(primary_key=True, max_length=256)  # keyed_hash of aiogram's key (chat id)
    state: str | None = Field(default=None, max_length=256)
    data: dict[str, Any] = Field(  # the draft: text, phone, email
        default_factory=dict, sa_column=Column(EncryptedJSON, nullable=False)
    )
    updated_at: dt.datetime = _ts()


class BannedUser(SQLModel, table=True):
    __tablename__ = "banned_user"

    telegram_user_id: int = Field(primary_key=True, sa_type=BigInteger)
    reason: str | None = Field(default=None, max_length=512)
    created_at: dt.datetime = _ts()


class DigestRun(SQLModel, table=True):
    """One digest per commission per period: the unique key makes a second send a no-op."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("commission_code", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    commission_code: str = Field(foreign_key="commission.code", max_length=16)
    period: dt.date  # the local date the digest is for
    since: dt.datetime = Field(sa_type=UTCDateTime)  # new cases counted from here
    until: dt.datetime = Field(sa_type=UTCDateTime)
    created_at: dt.datetime = _ts()


# The registry audit's findings (audit/): imported here so that the metadata holds every table.
from models.audit_finding import AuditFinding  # noqa: E402, F401
from models.web import LoginThrottle, WebAccount, WebSession  # noqa: E402,F401  (the web console's tables)

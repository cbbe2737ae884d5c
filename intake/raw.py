"""The channel-neutral report every channel adapter produces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from intake.entities import Entities
from models.types import utcnow


@dataclass(frozen=True, slots=True)
class RawAttachment:
    content: bytes
    mime_type: str = "application/octet-stream"
    original_name: str | None = None  # kept as metadata only; files are stored by hash


@dataclass(slots=True)
class RawReport:
    """What arrived, before any interpretation.

    `sender` is the channel address used to answer (Telegram chat id, email address); it goes
    to the reporter table and never into what a commission sees.
    """

    channel: str
    sender: str
    text: str = ""
    html: str | None = None
    subject: str | None = None
    attachments: list[RawAttachment] = field(default_factory=list)
    received_at: dt.datetime = field(default_factory=utcnow)
    external_id: str | None = None
    language_hint: str | None = None
    region_hint: str | None = None
    category_hint: str | None = None
    place: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    # A source that knows its place and entities (the registry audit) gives them instead of
    # the text's: `place_fixed` routes by region_hint/district_hint even when None (central
    # triage), and `entities` adds link keys (whole IINs) the case's text must not show.
    place_fixed: bool = False
    district_hint: str | None = None
    entities: Entities | None = None

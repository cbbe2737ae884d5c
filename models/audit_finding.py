"""What the registry audit has turned into cases: one row per (rule, identity), so a second run
over the same file opens nothing and a later file with more rows updates its case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow


class AuditFinding(SQLModel, table=True):
    __tablename__ = "audit_finding"
    __table_args__ = (UniqueConstraint("rule", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=64)
    # The finding's identity: the shared phone, email or IP, the whole IIN, the suspension
    # window and region… (never shown: it may hold a whole IIN).
    key: str = Field(max_length=512)
    case_id: int = Field(foreign_key="case.id", index=True)
    count: int
    # SHA-256 of every evidence file attached so far, oldest first.
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

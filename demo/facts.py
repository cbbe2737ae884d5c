"""What the demo reads back from the store: how a case was routed and why, and which
notification an email at the SMTP sink is (by its Message-ID)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlmodel import col, select

from bot.regions import region_name
from intake.analyse import analyse
from intake.category import label
from models.db import SessionFactory
from models.outbox import notification_id_from_message_id
from models.tables import Attachment, Case, Commission, Notification
from sandbox.smtp import Received


@dataclass(slots=True)
class CaseFacts:
    """A case as routed: where it went and the evidence for it."""

    id: int
    number: str
    channel: str
    language: str
    region: str | None
    district: str | None
    confidence: float
    category: str
    commission: str
    commission_name: str
    status: str
    assignee: int | None
    places: list[str] = field(default_factory=list)  # the place names the text matched
    attachments: list[str] = field(default_factory=list)  # names as sent, then stored hash

    @property
    def region_name(self) -> str:
        return region_name(self.region, "en") if self.region else "no region"

    @property
    def category_label(self) -> str:
        return label(self.category, "en")


async def case_facts(sessions: SessionFactory, number: str) -> CaseFacts:
    async with sessions() as session:
        case = (await session.exec(select(Case).where(Case.number == number))).one()
        commission = await session.get(Commission, case.commission_code)
        files = (
            await session.exec(
                select(Attachment)
                .where(Attachment.case_id == case.id)
                .order_by(col(Attachment.id))
            )
        ).all()
    assert case.id is not None
    spans = analyse(case.text, default_language=case.language).region.spans
    return CaseFacts(
        id=case.id,
        number=case.number,
        channel=case.channel,
        language=case.language,
        region=case.region,
        district=case.district,
        confidence=case.region_confidence,
        category=case.category,
        commission=case.commission_code,
        commission_name=commission.name if commission else case.commission_code,
        status=case.status,
        assignee=case.assignee,
        places=[f"«{s.text}» → {', '.join(s.regions)}" for s in spans],
        attachments=[f"{f.original_name or f.mime_type} (sha256 {f.sha256[:12]}…)" for f in files],
    )


def parse(received: Received) -> EmailMessage:
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def notification_of(sessions: SessionFactory, message: EmailMessage) -> Notification | None:
    """The outbox row an email at the sink was sent for (its Message-ID names the row)."""
    number = notification_id_from_message_id(str(message.get("Message-ID", "")))
    if number is None:
        return None
    async with sessions() as session:
        return await session.get(Notification, number)


async def is_kind(
    sessions: SessionFactory, message: EmailMessage, kind: str, case_id: int | None = None
) -> bool:
    row = await notification_of(sessions, message)
    if row is None or row.kind != kind:
        return False
    return case_id is None or row.case_id == case_id

"""What the ingest needs from the settings, gathered once."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from intake.cases import IntakeContext
from mail_ingest.rules import address_of


@dataclass(frozen=True, slots=True)
class IngestSettings:
    intake: IntakeContext
    our_address: str  # MAIL_FROM's address: also our X-Loop value
    max_bytes: int  # IMAP_MAX_BYTES
    acknowledge: bool = True  # False for imports: old mail gets no acknowledgement


def ingest_settings(settings: Settings, *, acknowledge: bool = True) -> IngestSettings:
    return IngestSettings(
        intake=IntakeContext(
            attachments_dir=settings.ATTACHMENTS_DIR,
            zone=settings.zone,
            due_working_days=settings.DUE_WORKING_DAYS,
            receipt_key=settings.receipt_key(),
        ),
        our_address=address_of(settings.MAIL_FROM),
        max_bytes=settings.IMAP_MAX_BYTES,
        acknowledge=acknowledge,
    )

"""RFC 822 bytes → a channel-neutral report plus the headers the ingest rules need.

A pure function: no I/O, no clock except the default `received_at`. It never raises for a
malformed message it can read at all; what it had to guess is listed in `notes`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from dataclasses import dataclass

from intake.cleanup import html_to_text
from intake.raw import RawReport
from mail_ingest.bounces import Report, our_message_ids, read_report
from mail_ingest.headers import MailHeaders, read_headers
from mail_ingest.mime import Body, walk
from models.outbox import notification_id_from_message_id

CHANNEL = "email"
MAX_EXTERNAL_ID = 512  # message.external_id; the full Message-ID stays in inbound_email


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    report: RawReport
    headers: MailHeaders
    delivery_report: Report | None  # a bounce or read receipt; None for ordinary mail
    replies_to: tuple[str, ...]  # Message-IDs of ours in In-Reply-To / References
    returns: tuple[str, ...]  # Message-IDs of ours a delivery report returns
    notes: tuple[str, ...]  # decoding guesses and MIME defects, for the record

    @property
    def case_numbers(self) -> tuple[str, ...]:
        return self.headers.case_numbers()


def _compose_text(body: Body) -> tuple[str, str | None]:
    """The report's text and HTML: the writer's own words, then any forwarded complaint."""
    own = "\n\n".join(text.strip() for text in body.texts if text.strip())
    html = "\n".join(body.htmls) or None
    if not body.forwarded:
        return own, html
    if not own and html:
        own = html_to_text(html).strip()
    # No "forwarded message" marker between them: cleanup would cut everything after it.
    return "\n\n".join(part for part in (own, *body.forwarded) if part), html


def ours(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The Message-IDs among `values` that have the shape of ours (`<shagym.N.hex@domain>`)."""
    return tuple(v for v in dict.fromkeys(values) if notification_id_from_message_id(v))


def _defects(msg: email.message.Message) -> list[str]:
    found = []
    for part in msg.walk():
        for defect in getattr(part, "defects", ()):
            found.append(type(defect).__name__)
    return sorted(set(found))


def parse_email(raw: bytes, *, received_at: dt.datetime | None = None) -> ParsedEmail:
    """Parse one message. `received_at` is when the hotline got it (IMAP INTERNALDATE)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = read_headers(msg)
    body = Body()
    walk(msg, body)
    text, html = _compose_text(body)
    report = RawReport(
        channel=CHANNEL,
        sender=headers.from_address,
        text=text,
        html=html,
        subject=headers.subject,
        attachments=body.attachments,
        external_id=headers.message_id[:MAX_EXTERNAL_ID] if headers.message_id else None,
    )
    if received_at is not None:
        report.received_at = received_at
    delivery = read_report(msg, headers)
    return ParsedEmail(
        report=report,
        headers=headers,
        delivery_report=delivery,
        replies_to=ours(headers.referenced_ids),
        returns=ours([*delivery.original_ids, *our_message_ids(raw)]) if delivery else (),
        notes=tuple(body.notes + [f"defect {name}" for name in _defects(msg)]),
    )

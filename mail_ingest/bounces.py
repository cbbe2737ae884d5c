"""Delivery reports: RFC 3464 `multipart/report` bounces, read receipts, and the plain-text
bounces older mail servers still send."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from mail_ingest.headers import MailHeaders, message_ids, text_of

_OUR_ID = re.compile(rb"<shagym\.\d{1,18}\.[0-9a-f]{16}@[^<>\s]{1,255}>")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|not delivered|delivery (?:status|failure|has failed|notification)|returned mail"
    r"|failure notice|mail delivery failed|недоставлен|не доставлен|не удалось доставить",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delay|warning|задерж", re.IGNORECASE)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
_FIELD = re.compile(r"^([A-Za-z-]+):[ \t]*(.*)$", re.MULTILINE)
_HEADER_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
MAX_SCAN_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Report:
    """What a delivery report says about the message it returns."""

    kind: str  # delivery-status, disposition-notification, bounce (plain text) or another type
    failed: bool  # a permanent failure: the recipient will not get it
    action: str | None
    status: str | None
    diagnostic: str | None
    recipients: tuple[str, ...]
    original_ids: tuple[str, ...]  # Message-IDs of the returned message

    def describe(self) -> str:
        parts = [self.kind]
        if self.action:
            parts.append(f"action {self.action}")
        if self.status:
            parts.append(f"status {self.status}")
        if self.diagnostic:
            parts.append(self.diagnostic)
        return "; ".join(parts)[:1000]


def our_message_ids(raw: bytes) -> tuple[str, ...]:
    """Message-IDs of ours (`<shagym.<id>.<hex16>@domain>`) anywhere in the raw bytes."""
    found = _OUR_ID.findall(raw[:MAX_SCAN_BYTES])
    return tuple(dict.fromkeys(item.decode("ascii", "replace") for item in found))


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _status_fields(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                blocks.append({k.lower(): text_of(v) for k, v in block.items()})
    else:
        fields = _FIELD.findall(_decoded(part))
        blocks.append({k.lower(): v.strip() for k, v in fields})
    return blocks


def _returned_ids(part: Message) -> tuple[str, ...]:
    payload = part.get_payload()
    if isinstance(payload, list):
        ids: list[str] = []
        for inner in payload:
            if isinstance(inner, Message):
                ids.extend(message_ids(str(inner.get("Message-ID") or "")))
        return tuple(ids)
    return tuple(_HEADER_MESSAGE_ID.findall(_decoded(part)))


def _from_report(msg: Message) -> Report:
    kind = (msg.get_param("report-type") or "unknown").__str__().lower()
    recipients: list[str] = []
    actions: list[str] = []
    statuses: list[str] = []
    diagnostics: list[str] = []
    returned: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            for block in _status_fields(part):
                if "action" in block:
                    actions.append(block["action"].lower())
                if "status" in block:
                    statuses.append(block["status"].split()[0] if block["status"] else "")
                if "diagnostic-code" in block:
                    diagnostics.append(block["diagnostic-code"])
                if "final-recipient" in block:
                    recipients.append(block["final-recipient"].split(";")[-1].strip())
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            returned.extend(_returned_ids(part))
    failed = kind == "delivery-status" and (
        "failed" in actions or any(status.startswith("5") for status in statuses)
    )
    return Report(
        kind=kind,
        failed=failed,
        action=actions[0] if actions else None,
        status=statuses[0] if statuses else None,
        diagnostic=diagnostics[0][:500] if diagnostics else None,
        recipients=tuple(dict.fromkeys(recipients)),
        original_ids=tuple(dict.fromkeys(returned)),
    )


def read_report(msg: Message, headers: MailHeaders) -> Report | None:
    """The delivery report this message is, or None for ordinary mail."""
    if msg.get_content_type() == "multipart/report":
        return _from_report(msg)
    subject = headers.subject or ""
    from_daemon = headers.from_address.startswith(_BOUNCE_SENDERS)
    if from_daemon and _BOUNCE_SUBJECT.search(subject):
        delayed = bool(_DELAY_SUBJECT.search(subject))
        return Report(
            kind="bounce",
            failed=not delayed,
            action="delayed" if delayed else "failed",
            status=None,
            diagnostic=subject[:500],
            recipients=(),
            original_ids=(),
        )
    return None

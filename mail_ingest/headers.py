"""Reading the headers a hotline needs from a parsed message, whatever their encoding."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass
from email.header import Header, decode_header
from email.message import Message

from mail_ingest.charsets import decode_bytes

MAX_HEADER_CHARS = 2000
MAX_ADDRESS_CHARS = 320  # RFC 5321: 64 + 1 + 255
MAX_MESSAGE_ID_CHARS = 998
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,990}>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")
_CASE_NUMBER = re.compile(r"\bSH-(\d{4})-(\d{5,9})\b", re.IGNORECASE)
_FOLD = re.compile(r"\r?\n[ \t]*")


@dataclass(frozen=True, slots=True)
class MailHeaders:
    """The headers that decide what happens to a message (RFC 3834, threading, bounces)."""

    from_address: str  # lower-cased; "" when the message names no usable sender
    from_name: str | None
    subject: str | None
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    date: dt.datetime | None
    auto_submitted: str | None
    precedence: str | None
    list_id: str | None
    list_unsubscribe: str | None
    return_path: str | None  # None: absent; "": the null path `<>`
    x_loop: tuple[str, ...]
    autoreply_hint: str | None  # X-Autoreply or X-Autorespond: this is an automatic reply
    suppress_auto_response: str | None  # X-Auto-Response-Suppress: do not answer automatically

    @property
    def referenced_ids(self) -> tuple[str, ...]:
        return self.in_reply_to + self.references

    def case_numbers(self) -> tuple[str, ...]:
        """Case numbers (`SH-2026-00042`) named in the subject, first one first."""
        found = _CASE_NUMBER.findall(self.subject or "")
        return tuple(dict.fromkeys(f"SH-{year}-{number}" for year, number in found))


def _raw(msg: Message, name: str) -> str | None:
    """The first value of a header as it arrived (8-bit bytes as surrogate escapes)."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return value if isinstance(value, str) else str(value)
    return None


def _raw_all(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]


def text_of(value: object) -> str:
    """A header's text: RFC 2047 encoded words and raw 8-bit bytes decoded, folds removed."""
    if value is None:
        return ""
    source = value if isinstance(value, Header) else str(value)
    try:
        chunks = decode_header(source)  # type: ignore[arg-type]
    except Exception:  # email.header gives up on some malformed encoded words
        chunks = [(str(value), None)]
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            # compat32 keeps undecodable 8-bit header bytes as surrogate escapes.
            chunk = chunk.encode("utf-8", "surrogateescape")
        parts.append(decode_bytes(chunk, charset).text)
    return _FOLD.sub(" ", "".join(parts)).replace("\x00", "").strip()[:MAX_HEADER_CHARS]


def _lower(msg: Message, name: str) -> str | None:
    value = _raw(msg, name)
    return text_of(value).lower() or None if value is not None else None


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every `<id>` in an In-Reply-To or References header (broken ones are skipped)."""
    return tuple(dict.fromkeys(_MESSAGE_ID.findall(value or "")))


def clean_address(value: str) -> str:
    """A bare lower-cased address, or "" when the value is not one."""
    address = value.strip().strip("<>").strip().lower()
    if len(address) > MAX_ADDRESS_CHARS or not _ADDRESS.match(address):
        return ""
    return address


def sender_of(msg: Message) -> tuple[str, str | None]:
    """The From address (Sender, then Reply-To when From has none) and its display name."""
    for name in ("From", "Sender", "Reply-To"):
        for value in _raw_all(msg, name):
            decoded = text_of(value)
            try:
                pairs = email.utils.getaddresses([decoded])
            except Exception:  # a malformed address list is as good as none
                pairs = []
            for display, address in pairs:
                cleaned = clean_address(address)
                if cleaned:
                    return cleaned, display.strip()[:256] or None
    return "", None


def _date(msg: Message) -> dt.datetime | None:
    value = _raw(msg, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text_of(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _return_path(msg: Message) -> str | None:
    value = _raw(msg, "Return-Path")
    if value is None:
        return None
    text = text_of(value).strip()
    if text in ("", "<>"):
        return ""
    return clean_address(text) or text[:MAX_ADDRESS_CHARS]


def read_headers(msg: Message) -> MailHeaders:
    """Read every header the ingest rules look at."""
    address, name = sender_of(msg)
    message_id = message_ids(_raw(msg, "Message-ID"))
    subject = text_of(_raw(msg, "Subject")) or None
    return MailHeaders(
        from_address=address,
        from_name=name,
        subject=subject,
        message_id=message_id[0][:MAX_MESSAGE_ID_CHARS] if message_id else None,
        in_reply_to=message_ids(_raw(msg, "In-Reply-To")),
        references=message_ids(_raw(msg, "References")),
        date=_date(msg),
        auto_submitted=_lower(msg, "Auto-Submitted"),
        precedence=_lower(msg, "Precedence"),
        list_id=_lower(msg, "List-Id"),
        list_unsubscribe=_lower(msg, "List-Unsubscribe"),
        return_path=_return_path(msg),
        x_loop=tuple(text_of(v).lower() for v in _raw_all(msg, "X-Loop")),
        autoreply_hint=next(
            (
                f"{header}: {text_of(_raw(msg, header))}"
                for header in ("X-Autoreply", "X-Autorespond")
                if _raw(msg, header) is not None
            ),
            None,
        ),
        suppress_auto_response=_lower(msg, "X-Auto-Response-Suppress"),
    )

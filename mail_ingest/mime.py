"""Walking a MIME tree: the text a person wrote, forwarded messages, and attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from intake.cleanup import html_to_text
from intake.raw import RawAttachment
from mail_ingest.charsets import decode_bytes
from mail_ingest.headers import read_headers, text_of

MAX_DEPTH = 12
MAX_PARTS = 500
MAX_ATTACHMENTS = 100
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}charset=[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass(slots=True)
class Body:
    """What the walk collected; joined into the report by the parser."""

    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parts: int = 0

    def note(self, text: str) -> None:
        if len(self.notes) < 50 and text not in self.notes:
            self.notes.append(text)


def safe_name(value: object) -> str | None:
    """A file name fit to show: no path, no control characters, at most 255 characters."""
    if value is None:
        return None
    name = _UNSAFE_NAME.sub("_", text_of(value)).strip().lstrip(".")
    return name[-255:] or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a transfer encoding the library cannot undo: keep the raw payload
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _charset(part: Message, data: bytes) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:  # an undecodable RFC 2231 charset parameter
        charset = None
    if charset is None and part.get_content_type() == "text/html":
        match = _META_CHARSET.search(data[:4096])
        charset = match.group(1).decode("ascii") if match else None
    return charset


def part_text(part: Message, body: Body) -> str:
    data = _payload(part)
    decoded = decode_bytes(data, _charset(part, data))
    if decoded.note:
        body.note(decoded.note)
    # NUL is never text anyone wrote, and PostgreSQL refuses it in a text column.
    return decoded.text.replace("\x00", "")


def _is_attachment(part: Message, ctype: str) -> bool:
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    if ctype not in ("text/plain", "text/html"):
        return True
    # A named text part is a file the sender attached, shown inline by some clients.
    return disposition == "inline" and part.get_filename() is not None


def _top_level_text(part: Message, ctype: str) -> bool:
    """A single-part message of any text type is the body, unless it is marked an attachment."""
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return ctype.startswith("text/") and disposition != "attachment"


def _attach(part: Message, ctype: str, body: Body) -> None:
    data = _payload(part)
    if not data:
        return
    if len(body.attachments) >= MAX_ATTACHMENTS:
        body.note(f"more than {MAX_ATTACHMENTS} attachments: the rest kept in the raw message")
        return
    try:
        filename = part.get_filename()
    except Exception:  # a broken RFC 2231 name is only metadata
        filename = None
    body.attachments.append(
        RawAttachment(content=data, mime_type=ctype[:128], original_name=safe_name(filename))
    )


def _forward(part: Message, body: Body, depth: int) -> None:
    inner = part.get_payload()
    message = inner[0] if isinstance(inner, list) and inner else None
    if not isinstance(message, Message):
        _attach(part, "message/rfc822", body)
        return
    nested = Body(parts=body.parts)
    walk(message, nested, depth + 1)
    body.parts = nested.parts
    headers = read_headers(message)
    text = "\n\n".join(nested.texts) or html_to_text("\n".join(nested.htmls))
    # The forwarded sender's address stays out of the text: commissions must not see it.
    intro = f"{headers.subject}\n\n" if headers.subject else ""
    body.forwarded.append(f"{intro}{text.strip()}".strip())
    body.forwarded.extend(nested.forwarded)
    body.attachments.extend(nested.attachments[: MAX_ATTACHMENTS - len(body.attachments)])
    body.notes.extend(note for note in nested.notes if note not in body.notes)
    # The forwarded message itself is not attached: its headers name the citizen, whom a
    # commission must not see; the raw mail in inbound_email keeps it as evidence.


def walk(part: Message, body: Body, depth: int = 0) -> None:
    """Collect texts, HTML, forwarded messages and attachments below `part`."""
    body.parts += 1
    if depth > MAX_DEPTH or body.parts > MAX_PARTS:
        body.note("MIME tree too deep or too large: the rest kept in the raw message")
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        _forward(part, body, depth)
    elif part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                walk(child, body, depth + 1)
    elif ctype.startswith("message/"):
        _attach(part, ctype, body)  # delivery-status and the like: evidence, not text
    elif _is_attachment(part, ctype) and not (depth == 0 and _top_level_text(part, ctype)):
        _attach(part, ctype, body)
    elif ctype == "text/html":
        body.htmls.append(part_text(part, body))
    else:
        body.texts.append(part_text(part, body))

"""Building outgoing mail: `email.message.EmailMessage` under a policy that refuses header
injection, even through encoded words that decode to a newline."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import io
import secrets
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.policy import EmailPolicy

MAX_HEADER_TEXT = 200


class StrictPolicy(EmailPolicy):
    """The SMTP policy, plus: a header whose value holds CR, LF or NUL once parsed (the stock
    policy decodes `=?utf-8?q?=0D=0A?=` into a real newline and then writes it out) is refused
    with ValueError.

    Parsing and folding a header in the stdlib costs ~0.5 ms (the registry even builds a new
    class per header); most of a message's headers repeat from one message to the next (From,
    To, Content-Type, Auto-Submitted...), so both are memoised on the header's name and text:
    building a message went from ~12 ms to ~1 ms. Header objects are immutable values."""

    def header_store_parse(self, name: str, value: object) -> tuple[str, BaseHeader]:
        if type(value) is str:
            return _parsed(self, name, value)
        return self._checked(*super().header_store_parse(name, value))

    @staticmethod
    def _checked(name: str, header: BaseHeader) -> tuple[str, BaseHeader]:
        if any(char in str(header) for char in "\r\n\x00"):
            raise ValueError(f"header {name} would carry a line break")
        return name, header

    def _fold(self, name: str, value: object, refold_binary: bool = False) -> str:
        if isinstance(value, str):
            return _folded(self, name, str(value), type(value), refold_binary, value)
        return self._fold_now(name, value, refold_binary)

    def _fold_now(self, name: str, value: object, refold_binary: bool) -> str:
        # CPython 3.11's folder drops the space between two encoded words after a fold
        # ("обращение: Общие" arrives as "обращение:Общие"); the legacy Header encoder keeps
        # spaces inside the encoded words.
        text = str(value)
        if name.lower() == "subject" and not text.isascii():
            encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}"
        return super()._fold(name, value, refold_binary)  # type: ignore[misc]

    def header_max_count(self, name: str) -> int | None:
        return _max_count(self, name.lower())  # the stdlib builds a class for each lookup

    # One policy object is shared by every message (STRICT); the caches key on it too.
    __hash__ = object.__hash__


@functools.lru_cache(maxsize=256)
def _max_count(policy: StrictPolicy, name: str) -> int | None:
    return EmailPolicy.header_max_count(policy, name)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=4096)
def _parsed(policy: StrictPolicy, name: str, value: str) -> tuple[str, BaseHeader]:
    return policy._checked(*EmailPolicy.header_store_parse(policy, name, value))


def _folded(
    policy: StrictPolicy, name: str, text: str, kind: type, refold: bool, value: object
) -> str:
    # Keyed on the text and the header class (a parsed header and a raw string of the same
    # text fold differently); `value` itself is only used on a miss.
    key = (policy, name, text, kind, refold)
    cached = _FOLDED.get(key)
    if cached is None:
        cached = policy._fold_now(name, value, refold)
        if len(_FOLDED) >= 4096:
            _FOLDED.clear()
        _FOLDED[key] = cached
    return cached


_FOLDED: dict[tuple[object, ...], str] = {}


STRICT = StrictPolicy(linesep="\r\n")


def header_text(value: str | None, limit: int = MAX_HEADER_TEXT) -> str:
    """Untrusted text fit for a header: one line, printable, bounded, and with encoded-word
    syntax broken up so the text is shown as written rather than decoded."""
    if not value:
        return ""
    one_line = " ".join(value.split())  # splits on every Unicode line and paragraph break too
    printable = "".join(char for char in one_line if char.isprintable())
    return printable.replace("=?", "= ?")[:limit].strip()


@dataclass(frozen=True, slots=True)
class FilePart:
    filename: str
    content: bytes
    mime_type: str  # "image/jpeg"


@dataclass(slots=True)
class Draft:
    """Everything one outgoing email consists of; `related` images are shown inline in the HTML
    (`<img src="cid:{content_id}">`), `files` are attachments."""

    mail_from: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    related: dict[str, FilePart] = field(default_factory=dict)  # content id (no <>) -> image
    files: list[FilePart] = field(default_factory=list)


def build_message(draft: Draft, now: dt.datetime) -> EmailMessage:
    """The RFC 5322 message for a draft; raises ValueError if any header would break a line."""
    message = EmailMessage(policy=STRICT)
    message["From"] = draft.mail_from
    message["To"] = draft.to
    message["Subject"] = header_text(draft.subject, 300)
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = draft.message_id
    for name, value in draft.headers.items():
        message[name] = value
    message.set_content(draft.text, cte="quoted-printable")
    message.add_alternative(draft.html, subtype="html", cte="quoted-printable")
    if draft.related:
        html_part = message.get_payload()[-1]  # type: ignore[index]
        for content_id, part in draft.related.items():
            maintype, _, subtype = part.mime_type.partition("/")
            html_part.add_related(  # type: ignore[union-attr]
                part.content, maintype, subtype, cid=f"<{content_id}>", filename=part.filename
            )
    for part in draft.files:
        maintype, _, subtype = part.mime_type.partition("/")
        message.add_attachment(part.content, maintype, subtype, filename=part.filename)
    return message


class _Generator(BytesGenerator):
    @classmethod
    def _make_boundary(cls, text: str | None = None) -> str:
        # The stdlib draws 64 random bits and then compiles a regex to check the boundary is
        # not in the text (~0.3 ms per part); 128 bits drawn at send time cannot be guessed
        # by whoever wrote the text, so there is nothing to check.
        return f"==============={secrets.token_hex(16)}=="


def message_bytes(message: EmailMessage) -> bytes:
    """The message as sent: flattened under its own policy (aiosmtplib's `send_message` would
    re-flatten it under the stock SMTP policy)."""
    out = io.BytesIO()
    _Generator(out, mangle_from_=False, policy=message.policy).flatten(message)
    return out.getvalue()

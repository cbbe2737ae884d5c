"""The bytes of a text + HTML email written directly, without `email.message`.

Nearly every alert and acknowledgement is a multipart/alternative of a plain and an HTML part
with a handful of headers; building and flattening that through `EmailMessage` under the
header-parsing policy cost ~3.5 ms of CPU per message, most of the outbox's time (bench/
outbox.py). Here the same message is written in ~0.1 ms: every header value is refused if it
holds CR, LF or NUL, non-ASCII text goes out as RFC 2047 base64 encoded words of at most 39
bytes of UTF-8 each (whole characters, one per folded line, so no word splits a character and
the spaces inside the text survive decoding), ASCII display names quoted by formataddr,
and the bodies as quoted-printable (binascii). A draft with images or files goes through
`mailmsg.build_message` as before.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import functools
import secrets

from notify.mailmsg import Draft, build_message, header_text, message_bytes

WORD_BYTES = 39  # raw bytes per encoded word: 52 base64 characters, a line under 78
ASCII_LINE = 78
_FORBIDDEN = ("\r", "\n", "\x00")


def _checked(name: str, value: str) -> str:
    if any(char in value for char in _FORBIDDEN):
        raise ValueError(f"header {name} would carry a line break")
    return value


def encoded_words(text: str) -> str:
    """`text` as base64 encoded words, folded one word a line."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode())
        if size + width > WORD_BYTES and chunk:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    if chunk:
        words.append("".join(chunk))
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode()).decode('ascii')}?=" for word in words
    )


def _fold_ascii(name: str, text: str) -> str:
    """An ASCII value folded at spaces so its lines stay near 78 characters."""
    lines, line = [], f"{name}:"
    for word in text.split(" "):
        if len(line) + 1 + len(word) > ASCII_LINE and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines)


def text_header(name: str, value: str) -> str:
    """`Name: value` (no line ending), encoded when the value is not plain ASCII."""
    _checked(name, value)
    if value.isascii() and "=?" not in value:
        return _fold_ascii(name, value)
    return f"{name}: {encoded_words(value)}"


@functools.lru_cache(maxsize=256)
def address_header(name: str, value: str) -> str:
    """An address header ("Shagym <a@b>" or "a@b"): the display name encoded when needed."""
    _checked(name, value)
    display, address = email.utils.parseaddr(value)
    if not address or "@" not in address or not address.isascii() or " " in address:
        raise ValueError(f"header {name} is not a usable address")
    if not display:
        return f"{name}: {address}"
    if display.isascii():
        return _fold_ascii(name, email.utils.formataddr((display, address)))
    return f"{name}: {encoded_words(display)}\r\n <{address}>"


def _body(text: str, subtype: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    encoded = binascii.b2a_qp(lines, istext=True).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + encoded


def draft_bytes(draft: Draft, now: dt.datetime) -> bytes:
    """The message as sent; ValueError if a header would break a line."""
    if draft.related or draft.files:
        return message_bytes(build_message(draft, now))
    return alternative_bytes(draft, now)


def alternative_bytes(draft: Draft, now: dt.datetime) -> bytes:
    """The message for a draft without images or files; ValueError if a header would break a
    line or an address is unusable."""
    if draft.related or draft.files:
        raise ValueError("a draft with images or files is built by mailmsg.build_message")
    boundary = f"==============={secrets.token_hex(16)}=="
    headers = [
        address_header("From", draft.mail_from),
        address_header("To", draft.to),
        text_header("Subject", header_text(draft.subject, 300)),
        f"Date: {email.utils.format_datetime(now)}",
        f"Message-ID: {_checked('Message-ID', draft.message_id)}",
    ]
    for name, value in draft.headers.items():
        headers.append(text_header(_checked("name", name), value))
    headers += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
    ]
    separator = f"\r\n--{boundary}\r\n".encode()
    return b"".join(
        [
            "\r\n".join(headers).encode("ascii"),
            b"\r\n",
            separator,
            _body(draft.text, "plain"),
            separator,
            _body(draft.html, "html"),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )

"""What the demo's citizens send: two emails as their mail clients would write them (one in
koi8-r, as old Russian clients still do, one in UTF-8 with an attachment), a photo and a PDF.
Every person, address and number here is invented."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from demo.world import HOTLINE
from models.types import utcnow


@dataclass(frozen=True, slots=True)
class Letter:
    """One email complaint: who sends it and the bytes that land in the mailbox."""

    name: str
    address: str
    subject: str
    text: str
    charset: str
    attachment: str | None = None  # file name, when one is attached

    def raw(self) -> bytes:
        if self.charset == "koi8-r":
            return koi8r_letter(self)
        return utf8_letter(self)


KOI8R = Letter(
    name="Марат",
    address="marat.demo@example.org",
    subject="Принуждают вступать в партию",
    text=(
        "Здравствуйте! В Караганде, Казыбекбийский район, директор завода заставляет рабочих "
        "вступать в партию и угрожает увольнением тем, кто откажется."
    ),
    charset="koi8-r",
)

UTF8 = Letter(
    name="Дана",
    address="dana.demo@example.org",
    subject="Один телефон на 140 членов партии",
    text=(
        "В Алматы, Ауэзовский район: на один номер телефона +7 701 555 01 01 зарегистрированы "
        "140 членов партии. Список прилагаю."
    ),
    charset="utf-8",
    attachment="список.pdf",
)


def _koi8r_headers(letter: Letter) -> list[tuple[str, str]]:
    return [
        ("From", f"{Header(letter.name, letter.charset).encode()} <{letter.address}>"),
        ("To", HOTLINE),
        ("Subject", Header(letter.subject, letter.charset).encode()),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", make_msgid(domain="example.org")),
        ("MIME-Version", "1.0"),
    ]


def koi8r_letter(letter: Letter) -> bytes:
    """A plain-text message in koi8-r, 8bit, with RFC 2047 encoded headers."""
    lines = [f"{name}: {value}" for name, value in _koi8r_headers(letter)]
    lines += ["Content-Type: text/plain; charset=koi8-r", "Content-Transfer-Encoding: 8bit"]
    head = "\r\n".join(lines).encode("ascii")
    body = letter.text.replace("\n", "\r\n").encode("koi8-r")
    return head + b"\r\n\r\n" + body + b"\r\n"


def utf8_letter(letter: Letter) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{letter.name} <{letter.address}>"
    msg["To"] = HOTLINE
    msg["Subject"] = letter.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(letter.text)
    if letter.attachment:
        msg.add_attachment(
            demo_pdf(), maintype="application", subtype="pdf", filename=letter.attachment
        )
    return msg.as_bytes()


def demo_photo() -> bytes:
    """A small JPEG (a red placard on a grey wall), made here so the demo needs no files."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (180, 180, 175))
    draw = ImageDraw.Draw(image)
    draw.rectangle((90, 50, 230, 150), fill=(200, 30, 40))
    draw.text((105, 92), "DEMO PHOTO", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


_PDF = (
    "JVBERi0xLjQKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZy9QYWdlcyAyIDAgUj4+ZW5kb2JqCjIgMCBvYmo8PC9UeXBl"
    "L1BhZ2VzL0tpZHNbMyAwIFJdL0NvdW50IDE+PmVuZG9iagozIDAgb2JqPDwvVHlwZS9QYWdlL1BhcmVudCAyIDAg"
    "Ui9NZWRpYUJveFswIDAgMjAwIDEwMF0+PmVuZG9iagp0cmFpbGVyPDwvUm9vdCAxIDAgUj4+CiUlRU9GCg=="
)


def demo_pdf() -> bytes:
    """A minimal one-page PDF standing in for the list the citizen attached."""
    return base64.b64decode(_PDF)

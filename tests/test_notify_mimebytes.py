"""The directly written alert bytes read back as the same message `email.message` would build:
Cyrillic and Kazakh subjects and names intact (spaces too), bodies intact, no header a
newline could be smuggled into."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest

from notify.mailmsg import Draft, FilePart
from notify.mimebytes import alternative_bytes, draft_bytes, encoded_words

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
SUBJECT = "Новое обращение: Общие вопросы — Өтініш тіркелді, участок №12 " * 3


def _draft(**changes: object) -> Draft:
    values: dict = {
        "mail_from": "Шагым горячая линия <hotline@shagym.test>",
        "to": "tik@example.kz",
        "subject": SUBJECT,
        "text": "Обращение SHG-1.\nТекст: в партию записали людей.\n" + "длинная строка " * 20,
        "html": "<p>Обращение <b>SHG-1</b></p>\n<p>&lt;b&gt;Спасибо</p>",
        "message_id": "<n-1.abc@shagym.test>",
        "headers": {"X-Loop": "hotline@shagym.test", "Auto-Submitted": "auto-generated"},
    }
    values.update(changes)
    return Draft(**values)


def _parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def test_reads_back_as_written() -> None:
    draft = _draft()
    message = _parsed(alternative_bytes(draft, NOW))
    assert message["Subject"] == SUBJECT.strip()
    assert message["From"].addresses[0].display_name == "Шагым горячая линия"
    assert message["From"].addresses[0].addr_spec == "hotline@shagym.test"
    assert message["To"] == "tik@example.kz"
    assert message["Message-ID"] == draft.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == NOW
    assert message.get_content_type() == "multipart/alternative"
    for subtype, written in (("plain", draft.text), ("html", draft.html)):
        body = message.get_body((subtype,)).get_content()  # type: ignore[union-attr]
        assert body.replace("\r\n", "\n").rstrip("\n") == written.rstrip("\n")


def test_lines_stay_short_and_ascii() -> None:
    data = alternative_bytes(_draft(), NOW)
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_encoded_words_never_split_a_character() -> None:
    text = "ә" * 100 + " 🗳 " + "ю" * 3
    words = encoded_words(text).split("\r\n ")
    assert len(words) > 1
    header = _parsed(f"Subject: {encoded_words(text)}\r\n\r\n".encode())
    assert header["Subject"] == text


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "tik@example.kz\r\nBcc: victim@example.com"},
        {"mail_from": "Hotline <hotline@shagym.test>\nBcc: x@y"},
        {"message_id": "<a@b>\r\nBcc: x@y"},
        {"headers": {"In-Reply-To": "<a@b>\r\nBcc: x@y"}},
        {"to": "not an address"},
    ],
)
def test_refuses_a_header_that_would_break_a_line(changes: dict) -> None:
    with pytest.raises(ValueError):
        alternative_bytes(_draft(**changes), NOW)


def test_subject_newlines_and_encoded_words_are_flattened() -> None:
    subject = "Жалоба\r\nBcc: victim@example.com =?utf-8?q?=0D=0A?= конец"
    message = _parsed(alternative_bytes(_draft(subject=subject), NOW))
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "Bcc" not in message and "Bcc: victim" in message["Subject"]
    assert "= ?utf-8?q?=0D=0A?=" in message["Subject"]


def test_drafts_with_files_go_through_the_message_builder() -> None:
    part = FilePart("evidence.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10, "image/png")
    message = _parsed(draft_bytes(_draft(files=[part]), NOW))
    assert message.get_content_type() == "multipart/mixed"
    assert [p.get_filename() for p in message.iter_attachments()] == ["evidence.png"]

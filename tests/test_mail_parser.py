"""The MIME parser: bytes in, a channel-neutral report and the deciding headers out."""

from __future__ import annotations

import base64

import pytest

from intake.cleanup import clean
from mail_ingest.charsets import decode_bytes
from mail_ingest.parser import parse_email

RU = "Здравствуйте! В Караганде 105 членов партии зарегистрированы на один номер телефона."
KK = "Сәлеметсіз бе! Таразда менің келісімімсіз партияға мүше етіп жазып қойды."


def plain(body: bytes, charset: str | None, *, headers: str = "") -> bytes:
    ctype = f"text/plain; charset={charset}" if charset else "text/plain"
    head = (
        "From: Citizen <Citizen@Mail.KZ>\r\nTo: hotline@localhost\r\nSubject: test\r\n"
        f"Message-ID: <m1@mail.kz>\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n{headers}\r\n"
    )
    return head.encode() + body


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("koi8_r", "koi8-r"),
        ("cp1251", "windows-1251"),
        ("cp1251", "x-cp1251"),
        ("cp1251", "win-1251"),
        ("cp1251", "utf-8"),  # mislabelled: detected, not dropped
        ("koi8_r", "utf-8"),
        ("koi8_r", "windows-1251"),  # the wrong 8-bit table
        ("cp1251", None),
        ("cp866", "us-ascii"),
    ],
)
def test_it_reads_cyrillic_under_any_label(encoding: str, label: str | None) -> None:
    parsed = parse_email(plain(RU.encode(encoding), label))
    assert parsed.report.text.strip() == RU


def test_it_reads_utf8_kazakh_labelled_as_windows_1251() -> None:
    parsed = parse_email(plain(KK.encode("utf-8"), "windows-1251"))
    assert parsed.report.text.strip() == KK


def test_it_shows_undecodable_bytes_instead_of_dropping_them() -> None:
    decoded = decode_bytes(bytes(range(128, 256)), "utf-8")
    assert decoded.note
    assert len(decoded.text) >= 64


def test_it_decodes_encoded_word_subjects_in_any_charset() -> None:
    koi8 = base64.b64encode("Жалоба на председателя".encode("koi8_r")).decode()
    raw = plain(b"x", "utf-8").replace(b"Subject: test", f"Subject: =?KOI8-R?B?{koi8}?=".encode())
    assert parse_email(raw).report.subject == "Жалоба на председателя"


def test_it_decodes_raw_8bit_subjects() -> None:
    raw = plain(b"x", "utf-8").replace(b"Subject: test", "Subject: Шағым".encode())
    assert parse_email(raw).report.subject == "Шағым"


def test_it_takes_the_sender_lowercased_from_from() -> None:
    parsed = parse_email(plain(b"x", "utf-8"))
    assert parsed.report.sender == "citizen@mail.kz"
    assert parsed.report.channel == "email"
    assert parsed.report.external_id == "<m1@mail.kz>"


def test_it_reads_html_only_mail() -> None:
    html = "<html><body><p>В Астане <b>заставляют</b> вступать в партию</p></body></html>"
    raw = plain(html.encode(), "utf-8").replace(b"text/plain", b"text/html")
    report = parse_email(raw).report
    assert report.text == ""
    assert "заставляют" in clean(report.text, report.html).text


def test_it_takes_a_forwarded_complaint_as_the_text() -> None:
    inner = plain(RU.encode("cp1251"), "windows-1251")
    raw = (
        b"From: forwarder@mail.kz\r\nTo: hotline@localhost\r\nSubject: Fwd: test\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n"
        b"--XX\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--XX--\r\n"
    )
    report = parse_email(raw).report
    assert "See below." in report.text
    assert RU in report.text
    assert "citizen@mail.kz" not in report.text.lower()  # the forwarded sender stays private
    assert RU in clean(report.text).text  # nothing reads as quoted history


def test_it_keeps_attachments_and_inline_images_with_safe_names() -> None:
    raw = (
        b"From: a@mail.kz\r\nSubject: photos\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee photos\r\n"
        b"--B\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\n"
        b"Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"\x89PNG fake")
        + b'\r\n--B\r\nContent-Type: application/pdf; name="../../etc/passwd"\r\n'
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"%PDF-1.4")
        + b"\r\n--B--\r\n"
    )
    attachments = parse_email(raw).report.attachments
    assert [a.content for a in attachments] == [b"\x89PNG fake", b"%PDF-1.4"]
    assert attachments[1].original_name is not None
    assert "/" not in attachments[1].original_name


def test_it_finds_case_numbers_in_the_subject() -> None:
    raw = plain(b"x", "utf-8").replace(
        b"Subject: test", "Subject: Re: [sh-2026-00042] ответ".encode()
    )
    assert parse_email(raw).case_numbers == ("SH-2026-00042",)


def test_it_recognises_replies_to_our_message_ids() -> None:
    ours = "<shagym.7.0123456789abcdef@hotline.kz>"
    raw = plain(b"x", "utf-8", headers=f"In-Reply-To: {ours}\r\nReferences: <a@b> {ours}\r\n")
    assert parse_email(raw).replies_to == (ours,)


def test_it_reads_a_bounce_of_our_message() -> None:
    ours = "<shagym.9.0123456789abcdef@hotline.kz>"
    raw = (
        "From: MAILER-DAEMON@mx.kz\r\nTo: hotline@localhost\r\nSubject: Undelivered Mail\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        " boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.kz\r\n\r\n"
        "Final-Recipient: rfc822; gone@mail.kz\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n"
        f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours}\r\nSubject: x\r\n"
        "\r\n--R--\r\n"
    ).encode()
    parsed = parse_email(raw)
    assert parsed.delivery_report is not None
    assert parsed.delivery_report.failed
    assert parsed.delivery_report.status == "5.1.1"
    assert parsed.returns == (ours,)


def test_it_strips_nul_characters() -> None:
    parsed = parse_email(plain(b"abc\x00def", "utf-8"))
    assert parsed.report.text.strip() == "abcdef"


def test_it_falls_back_to_sender_then_nothing() -> None:
    no_from = b"Sender: Helper@Mail.kz\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_email(no_from).report.sender == "helper@mail.kz"
    assert parse_email(b"Subject: x\r\n\r\nbody\r\n").report.sender == ""

"""What the mail says and what it never does: alerts, acknowledgements and relays as received
by a real SMTP server, header injection, inert untrusted text, stripped image metadata."""

from __future__ import annotations

import io
import random

from notify_helpers import outbox, report
from PIL import Image
from sqlmodel import select

from intake.answers import record_commission_answer
from intake.raw import RawAttachment
from intake.receipts import format_code
from models.tables import Case, Notification, NotificationStatus

pytest_plugins = ["notify_fixtures"]

CITIZEN = "citizen@mail.kz"


async def _email_report(sessions, ctx, **fields):
    fields.setdefault("external_id", "<original.1@mail.kz>")
    return await report(sessions, ctx, channel="email", sender=CITIZEN, **fields)


def _by_recipient(sink, address):
    return [r.message for r in sink.messages if r.rcpt_tos == [address]]


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 7.0), 3: "E", 4: (76.0, 54.0, 3.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_it_acknowledges_by_email_with_number_and_code_then_erases_the_code(
    sessions, intake_ctx, worker, sink
):
    opened = await _email_report(sessions, intake_ctx)
    await worker.drain()
    [ack] = _by_recipient(sink, CITIZEN)
    body = ack.get_body(("plain",)).get_content()
    assert f"[{opened.case.number}]" in ack["Subject"]
    assert format_code(opened.receipt_code) in body
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<original.1@mail.kz>"
    [row] = await outbox(sessions, kind="ack")
    assert row.status == NotificationStatus.sent
    assert "receipt_code" not in row.payload


async def test_it_acknowledges_in_kazakh_when_the_citizen_wrote_kazakh(
    sessions, intake_ctx, worker, sink
):
    await _email_report(sessions, intake_ctx, language_hint="kk")
    await worker.drain()
    [ack] = _by_recipient(sink, CITIZEN)
    assert "Өтініш тіркелді" in ack["Subject"]


async def test_it_never_shows_the_reporter_to_the_commission(sessions, intake_ctx, worker, sink):
    await _email_report(sessions, intake_ctx)
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert CITIZEN not in alert.as_string()
    assert "original.1" not in alert.as_string()


async def test_it_shows_a_contact_the_citizen_chose_to_share(sessions, intake_ctx, worker, sink):
    await report(sessions, intake_ctx, contact_phone="+77019998877")
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert "+77019998877" in alert.get_body(("plain",)).get_content()


async def test_it_never_adds_a_header_from_a_subject_with_crlf(sessions, intake_ctx, worker, sink):
    await _email_report(sessions, intake_ctx, subject="Жалоба\r\nBcc: victim@evil.example\n\tX")
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert alert["Bcc"] is None
    assert "\n" not in alert["Subject"] and "Bcc: victim" in alert["Subject"]
    assert all(r.rcpt_tos != ["victim@evil.example"] for r in sink.messages)


async def test_it_never_adds_a_header_from_an_encoded_newline(sessions, intake_ctx, worker, sink):
    subject = "=?utf-8?q?hi=0D=0ABcc:_victim@evil.example?= =?utf-8?b?DQpYLUV2aWw6IDE=?="
    await _email_report(sessions, intake_ctx, subject=subject)
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert alert["Bcc"] is None and alert["X-Evil"] is None
    assert "\n" not in alert["Subject"]
    for received in sink.messages:
        assert b"\nBcc:" not in received.data and b"\nX-Evil:" not in received.data


async def test_it_keeps_script_and_template_syntax_inert_in_alerts(
    sessions, intake_ctx, worker, sink
):
    text = "<script>alert(1)</script> {{ 12345*3 }} {% if true %}x{% endif %} <b>bold</b>"
    # Region and category chosen in the bot: a text the category model cannot read would
    # otherwise go to central triage instead of AKM.
    await report(sessions, intake_ctx, text, category_hint="other")
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    html = alert.get_body(("html",)).get_content()
    plain = alert.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold" in html
    assert "{{ 12345*3 }}" in html and "37035" not in html and "{% if true %}" in html
    assert "<script>alert(1)</script> {{ 12345*3 }}" in plain


async def test_it_attaches_images_without_exif_or_gps(sessions, intake_ctx, worker, sink):
    photo = _photo_with_gps()
    await report(sessions, intake_ctx, attachments=[RawAttachment(photo, "image/jpeg", "p.jpg")])
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    [part] = list(alert.iter_attachments())
    sent = part.get_content()
    assert part.get_content_type() == "image/jpeg"
    assert b"SecretCam" in photo and b"SecretCam" not in sent
    assert not Image.open(io.BytesIO(sent)).getexif()
    assert part.get_filename().startswith("evidence-")


async def test_it_lists_files_that_are_not_images(sessions, intake_ctx, worker, sink):
    document = RawAttachment(b"%PDF-1.4 evidence", "application/pdf", "protocol.pdf")
    await report(sessions, intake_ctx, attachments=[document])
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert list(alert.iter_attachments()) == []
    assert "protocol.pdf" in alert.get_body(("plain",)).get_content()


async def test_it_keeps_an_email_under_ten_megabytes(sessions, intake_ctx, worker, sink):
    noisy = []
    for seed in range(8):  # incompressible photos of ~1.3 MB each once re-encoded
        pixels = random.Random(seed).randbytes(1600 * 1200 * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (1600, 1200), pixels).save(out, "JPEG", quality=90)
        noisy.append(RawAttachment(out.getvalue(), "image/jpeg", f"{seed}.jpg"))
    await report(sessions, intake_ctx, attachments=noisy)
    await worker.drain()
    [received] = [r for r in sink.messages if r.rcpt_tos == ["akm@example.kz"]]
    assert len(received.data) <= 10 * 1024 * 1024
    attached = list(received.message.iter_attachments())
    assert 1 <= len(attached) < 8
    assert ".jpg" in received.message.get_body(("plain",)).get_content()


async def test_it_relays_a_commission_answer_to_an_email_citizen(
    sessions, intake_ctx, worker, sink
):
    opened = await _email_report(sessions, intake_ctx)
    async with sessions() as session:
        case = await session.get(Case, opened.case.id)
        await record_commission_answer(
            session, case, "Проверка начата. <b>Спасибо</b>", actor="tg:200000051", via="telegram"
        )
        await session.commit()
    await worker.drain()
    relay = [m for m in _by_recipient(sink, CITIZEN) if "Ответ комиссии" in m["Subject"]]
    [message] = relay
    assert f"[{opened.case.number}]" in message["Subject"]
    assert "Проверка начата. <b>Спасибо</b>" in message.get_body(("plain",)).get_content()
    assert "&lt;b&gt;Спасибо" in message.get_body(("html",)).get_content()
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Loop"] == "hotline@shagym.test"
    assert message["In-Reply-To"] == "<original.1@mail.kz>"


async def test_it_dead_letters_an_address_that_would_inject_a_header(
    sessions, intake_ctx, worker, sink
):
    await report(sessions, intake_ctx, channel="email", sender="a@b.kz\r\nBcc: x@evil.example")
    await worker.drain()
    async with sessions() as session:
        [ack] = (await session.exec(select(Notification).where(Notification.kind == "ack"))).all()
    assert ack.status == NotificationStatus.dead
    assert "receipt_code" not in ack.payload
    assert all("x@evil.example" not in r.rcpt_tos for r in sink.messages)


async def test_it_keeps_every_space_of_a_long_cyrillic_subject(sessions, intake_ctx, worker, sink):
    subject = "Нарушение порядка приёма: 105 членов партии на один номер телефона в районе"
    await _email_report(sessions, intake_ctx, subject=subject)
    await worker.drain()
    [alert] = _by_recipient(sink, "akm@example.kz")
    assert "Новое обращение: " in alert["Subject"]
    assert subject[:50] in alert["Subject"]

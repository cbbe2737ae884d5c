"""Telegram: the alert card in the commission's group and acting on it (Take, Answer, Resolve,
Not ours), relays to the citizen, pacing and Telegram's errors — against the Bot API emulator
with the real dispatcher polling it."""

from __future__ import annotations

import datetime as dt

from notify_helpers import outbox, report
from sqlmodel import col, select

from intake.answers import record_commission_answer
from models.tables import AuditLog, Case, CaseStatus, NotificationStatus, Reporter

pytest_plugins = ["notify_fixtures"]

AKM_CHAT, ALA_CHAT = -1001000000005, -1001000000002
MEMBER, STRANGER = 200000051, 999000111


async def _case(sessions, case_id) -> Case:
    async with sessions() as session:
        return await session.get(Case, case_id)


async def _audit(sessions, case_id) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(
            select(AuditLog.action).where(AuditLog.case_id == case_id).order_by(col(AuditLog.id))
        )
        return list(rows.all())


async def _alerted(sessions, intake_ctx, tg_worker, emulator, **fields):
    group = emulator.group(AKM_CHAT, "AKM commission")
    opened = await report(sessions, intake_ctx, **fields)
    await tg_worker.drain()
    card = await group.wait_for(opened.case.number)
    return opened, group, card


async def test_it_posts_the_alert_card_with_buttons_in_the_group(
    sessions, intake_ctx, tg_worker, emulator
):
    opened, _, card = await _alerted(sessions, intake_ctx, tg_worker, emulator, sender="5550001")
    assert card.buttons() == ["🙋 Взять", "✉️ Ответить", "✅ Решить", "↪️ Не наше"]
    assert "Акмолинская область" in card.text and "105 человек" in card.text
    assert "5550001" not in card.text and "5550001" not in card.html
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert row.status == NotificationStatus.sent and row.result["message_id"] == card.message_id


async def test_it_keeps_script_and_template_syntax_inert_on_the_card(
    sessions, intake_ctx, tg_worker, emulator
):
    text = "<script>alert(1)</script> {{ 7*7 }} <b>bold</b> & more"
    _, _, card = await _alerted(sessions, intake_ctx, tg_worker, emulator, text=text)
    assert "<script>alert(1)</script> {{ 7*7 }} <b>bold</b> & more" in card.text
    assert "&lt;script&gt;" in card.html


async def test_it_assigns_the_case_to_the_member_who_takes_it(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    opened, group, _ = await _alerted(sessions, intake_ctx, tg_worker, emulator)
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Взять", chat=group)
    edited = await group.wait_for("В работе у Айгуль")
    assert "Взять" in edited.buttons()[0]
    case = await _case(sessions, opened.case.id)
    assert (case.assignee, case.status) == (MEMBER, CaseStatus.assigned)
    assert "case.taken" in await _audit(sessions, opened.case.id)


async def test_it_refuses_a_non_member_and_changes_nothing(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    opened, group, _ = await _alerted(sessions, intake_ctx, tg_worker, emulator)
    stranger = emulator.user(STRANGER, "Посторонний")
    for pressed, button in enumerate(("Взять", "Решить", "Ответить", "Не наше"), start=1):
        await stranger.press(button, chat=group)
        await emulator.wait_until(lambda n=pressed: len(emulator.answers) == n)
    assert all("только члены комиссии" in a.get("text", "") for a in emulator.answers)
    case = await _case(sessions, opened.case.id)
    assert (case.assignee, case.status, case.commission_code) == (None, CaseStatus.new, "AKM")
    assert (await _audit(sessions, opened.case.id)).count("case.action_refused") == 4
    assert group.last.buttons()[0] == "🙋 Взять" and len(group.sent) == 1


async def test_it_relays_an_answer_from_the_group_to_a_telegram_citizen(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    citizen = emulator.user(5550002, "Алия")
    opened, group, _ = await _alerted(
        sessions, intake_ctx, tg_worker, emulator, sender=str(citizen.id)
    )
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Ответить", chat=group)
    prompt = await group.wait_for("напишите ответ")
    await member.send(
        "Проверка начата, спасибо <за> сигнал", chat=group, reply_to=prompt.message_id
    )
    await group.wait_for("ответ отправлен заявителю")
    await tg_worker.drain()
    relay = await citizen.chat.wait_for("Проверка начата")
    assert "спасибо <за> сигнал" in relay.text and opened.case.number in relay.text
    assert relay.buttons()  # "add information" under the answer
    case = await _case(sessions, opened.case.id)
    assert (case.status, case.assignee) == (CaseStatus.answered, MEMBER)
    assert "Айгуль" not in relay.text


async def test_it_relays_an_answer_from_the_group_to_an_email_citizen(
    sessions, intake_ctx, tg_worker, emulator, running_bot, sink
):
    opened, group, _ = await _alerted(
        sessions, intake_ctx, tg_worker, emulator, channel="email", sender="c@mail.kz"
    )
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Ответить", chat=group)
    prompt = await group.wait_for("напишите ответ")
    await member.send("Ответ по электронной почте", chat=group, reply_to=prompt.message_id)
    await group.wait_for("ответ отправлен заявителю")
    await tg_worker.drain()
    [relay] = [r.message for r in sink.messages if "Ответ комиссии" in r.message["Subject"]]
    assert relay["To"] == "c@mail.kz"
    assert "Ответ по электронной почте" in relay.get_body(("plain",)).get_content()


async def test_it_relays_an_emailed_answer_to_a_telegram_citizen(
    sessions, intake_ctx, tg_worker, emulator
):
    citizen = emulator.user(5550003, "Ерлан")
    opened = await report(sessions, intake_ctx, sender=str(citizen.id))
    async with sessions() as session:
        case = await session.get(Case, opened.case.id)
        await record_commission_answer(
            session, case, "Ответ, пришедший письмом", actor="email:AKM", via="email"
        )
        await session.commit()
    await tg_worker.drain()
    relay = await citizen.chat.wait_for("Ответ, пришедший письмом")
    assert opened.case.number in relay.text


async def test_it_ignores_group_chatter_that_does_not_reply_to_the_prompt(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    opened, group, _ = await _alerted(sessions, intake_ctx, tg_worker, emulator)
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Ответить", chat=group)
    prompt = await group.wait_for("напишите ответ")
    await member.send("коллеги, посмотрите", chat=group)  # not a reply: not the answer
    await member.send("Настоящий ответ", chat=group, reply_to=prompt.message_id)
    await group.wait_for("ответ отправлен заявителю")
    async with sessions() as session:
        from models.tables import Message

        texts = (
            await session.exec(select(Message.text).where(Message.case_id == opened.case.id))
        ).all()
    assert "Настоящий ответ" in texts and "коллеги, посмотрите" not in texts


async def test_it_resolves_a_case_from_the_group(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    opened, group, card = await _alerted(sessions, intake_ctx, tg_worker, emulator)
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Решить", chat=group)
    await group.wait_for(lambda m: "Подтвердилось" in m.buttons())
    await member.press("Не подтвердилось", chat=group)
    done = await group.wait_for("Решено: Не подтвердилось")
    assert done.buttons() == []
    case = await _case(sessions, opened.case.id)
    assert (case.status, case.resolution) == (CaseStatus.resolved, "not_confirmed")
    assert case.closed_at is not None
    assert "case.resolved" in await _audit(sessions, opened.case.id)


async def test_it_reroutes_a_case_and_alerts_the_new_commission(
    sessions, intake_ctx, tg_worker, emulator, running_bot, sink
):
    opened, group, _ = await _alerted(sessions, intake_ctx, tg_worker, emulator)
    ala = emulator.group(ALA_CHAT, "ALA commission")
    member = emulator.user(MEMBER, "Айгуль")
    await member.press("Не наше", chat=group)
    await group.wait_for(lambda m: "город Алматы" in m.buttons())
    await member.press("город Алматы", chat=group)
    prompt = await group.wait_for("укажите причину")
    await member.send("Речь об Алматы, не об Акмоле", chat=group, reply_to=prompt.message_id)
    await group.wait_for("передано в «город Алматы»")
    case = await _case(sessions, opened.case.id)
    assert (case.commission_code, case.region, case.status) == ("ALA", "ALA", CaseStatus.new)
    async with sessions() as session:
        [moved] = (
            await session.exec(select(AuditLog).where(AuditLog.action == "case.rerouted"))
        ).all()
    assert moved.details == {"from": "AKM", "to": "ALA", "reason": "Речь об Алматы, не об Акмоле"}
    await tg_worker.drain()
    card = await ala.wait_for(opened.case.number)
    assert "Передано вам" in card.text and "Речь об Алматы" in card.text
    [mail] = [r for r in sink.messages if r.rcpt_tos == ["ala@example.kz"]]
    assert "Речь об Алматы" in mail.message.get_body(("plain",)).get_content()
    assert group.sent[0].buttons() == []  # the old group's card no longer acts on it


async def test_it_retries_a_telegram_429_after_retry_after(
    sessions, intake_ctx, tg_worker, emulator, clock
):
    emulator.group(AKM_CHAT)
    emulator.inject("sendMessage", status=429, retry_after=120, times=1)
    await report(sessions, intake_ctx)
    await tg_worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.pending, 1)
    assert row.next_attempt_at >= clock.now() + dt.timedelta(seconds=120)
    clock.advance(121)
    await tg_worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)
    assert emulator.count("sendMessage", AKM_CHAT) == 1


async def test_it_retries_a_telegram_5xx(sessions, intake_ctx, tg_worker, emulator):
    emulator.group(AKM_CHAT)
    emulator.inject("sendMessage", status=502, times=1)
    await report(sessions, intake_ctx)
    await tg_worker.drain()
    [row] = await outbox(sessions, kind="alert", channel="telegram")
    assert (row.status, row.attempts) == (NotificationStatus.pending, 1)


async def test_it_dead_letters_a_relay_to_a_citizen_who_blocked_the_bot(
    sessions, intake_ctx, tg_worker, emulator
):
    citizen = emulator.user(5550004, "Блок")
    opened = await report(sessions, intake_ctx, sender=str(citizen.id))
    emulator.block(citizen.id)
    async with sessions() as session:
        case = await session.get(Case, opened.case.id)
        await record_commission_answer(session, case, "Ответ", actor="email:AKM", via="email")
        await session.commit()
    await tg_worker.drain()
    [row] = await outbox(sessions, kind="relay")
    assert row.status == NotificationStatus.dead
    assert row.result["blocked"] is True and row.attempts == 1
    async with sessions() as session:
        case = await session.get(Case, opened.case.id)
        reporter = await session.get(Reporter, case.reporter_id)
        assert reporter.blocked
        await record_commission_answer(session, case, "Ещё ответ", actor="email:AKM", via="email")
        await session.commit()
    assert len(await outbox(sessions, kind="relay")) == 1  # nothing more owed to a blocked chat


async def test_it_posts_the_digest_chart_with_its_summary_in_the_group(
    sessions, intake_ctx, tg_worker, emulator, clock
):
    from notify.digest.schedule import DigestScheduler

    group = emulator.group(AKM_CHAT)
    await report(sessions, intake_ctx)
    scheduler = DigestScheduler(sessions, clock_zone(), dt.time(9), "shagym.test", clock)
    await scheduler.tick()
    await tg_worker.drain()
    digest = await group.wait_for(lambda m: m.kind == "photo")
    assert "Дайджест за" in digest.text and "Новых: 1" in digest.text
    assert group.messages[digest.message_id].content[:4] == b"\x89PNG"


def clock_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Almaty")


async def test_it_posts_evidence_photos_without_metadata_under_the_card(
    sessions, intake_ctx, tg_worker, emulator
):
    import io

    from PIL import Image

    from intake.raw import RawAttachment

    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 7.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(out, "JPEG", exif=exif.tobytes())
    photo = RawAttachment(out.getvalue(), "image/jpeg", "IMG_0001.jpg")
    _, group, card = await _alerted(sessions, intake_ctx, tg_worker, emulator, attachments=[photo])
    shown = await group.wait_for(lambda m: m.kind == "photo")
    content = group.messages[shown.message_id].content
    assert b"SecretCam" not in content and not Image.open(io.BytesIO(content)).getexif()
    assert "IMG_0001" not in (group.messages[shown.message_id].filename or "")

"""The guided report, end to end: the real Dispatcher polls the Bot API emulator over HTTP."""

from __future__ import annotations

import re

import bot_fixtures
from bot_fixtures import BotHarness, send_report, tap, walk_to_summary
from sqlmodel import select

from intake.cases import find_by_receipt
from intake.receipts import parse_code
from models.tables import Attachment, Notification, Reporter
from sandbox.telegram import SentMessage, UserDriver

tg = bot_fixtures.tg
tg_store = bot_fixtures.tg_store

CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def test_it_completes_a_guided_report_in_russian(tg: BotHarness) -> None:
    user = tg.user(1001, "Алия", language_code="ru")
    assert "Здравствуйте, Алия!" in (await user.say("/start")).text
    menu = await user.click("Русский")
    assert "Сообщить о нарушении" in " ".join(menu.buttons())
    assert "Шаг 1 из 5" in (await user.click("Сообщить о нарушении")).text
    region = await user.click("Подкуп избирателей")
    assert len(region.buttons()) == 21  # 20 regions and Cancel
    assert "Шаг 3 из 5" in (await user.click("Акмолинская")).text
    found = await user.say("Бурабайский район, Щучинск")
    assert "Найдено: Бурабайский район" in found.text and "Шаг 4 из 5" in found.text
    await user.say("Директор школы раздавал продуктовые пакеты за обещание проголосовать.")
    assert "Шаг 5 из 5" in (await user.click("Далее")).text
    summary = await user.click("Не оставлять контакт")
    assert "Регион: Акмолинская область" in summary.text
    done = await send_report(user)

    assert "Ваше обращение отправлено" in done.text and "Срок ответа:" in done.text
    assert "Комиссия партийного контроля: Акмолинская область" in done.text
    code = parse_code(CODE.search(done.text).group())  # type: ignore[union-attr]
    async with tg.sessions() as session:
        case = await find_by_receipt(session, code or "", tg.settings.receipt_key())
        assert case is not None and case.number in done.text
        assert (case.region, case.category, case.language) == ("AKM", "vote_buying", "ru")
        assert case.text.startswith("📍 Бурабайский район, Щучинск")
        assert not case.contact_shared


async def test_it_completes_a_guided_report_in_kazakh(tg: BotHarness) -> None:
    user = tg.user(1002, "Айгүл", language_code="kk")
    assert "Сәлеметсіз бе, Айгүл!" in (await user.say("/start")).text
    await user.click("Қазақша")
    assert "Қадам 1/5" in (await user.click("Бұзушылық туралы хабарлау")).text
    await user.click("Мәжбүрлеу")
    assert "Қадам 3/5" in (await user.click("Қарағанды")).text
    await user.say("Қарағанды қаласы, № 5 мектеп")
    await user.say(
        "Мектеп директоры мұғалімдерді партияға кіруге мәжбүрлеп, жұмыстан шығарамын деп қорқытты."
    )
    await user.click("Әрі қарай")
    summary = await user.click("Анонимді қалу")
    assert "Өңір: Қарағанды облысы" in summary.text
    done = await send_report(user)

    assert "Шағымыңыз жіберілді" in done.text and "Жауап беру мерзімі:" in done.text
    assert re.search(r"\d{4}\sж\. \d{1,2} \w+", done.text)  # the due date, written in Kazakh
    case = (await tg.cases())[-1]
    assert (case.region, case.category, case.language) == ("KAR", "coercion", "kk")


async def test_it_shows_the_confirmation_itself_and_leaves_no_code_in_the_outbox(
    tg: BotHarness,
) -> None:
    user = tg.user(1003, "Ерлан")
    await walk_to_summary(user)
    user.chat.skip()
    update_id = await user.press(data="n:send")
    done = await user.chat.next()
    assert "Код квитанции" in done.text
    await tg.ended(update_id)  # the ack row is settled right after the confirmation is shown
    case = (await tg.cases())[-1]
    async with tg.sessions() as session:
        rows = (
            await session.exec(select(Notification).where(Notification.case_id == case.id))
        ).all()
    acks = [n for n in rows if n.kind == "ack"]
    assert [(n.channel, n.status, n.payload) for n in acks] == [("telegram", "sent", {})]
    assert {n.kind for n in rows} == {"ack", "alert"}  # the commission is still alerted


async def _ask_for_phone(user: UserDriver) -> SentMessage:
    """From the summary: Edit, Contact, Share my phone number; the reply keyboard message."""
    await tap(user, "n:edit")
    await user.click("Контакт")
    user.chat.skip()
    await user.press("Оставить номер телефона")
    return await user.chat.next_message()


async def test_it_keeps_a_phone_number_only_when_the_citizen_shares_it(tg: BotHarness) -> None:
    user = tg.user(1004, "Мария")
    await walk_to_summary(user)
    keyboard = await _ask_for_phone(user)
    assert keyboard.keyboard()[0].get("request_contact") is True
    user.chat.skip()
    await user.share_contact("+77011234567")
    summary = await user.chat.wait_for("Проверьте")
    assert "телефон +77011234567" in summary.text
    await send_report(user)
    case = (await tg.cases())[-1]
    async with tg.sessions() as session:
        reporter = await session.get(Reporter, case.reporter_id)
    assert case.contact_shared and reporter is not None
    assert reporter.contact_phone == "+77011234567"


async def test_it_accepts_only_the_citizens_own_phone_number(tg: BotHarness) -> None:
    user = tg.user(1005, "Мария")
    await walk_to_summary(user)
    await _ask_for_phone(user)
    user.chat.skip()
    await user.share_contact("+77017654321", own=False)
    assert "своим номером" in (await user.chat.next_message()).text


async def test_it_refuses_a_file_over_20_mb_politely_and_the_report_goes_on(
    tg: BotHarness,
) -> None:
    user = tg.user(1006, "Асель")
    await user.say("/report")
    await tap(user, "p:cat:fake_membership")
    await tap(user, "p:reg:AST")
    await user.click("Пропустить")
    user.chat.skip()
    await user.send_document(b"%PDF-1.4 small", "list.pdf", "application/pdf")
    assert "Файл получен (всего 1" in (await user.chat.next_message()).text
    await user.send_document(b"x", "video.mp4", "video/mp4", size=25 * 1024 * 1024)
    refusal = await user.chat.next_message()
    assert "больше 20 МБ" in refusal.text and "Обращение продолжается" in refusal.text
    await user.say("Меня записали в партию без моего согласия, я не подавал заявление.")
    await user.click("Далее")
    summary = await user.click("Не оставлять контакт")
    assert "Файлы: 1" in summary.text
    await send_report(user)
    case = (await tg.cases())[-1]
    async with tg.sessions() as session:
        files = (await session.exec(select(Attachment).where(Attachment.case_id == case.id))).all()
    assert [(f.mime_type, f.original_name) for f in files] == [("application/pdf", "list.pdf")]
    assert tg.emu.count("getFile") == 1  # the large file was never requested


async def test_it_takes_at_most_ten_files(tg: BotHarness) -> None:
    user = tg.user(1007, "Арман")
    await user.say("/report")
    await tap(user, "p:cat:other")
    await tap(user, "p:reg:ALA")
    await user.click("Пропустить")
    for index in range(11):
        user.chat.skip()
        await user.send_photo(f"photo {index}".encode())
        reply = await user.chat.next_message()
    assert "это максимум" in reply.text


async def test_it_accepts_an_album_with_one_acknowledgement(tg: BotHarness) -> None:
    user = tg.user(1008, "Арман")
    await user.say("/report")
    await tap(user, "p:cat:other")
    await tap(user, "p:reg:ALA")
    await user.click("Пропустить")
    user.chat.skip()
    last = 0
    for index in range(3):
        last = await user.send_photo(f"album {index}".encode(), media_group_id="g1")
    await tg.ended(last)
    await user.send("Фотографии списка: все подписи сделаны одной рукой, это подделка.")
    await user.chat.wait_for("Сохранено")
    acknowledgements = [m for m in user.chat.sent if "Файл получен" in m.text]
    assert len(acknowledgements) == 1
    await user.click("Далее")
    summary = await tap(user, "n:anonymous")
    assert "Файлы: 3" in summary.text


async def test_it_asks_which_region_when_the_place_is_elsewhere(tg: BotHarness) -> None:
    user = tg.user(1009, "Дина")
    await user.say("/report")
    await tap(user, "p:cat:coercion")
    await tap(user, "p:reg:AKM")
    conflict = await user.say("Каркаралинск")
    assert "Карагандинская область" in conflict.text and "Акмолинская область" in conflict.text
    step4 = await user.click("Карагандинская")
    assert "Шаг 4 из 5" in step4.text


async def test_it_suggests_a_place_for_a_misspelt_name(tg: BotHarness) -> None:
    user = tg.user(1010, "Дина")
    await user.say("/report")
    await tap(user, "p:cat:coercion")
    await tap(user, "p:reg:AKM")
    suggestion = await user.say("Щучинк")
    assert "Щучинск" in suggestion.buttons()
    assert "Шаг 4 из 5" in (await user.click("Щучинск")).text


async def test_it_edits_a_field_from_the_summary(tg: BotHarness) -> None:
    user = tg.user(1011, "Нурлан")
    await walk_to_summary(user, category="vote_buying")
    await user.press(data="n:edit")
    fields = await user.chat.next()
    assert "Категория" in fields.buttons()
    await tap(user, "p:field:category")
    summary = await user.click("Принуждение")
    assert "Категория: Принуждение" in summary.text


async def test_it_discards_a_cancelled_report_with_its_files(tg: BotHarness) -> None:
    user = tg.user(1012, "Гульнара")
    await user.say("/report")
    await tap(user, "p:cat:other")
    await tap(user, "p:reg:ALA")
    await user.click("Пропустить")
    user.chat.skip()
    await user.send_document(b"evidence to forget", "a.txt", "text/plain")
    await user.chat.next_message()
    assert any(tg.settings.ATTACHMENTS_DIR.rglob("*"))
    await user.click("Отменить обращение")
    menu = await user.click("Да, удалить")
    assert "Обращение удалено" in menu.text
    kept = [p.name for p in tg.settings.ATTACHMENTS_DIR.rglob("*") if p.is_file()]
    assert kept == [".receipt-key"]  # the deployment's key stays; the evidence is gone
    assert await tg.cases() == []

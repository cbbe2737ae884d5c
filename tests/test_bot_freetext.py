"""A citizen who just writes: a draft filled in by intake, asking only for what is missing."""

from __future__ import annotations

import bot_fixtures
from bot_fixtures import BotHarness, send_report

tg = bot_fixtures.tg
tg_store = bot_fixtures.tg_store


async def test_it_drafts_a_report_from_free_text_and_asks_only_for_the_contact(
    tg: BotHarness,
) -> None:
    user = tg.user(2001, "Болат")
    contact = await user.say(
        "На праймериз в Алматы, Бостандыкский район, раздавали продуктовые пакеты за голос."
    )
    assert "составлен черновик" in contact.text and "Шаг 5 из 5" in contact.text
    summary = await user.click("Не оставлять контакт")
    assert "Категория: Подкуп избирателей" in summary.text
    assert "Регион: город Алматы" in summary.text and "Бостандыкский район" in summary.text
    await send_report(user)
    case = (await tg.cases())[-1]
    assert (case.region, case.category) == ("ALA", "vote_buying")


async def test_it_asks_for_the_region_when_the_text_names_none(tg: BotHarness) -> None:
    user = tg.user(2002, "Болат")
    region = await user.say("Меня записали в партию без моего согласия, я не подавал заявление.")
    assert "Шаг 2 из 5" in region.text
    assert len(region.buttons()) == 21


async def test_it_asks_for_the_category_when_the_text_does_not_tell(tg: BotHarness) -> None:
    user = tg.user(2003, "Болат")
    step = await user.say("Хочу сообщить о том, что происходило вчера вечером в Шымкенте.")
    assert "Шаг 1 из 5" in step.text


async def test_it_offers_the_regions_a_text_names_first(tg: BotHarness) -> None:
    user = tg.user(2004, "Болат")
    step = await user.say(
        "Меня записали в партию без моего согласия, это было в Жамбылском районе."
    )
    assert "Шаг 2 из 5" in step.text and "вверху списка" in step.text
    # Three regions have a Zhambyl district; they come first.
    assert [b for b in step.buttons() if b.startswith("📍")] == [
        "📍 Алматинская обл.",
        "📍 Северо-Казахстанская обл.",
        "📍 Жамбылская обл.",
    ]


async def test_it_answers_a_short_message_with_the_menu(tg: BotHarness) -> None:
    user = tg.user(2005, "Болат")
    reply = await user.say("Здравствуйте")
    assert "одним сообщением" in reply.text
    assert "📝 Сообщить о нарушении" in reply.buttons()
    assert await tg.cases() == []


async def test_it_drafts_a_report_from_a_forwarded_message(tg: BotHarness) -> None:
    user = tg.user(2006, "Болат")
    user.chat.skip()
    await user.send("Всем явиться на собрание, иначе уволим", forward_from="Начальник")
    step = await user.chat.next_message()
    assert "составлен черновик" in step.text


async def test_it_starts_a_draft_from_a_photo(tg: BotHarness) -> None:
    user = tg.user(2007, "Болат")
    user.chat.skip()
    await user.send_photo(b"\xff\xd8 a photo of the list")
    step = await user.chat.next_message()
    assert "Файл получен" in step.text and "Шаг 1 из 5" in step.text


async def test_it_speaks_english_to_an_english_telegram(tg: BotHarness) -> None:
    user = tg.user(2008, "John", language_code="en-US")
    reply = await user.say("Hi")
    assert "To report a violation" in reply.text

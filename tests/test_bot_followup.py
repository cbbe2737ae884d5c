"""Follow-up with a receipt code: status, the commission's answers, adding information."""

from __future__ import annotations

import re

import bot_fixtures
from bot_fixtures import BotHarness, send_report, walk_to_summary
from sqlmodel import select

from bot.notices import relay_markup, relay_text
from bot.sender import TelegramSender
from intake.answers import record_commission_answer
from models.tables import Case, Direction, Message

tg = bot_fixtures.tg
tg_store = bot_fixtures.tg_store

CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def _report(tg: BotHarness, user_id: int) -> tuple[bot_fixtures.UserDriver, str, Case]:
    user = tg.user(user_id, "Сауле")
    await walk_to_summary(user)
    done = await send_report(user)
    code = CODE.search(done.text).group()  # type: ignore[union-attr]
    return user, code, (await tg.cases())[-1]


async def test_it_shows_the_status_and_the_answers_for_a_receipt_code(tg: BotHarness) -> None:
    user, code, case = await _report(tg, 3001)
    async with tg.sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        await record_commission_answer(
            session,
            stored,
            "Проверка назначена <на понедельник> & ждём",
            actor="tg:1",
            via="telegram",
        )
        await session.commit()
    status = await user.say(f"/status {code}")
    assert case.number in status.text and "комиссия ответила" in status.text
    assert "Проверка назначена <на понедельник> & ждём" in status.text
    assert "➕ Дополнить" in status.buttons()


async def test_it_asks_for_the_code_from_the_menu_button(tg: BotHarness) -> None:
    user, code, case = await _report(tg, 3002)
    ask = await user.click("Главное меню")
    assert "Проверить" in " ".join(ask.buttons())
    prompt = await user.click("Проверить обращение")
    assert "16 цифр" in prompt.text
    status = await user.say(code.replace(" ", "-"))
    assert case.number in status.text and "ожидает рассмотрения" in status.text


async def test_it_refuses_a_malformed_or_unknown_code(tg: BotHarness) -> None:
    user = tg.user(3003, "Сауле")
    assert "состоит из 16 цифр" in (await user.say("/status 1234")).text
    assert "не найдено" in (await user.say("/status 0000 0000 0000 0000")).text


async def test_it_limits_wrong_codes(tg: BotHarness) -> None:
    user = tg.user(3004, "Сауле")
    for attempt in range(5):
        await user.say(f"/status 0000 0000 0000 000{attempt}")
    assert "Слишком много неверных кодов" in (await user.say("/status 0000 0000 0000 0009")).text


async def test_it_adds_information_to_an_open_case(tg: BotHarness) -> None:
    user, code, case = await _report(tg, 3005)
    await user.say(f"/status {code}")
    prompt = await user.click("Дополнить")
    assert case.number in prompt.text
    added = await user.say("Ещё одна деталь: пакеты раздавали и в соседней школе.")
    assert f"Добавлено к обращению {case.number}" in added.text
    user.chat.skip()
    await user.send_document(b"second list", "list2.pdf", "application/pdf")
    await user.chat.wait_for("Добавлено")
    done = await user.click("Готово")
    assert "Комиссия увидит" in done.text
    async with tg.sessions() as session:
        thread = (
            await session.exec(
                select(Message).where(
                    Message.case_id == case.id, Message.direction == Direction.citizen_in
                )
            )
        ).all()
    assert len(thread) == 3
    assert "соседней школе" in thread[1].text


async def test_a_commission_answer_reaches_the_citizen_with_an_add_button(tg: BotHarness) -> None:
    user, _code, case = await _report(tg, 3006)
    assert tg.bot is not None and case.id is not None
    sender = TelegramSender(tg.bot)
    user.chat.skip()
    await sender.send_text(
        user.id,
        relay_text("ru", case.number, "Ответ <b>комиссии</b>"),
        relay_markup("ru", case.id),
    )
    relay = await user.chat.next_message()
    assert "Комиссия ответила по обращению" in relay.text and "<b>комиссии</b>" in relay.text
    prompt = await user.click("Дополнить")
    assert case.number in prompt.text


async def test_someone_else_cannot_add_to_a_case_by_its_button(tg: BotHarness) -> None:
    _user, _code, case = await _report(tg, 3007)
    assert tg.bot is not None and case.id is not None
    stranger = tg.user(3008, "Чужой")
    stranger.chat.skip()
    await TelegramSender(tg.bot).send_text(
        stranger.id, relay_text("ru", case.number, "…"), relay_markup("ru", case.id)
    )
    await stranger.chat.next_message()
    prompt = await stranger.click("Дополнить")
    assert "код квитанции" in prompt.text

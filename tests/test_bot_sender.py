"""The Telegram sender the outbox uses, and HTML splitting, against the emulator over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from html import escape

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.api import make_bot
from bot.htmlsplit import split_html, visible_length
from bot.retry import RetryPolicy
from bot.sender import PermanentSendError, TelegramSender, TransientSendError
from bot.session import loads_without_keyboards
from sandbox.telegram import TelegramEmulator
from sandbox.telegram_html import parse_html

MARKUP = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="take:1")]]
)


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        emulator.user(7001, "Citizen")
        emulator.group(-1007001, "Commission")
        yield emulator


@pytest.fixture
async def sender(emu: TelegramEmulator) -> AsyncIterator[TelegramSender]:
    # One try only: the outbox schedules its own retries.
    bot = make_bot(emu.token, emu.base_url, retry=RetryPolicy(attempts=1))
    yield TelegramSender(bot)
    await bot.session.close()


async def test_the_keyboard_reaches_the_chat_but_is_not_read_back(
    emu: TelegramEmulator, sender: TelegramSender
) -> None:
    sent = await sender.bot.send_message(7001, "Выберите", reply_markup=MARKUP)
    assert emu.chat(7001).sent[-1].buttons() == ["Take"]
    assert sent.message_id == emu.chat(7001).sent[-1].message_id and sent.text == "Выберите"
    assert sent.reply_markup is None


def test_only_keyboards_are_dropped_from_updates() -> None:
    keyboard = {"inline_keyboard": [[{"text": "Алматы", "callback_data": "region:ALA"}]]}
    message = {"message_id": 5, "chat": {"id": 7001}, "text": "<b>", "reply_markup": keyboard}
    press = {"id": "9", "data": "region:ALA", "message": message}
    raw = {"ok": True, "result": [{"update_id": 1, "callback_query": press},
                                  {"update_id": 2, "message": {"message_id": 6, "text": "x"}}]}  # fmt: skip
    payload = loads_without_keyboards(json.dumps(raw))
    first, second = payload["result"]
    assert first["callback_query"]["message"] == {
        k: v for k, v in message.items() if k != "reply_markup"
    }
    assert first["callback_query"]["data"] == "region:ALA"
    assert second == raw["result"][1]
    assert loads_without_keyboards('{"ok": true, "result": true}') == {"ok": True, "result": True}


def test_it_splits_long_html_into_well_formed_parts_within_the_limit() -> None:
    text = "<b>Title</b>\n" + escape("a<b>&c " * 1500) + "\n<i>" + "word " * 900 + "</i>"
    parts = split_html(text, 4096)
    assert len(parts) > 1
    assert all(visible_length(p) <= 4096 for p in parts)
    joined = "".join(parse_html(p) for p in parts)  # each part is valid Telegram HTML
    assert joined.replace(" ", "").replace("\n", "") == parse_html(text).replace(" ", "").replace(
        "\n", ""
    )


def test_it_reopens_a_tag_cut_by_a_split() -> None:
    parts = split_html("<b>" + "x" * 5000 + "</b>", 4096)
    assert parts[0].endswith("</b>") and parts[1].startswith("<b>")


def test_it_counts_emoji_as_telegram_does() -> None:
    assert len(split_html("😀" * 3000, 4096)) == 2  # 6,000 UTF-16 code units


async def test_it_sends_a_long_text_in_parts_with_the_keyboard_on_the_last(
    emu: TelegramEmulator, sender: TelegramSender
) -> None:
    message_id = await sender.send_text(7001, "<b>Answer</b>\n" + "слово " * 1500, MARKUP)
    sent = emu.chat(7001).sent
    assert len(sent) == 3 and sent[-1].message_id == message_id
    assert sent[-1].buttons() == ["Take"] and sent[0].buttons() == []


async def test_it_continues_a_long_caption_in_a_text_message(
    emu: TelegramEmulator, sender: TelegramSender
) -> None:
    message_id = await sender.send_photo(-1007001, b"\xff\xd8jpeg", "p.jpg", "подпись " * 300)
    photo, rest = emu.chat(-1007001).sent
    assert photo.message_id == message_id and photo.kind == "photo"
    assert photo.content == b"\xff\xd8jpeg" and len(photo.text) <= 1024
    assert rest.kind == "text" and rest.text.endswith("подпись")


async def test_it_sends_a_document(emu: TelegramEmulator, sender: TelegramSender) -> None:
    await sender.send_document(-1007001, b"%PDF", "case.pdf", "<b>SH-2026-00001</b>")
    [document] = emu.chat(-1007001).sent
    assert (document.kind, document.filename, document.text) == (
        "document",
        "case.pdf",
        "SH-2026-00001",
    )


async def test_flood_control_is_transient_with_its_retry_after(
    emu: TelegramEmulator, sender: TelegramSender
) -> None:
    emu.inject("sendMessage", status=429, retry_after=7)
    with pytest.raises(TransientSendError) as raised:
        await sender.send_text(7001, "x")
    assert raised.value.retry_after == 7.0


async def test_a_server_error_is_transient(emu: TelegramEmulator, sender: TelegramSender) -> None:
    emu.inject("sendMessage", status=502)
    with pytest.raises(TransientSendError) as raised:
        await sender.send_text(7001, "x")
    assert raised.value.retry_after is None


async def test_a_blocked_user_is_permanent(emu: TelegramEmulator, sender: TelegramSender) -> None:
    emu.block(7001)
    with pytest.raises(PermanentSendError) as raised:
        await sender.send_text(7001, "x")
    assert raised.value.blocked


async def test_an_unknown_chat_and_bad_html_are_permanent(sender: TelegramSender) -> None:
    with pytest.raises(PermanentSendError) as unknown:
        await sender.send_text(424242, "x")
    assert not unknown.value.blocked
    with pytest.raises(PermanentSendError):
        await sender.send_text(7001, "<unknown>")


async def test_an_unchanged_edit_is_not_an_error(
    emu: TelegramEmulator, sender: TelegramSender
) -> None:
    message_id = await sender.send_text(-1007001, "card", MARKUP)
    await sender.edit_text(-1007001, message_id, "card", MARKUP)
    await sender.edit_markup(-1007001, message_id, None)
    assert emu.chat(-1007001).sent[0].buttons() == []


async def test_the_retry_middleware_waits_out_flood_control(emu: TelegramEmulator) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    bot = make_bot(emu.token, emu.base_url)
    middleware = next(m for m in bot.session.middleware if hasattr(m, "retried"))
    middleware._sleep = sleep  # type: ignore[attr-defined]
    emu.inject("sendMessage", status=429, retry_after=3, times=2)
    try:
        await TelegramSender(bot).send_text(7001, "после паузы")
    finally:
        await bot.session.close()
    assert waits == [3.0, 3.0] and emu.count("sendMessage", 7001) == 1

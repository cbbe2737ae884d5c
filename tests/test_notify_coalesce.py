"""A burst that owes one group more alerts than Telegram lets a bot send to a group (about 20 a
minute) goes out as "N new cases" messages, nothing owed dropped: against the emulator with
Telegram's group limit on, the real aiogram client, and the outbox's fake clock for pacing."""

from __future__ import annotations

import re

import pytest
from notify_helpers import outbox, report

from models.tables import NotificationStatus
from notify.pacing import COALESCE_RESERVE, GROUP_PER_MINUTE

pytest_plugins = ["notify_fixtures"]

AKM_CHAT = -1001000000005
AKT_CHAT = -1001000000006  # a Kazakh-speaking commission
NUMBER = re.compile(r"SH-\d{4}-\d+")


async def _burst(sessions, intake_ctx, count: int, region: str = "AKM") -> list[str]:
    numbers = []
    for index in range(count):
        opened = await report(
            sessions, intake_ctx, f"Обращение номер {index} о приписках", sender=f"5552{index:03d}",
            region=region,
        )  # fmt: skip
        numbers.append(opened.case.number)
    return numbers


def _telegram_alerts_only(worker):
    worker.kinds = {"alert"}
    worker.channels = {"telegram": worker.channels["telegram"]}
    return worker


async def test_a_burst_to_one_group_goes_out_within_its_limit_and_nothing_is_dropped(
    sessions, intake_ctx, tg_worker, emulator
):
    emulator.limit_groups(GROUP_PER_MINUTE)
    group = emulator.group(AKM_CHAT)
    numbers = await _burst(sessions, intake_ctx, 45)
    await _telegram_alerts_only(tg_worker).drain()
    assert 429 not in emulator.served_errors
    texts = group.texts()
    singles = GROUP_PER_MINUTE - COALESCE_RESERVE
    assert len(texts) < GROUP_PER_MINUTE and len(texts) > singles
    mentioned = [n for text in texts for n in NUMBER.findall(text)]
    assert sorted(mentioned) == sorted(numbers)  # every case once, in a card or a list
    rows = await outbox(sessions, kind="alert", channel="telegram")
    assert {r.status for r in rows} == {NotificationStatus.sent}
    coalesced = [r for r in rows if r.result.get("coalesced")]
    assert len(coalesced) == 45 - singles
    assert {r.result["coalesced"] for r in coalesced} <= set(range(2, 31))


async def test_the_list_says_how_many_and_has_a_button_per_case(
    sessions, intake_ctx, tg_worker, emulator
):
    group = emulator.group(AKM_CHAT)
    numbers = await _burst(sessions, intake_ctx, GROUP_PER_MINUTE)
    await _telegram_alerts_only(tg_worker).drain()
    listed = group.sent[-1]
    batch = numbers[GROUP_PER_MINUTE - COALESCE_RESERVE :]
    assert listed.text.startswith(f"🔔 Новых обращений: {len(batch)}")
    assert [b["text"] for row in listed.reply_markup["inline_keyboard"] for b in row] == batch


async def test_a_kazakh_commission_gets_the_list_in_kazakh(
    sessions, intake_ctx, tg_worker, emulator
):
    group = emulator.group(AKT_CHAT)
    await _burst(sessions, intake_ctx, GROUP_PER_MINUTE, region="AKT")
    await _telegram_alerts_only(tg_worker).drain()
    assert group.sent[-1].text.startswith("🔔 Жаңа өтініштер: 5")


async def test_a_button_in_the_list_opens_that_cases_card(
    sessions, intake_ctx, tg_worker, emulator, running_bot
):
    group = emulator.group(AKM_CHAT)
    numbers = await _burst(sessions, intake_ctx, GROUP_PER_MINUTE)
    await _telegram_alerts_only(tg_worker).drain()
    member = emulator.user(200000051, "Member")
    wanted = numbers[-1]
    await member.press(wanted, chat=group)
    card = await group.wait_for(lambda m: m.text.startswith(f"🆕 {wanted}"))
    assert "Взять" in str(card.reply_markup)


async def test_the_emulator_refuses_the_21st_message_a_minute_to_a_group(emulator):
    from aiogram.exceptions import TelegramRetryAfter

    from bot.api import make_bot
    from bot.retry import RetryPolicy

    emulator.limit_groups(20)
    emulator.group(AKM_CHAT)
    bot = make_bot(emulator.token, emulator.base_url, retry=RetryPolicy(attempts=1))
    try:
        for index in range(20):
            await bot.send_message(AKM_CHAT, f"сообщение {index}")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(AKM_CHAT, "ещё одно")
        assert 50 <= refused.value.retry_after <= 60
    finally:
        await bot.session.close()

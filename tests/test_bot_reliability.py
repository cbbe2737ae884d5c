"""Nothing a citizen sent is lost: restarts, crashes, repeated updates, flood control, blocked
users, the ban list and the flood limit."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import bot_fixtures
import pytest
from aiogram.fsm.context import FSMContext
from bot_fixtures import BotHarness, send_report, tap, walk_to_summary
from sqlmodel import select

from bot.handlers import summary
from bot.middlewares.access import Throttle
from bot.submit import ACK_GRACE, submit
from intake.answers import record_commission_answer
from models.tables import BannedUser, Case, Notification, Reporter
from models.types import utcnow
from sandbox.telegram_driver import UserDriver

tg = bot_fixtures.tg
tg_db = bot_fixtures.tg_db
tg_store = bot_fixtures.tg_store

DESCRIPTION = "Председатель участковой комиссии голосовал за других по их паспортам."


async def test_it_resumes_a_report_after_a_restart(tg_db: BotHarness) -> None:
    user = tg_db.user(4001, "Айдос")
    await user.say("/report")
    await tap(user, "p:cat:voting_fraud")
    await tg_db.restart()  # a new Bot, Dispatcher and FSM storage on the same store
    assert "Шаг 3 из 5" in (await user.click("Павлодарская")).text
    await user.click("Пропустить")
    await user.say(DESCRIPTION)
    await user.click("Далее")
    await tg_db.restart()
    summary = await user.click("Не оставлять контакт")
    assert "Голосование" in summary.text or "Фальсификация" in summary.text
    await send_report(user)
    [case] = await tg_db.cases()
    assert (case.region, case.category) == ("PAV", "voting_fraud")


async def test_it_handles_a_repeated_update_once(tg: BotHarness) -> None:
    user = tg.user(4002, "Айдос")
    update_id = await user.send("/start")
    await tg.ended(update_id)
    await tg.emu.redeliver(update_id)
    row = await tg.ended(update_id, times=2)
    assert row is not None and (row.status, row.attempts) == ("done", 1)
    assert tg.emu.count("sendMessage", user.id) == 1


async def test_it_handles_again_after_a_restart_an_update_whose_handler_failed(
    tg: BotHarness,
) -> None:
    user = tg.user(4003, "Айдос")
    tg.emu.inject("sendMessage", status=400, times=2, description="Bad Request: injected")
    update_id = await user.send(DESCRIPTION + " Это было в Павлодаре.")
    row = await tg.ended(update_id)
    assert row is not None and row.status == "failed"
    await tg.restart()
    draft = await user.chat.wait_for("составлен черновик")
    assert draft.text.count("Шаг") == 1
    row = await tg.ended(update_id)
    assert row is not None and (row.status, row.attempts) == ("done", 2)


async def test_a_crash_in_the_middle_of_an_update_loses_nothing(tg: BotHarness) -> None:
    user = tg.user(4004, "Айдос")
    await walk_to_summary(user)
    tg.emu.hold("answerCallbackQuery")
    update_id = await user.press(data="n:send")
    await tg.emu.wait_until(lambda: tg.emu.held("answerCallbackQuery") == 1)
    await tg.crash()
    tg.emu.release("answerCallbackQuery")
    row = await tg.ledger(update_id)
    assert row is not None and row.status == "received"
    await tg.start()  # replays the unfinished update
    done = await user.chat.wait_for("Ваше обращение отправлено")
    assert "Код квитанции" in done.text
    assert len(await tg.cases()) == 1


async def test_it_rides_out_a_flood_control_storm(tg: BotHarness) -> None:
    users = [tg.user(4100 + n, f"Гражданин {n}") for n in range(5)]
    tg.emu.inject("sendMessage", status=429, retry_after=1, times=8)
    for user in users:
        user.chat.skip()
        await user.send(DESCRIPTION + " Павлодар.")
    replies = await asyncio.gather(*(u.chat.wait_for("составлен черновик") for u in users))
    assert len(replies) == 5
    assert tg.emu.served_errors[429] == 8
    assert all(tg.emu.count("sendMessage", u.id) == 1 for u in users)  # none sent twice


async def test_it_remembers_a_citizen_who_blocked_the_bot_and_does_not_retry(
    tg: BotHarness,
) -> None:
    user = tg.user(4005, "Айдос")
    await walk_to_summary(user)
    await send_report(user)
    [case] = await tg.cases()
    tg.emu.block(user.id)
    update_id = await user.send("/menu")
    row = await tg.ended(update_id)
    assert row is not None and row.status == "blocked"
    refused = [c for c in tg.emu.calls if c.params.get("chat_id") == user.id and c.status == 403]
    assert len(refused) == 1  # tried once, not retried
    async with tg.sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        reporter = await session.get(Reporter, stored.reporter_id)
        assert reporter is not None and reporter.blocked
        await record_commission_answer(session, stored, "Ответ", actor="tg:1", via="telegram")
        await session.commit()
        relays = (
            await session.exec(select(Notification).where(Notification.kind == "relay"))
        ).all()
    assert relays == []  # nothing owed to a chat that cannot receive it


async def test_it_follows_blocking_and_unblocking_the_bot(tg: BotHarness) -> None:
    user = tg.user(4006, "Айдос")
    await user.say("/start")
    await tg.ended(await user.block_bot())
    assert (await tg.dp["profiles"].get(user.id)).blocked  # type: ignore[index]
    await tg.ended(await user.unblock_bot())
    assert not (await tg.dp["profiles"].get(user.id)).blocked  # type: ignore[index]


async def test_it_asks_a_flooding_user_politely_to_wait(tg: BotHarness) -> None:
    await tg.stop()
    tg.throttle = Throttle(rate=0.001, burst=3)
    await tg.start()
    user = tg.user(4007, "Айдос")
    ids = [await user.send("привет") for _ in range(5)]
    for update_id in ids:
        await tg.ended(update_id)
    notices = [m for m in user.chat.sent if "подождите, пожалуйста, минуту" in m.text]
    assert len(notices) == 1
    statuses = [(await tg.ledger(i)).status for i in ids]  # type: ignore[union-attr]
    assert statuses.count("throttled") == 2 and statuses.count("done") == 3


async def test_it_ignores_banned_users(tg: BotHarness) -> None:
    async with tg.sessions() as session:
        session.add(BannedUser(telegram_user_id=4008, reason="spam"))
        await session.commit()
    await tg.restart()
    user = tg.user(4008, "Спамер")
    row = await tg.ended(await user.send("/start"))
    assert row is not None and row.status == "ignored"
    assert user.chat.sent == []


async def test_it_escapes_html_in_names_and_texts(tg: BotHarness) -> None:
    user = tg.user(4009, "<b>Бос</b> & Ко")
    hello = await user.say("/start")
    assert "Здравствуйте, <b>Бос</b> & Ко!" in hello.text
    await user.click("Русский")
    text = "Глава <script>alert(1)</script> & «Ко» записал 300 человек на один номер в Шымкенте"
    place = await user.say(text)
    assert "Шаг 3 из 5" in place.text
    await user.click("Пропустить")
    summary = await user.click("Не оставлять контакт")
    assert "<script>alert(1)</script> & «Ко»" in summary.text
    assert tg.emu.served_errors.get(400, 0) == 0
    assert all(c.status == 200 for c in tg.emu.calls)  # every text parsed as Telegram HTML


CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def _ack_row(tg: BotHarness) -> Notification:
    [case] = await tg.cases()
    async with tg.sessions() as session:
        found = select(Notification).where(
            Notification.case_id == case.id, Notification.kind == "ack"
        )
        return (await session.exec(found)).one()


async def _receipt_after_replay(tg: BotHarness, user: UserDriver) -> str:
    """Restart (the unfinished Send is handled again); the one receipt code the chat got,
    which opens the case with /status; the ack row no longer holds it."""
    await tg.restart()
    done = await user.chat.wait_for("Код квитанции")
    codes = [m for m in user.chat.sent if CODE.search(m.text)]
    assert codes == [done]
    code = CODE.search(done.text).group()  # type: ignore[union-attr]
    [case] = await tg.cases()
    assert case.number in (await user.say(f"/status {code}")).text
    ack = await _ack_row(tg)
    assert (ack.status, ack.payload, ack.result) == ("sent", {}, {"delivered_by": "bot"})
    return code


async def test_a_kill_right_after_the_case_is_stored_still_delivers_the_receipt(
    tg_db: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = tg_db
    user = tg.user(4010, "Айдос")
    await walk_to_summary(user)

    async def stored_then_killed(*args: Any, **kwargs: Any) -> None:
        await submit(*args, **kwargs)
        raise RuntimeError("killed after the commit")

    monkeypatch.setattr(summary, "submit", stored_then_killed)
    row = await tg.ended(await user.press(data="n:send"))
    assert row is not None and row.status == "failed"
    held = await _ack_row(tg)  # the outbox leaves the receipt to the bot for a while
    assert held.status == "pending" and held.payload["receipt_code"]
    assert held.next_attempt_at - utcnow() > ACK_GRACE - dt.timedelta(minutes=1)
    monkeypatch.undo()
    await _receipt_after_replay(tg, user)
    assert len(await tg.cases()) == 1


async def test_a_kill_before_the_confirmation_is_shown_still_delivers_it(
    tg: BotHarness,
) -> None:
    user = tg.user(4011, "Айдос")
    await walk_to_summary(user)
    tg.emu.hold("editMessageText")  # the summary being turned into the confirmation
    await user.press(data="n:send")
    await tg.emu.wait_until(lambda: tg.emu.held("editMessageText") == 1)
    await tg.crash()
    tg.emu.release("editMessageText")
    assert [m for m in user.chat.sent if CODE.search(m.text)] == []
    await _receipt_after_replay(tg, user)
    assert len(await tg.cases()) == 1


async def test_a_kill_between_the_dialogue_writes_still_delivers_the_receipt(
    tg: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owed confirmation is written, the summary state is not yet left: a replay must
    not answer "already sent" without the code."""
    user = tg.user(4012, "Айдос")
    await walk_to_summary(user)
    leave_state = FSMContext.set_state

    async def killed_when_leaving(self: FSMContext, state: Any = None) -> None:
        if state is None:
            raise RuntimeError("killed between the two writes")
        await leave_state(self, state)

    monkeypatch.setattr(FSMContext, "set_state", killed_when_leaving)
    row = await tg.ended(await user.press(data="n:send"))
    assert row is not None and row.status == "failed"
    monkeypatch.undo()
    await _receipt_after_replay(tg, user)


async def test_the_ledger_forgets_what_a_handled_update_said(tg: BotHarness) -> None:
    user = tg.user(4013, "Айдос")
    tg.emu.inject("sendMessage", status=400, times=2, description="Bad Request: injected")
    failed_id = await user.send("Мой номер +7 701 234 5678, " + DESCRIPTION)
    failed = await tg.ended(failed_id)
    assert failed is not None and failed.status == "failed"
    assert "+7 701 234 5678" in str(failed.payload)  # kept: it is handled again on restart
    done = await tg.ended(await user.send("/start"))
    assert done is not None and (done.status, done.payload) == ("done", {})
    await tg.restart()
    replayed = await tg.ended(failed_id)
    assert replayed is not None and (replayed.status, replayed.payload) == ("done", {})


async def test_a_receipt_that_failed_to_show_comes_before_the_next_reports(
    tg: BotHarness,
) -> None:
    """The confirmation cannot be sent (the update fails); the citizen starts another report
    without a restart: its Send shows the earlier receipt, then sends the new report."""
    user = tg.user(4014, "Айдос")
    await walk_to_summary(user)
    for method in ("editMessageText", "sendMessage"):  # neither way through
        tg.emu.inject(method, status=400, times=1, description="Bad Request: injected")
    row = await tg.ended(await user.press(data="n:send"))
    assert row is not None and row.status == "failed"
    assert [m for m in user.chat.sent if CODE.search(m.text)] == []
    await walk_to_summary(user, region="PAV", place=None, text=DESCRIPTION)
    await tg.ended(await user.press(data="n:send"))
    receipts = [m for m in user.chat.sent if CODE.search(m.text)]
    first, second = await tg.cases()
    assert [first.number in receipts[0].text, second.number in receipts[1].text] == [True, True]
    assert len(receipts) == 2 and second.region == "PAV"

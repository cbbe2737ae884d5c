"""Two bot replicas on one store (each with its own engine, as two processes would have): an
update delivered to both at the same moment is handled by one of them, the other does nothing;
an update whose holder died is taken over once its lease has passed, by one replica only."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy import text

from bot.api import make_bot
from bot.dispatcher import create_dispatcher
from bot.ledger import UpdateLedger
from bot.service import keep_replaying
from core.settings import load_settings
from models.db import SessionFactory, create_engine, create_session_factory
from models.tables import TelegramUpdate
from models.types import utcnow
from sandbox.telegram import TelegramEmulator

USERS = 20


@contextlib.asynccontextmanager
async def replica(
    emu: TelegramEmulator, url: str, tmp_path: Path
) -> AsyncIterator[tuple[Dispatcher, Bot]]:
    engine = create_engine(url)
    settings = load_settings(
        DATABASE_URL=url,
        ATTACHMENTS_DIR=tmp_path / "attachments",
        BOT_TOKEN=emu.token,
        TELEGRAM_API_BASE=emu.base_url,
    )
    dp = create_dispatcher(settings=settings, sessions=create_session_factory(engine))
    bot = make_bot(emu.token, emu.base_url)
    try:
        yield dp, bot
    finally:
        await dp["writer"].close()
        await bot.session.close()
        await engine.dispose()


def as_update(emu: TelegramEmulator, update_id: int, bot: Bot) -> Update:
    """What Telegram would POST for this update (each replica parses its own copy)."""
    return Update.model_validate(emu._delivered[update_id], context={"bot": bot})


@pytest.fixture
async def two(database_url: str, sessions: SessionFactory, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with (
        TelegramEmulator() as emu,
        replica(emu, database_url, tmp_path) as first,
        replica(emu, database_url, tmp_path) as second,
    ):
        yield emu, first, second


async def test_it_handles_an_update_delivered_to_two_replicas_once(two, sessions) -> None:  # type: ignore[no-untyped-def]
    emu, (dp1, bot1), (dp2, bot2) = two
    users = [emu.user(7000 + i, "Айгерим", language_code="ru") for i in range(USERS)]
    ids = [await user.send("/start") for user in users]
    await asyncio.gather(
        *(dp1.feed_update(bot1, as_update(emu, i, bot1)) for i in ids),
        *(dp2.feed_update(bot2, as_update(emu, i, bot2)) for i in ids),
    )
    # Handled by one replica each (the feature routers are module-level, so in one process
    # only the last dispatcher built answers: the ledgers tell who handled what).
    first, second = set(dp1["ledger"]._finished), set(dp2["ledger"]._finished)
    assert first | second == set(ids) and not first & second
    assert all(emu.count("sendMessage", user.id) <= 1 for user in users)
    handled = [dp1["ledger"].times_ended(i) + dp2["ledger"].times_ended(i) for i in ids]
    assert handled == [2] * USERS  # each replica saw each update once: one handled it
    async with sessions() as session:
        rows = [await session.get(TelegramUpdate, i) for i in ids]
    assert all(row is not None and (row.status, row.attempts) == ("done", 1) for row in rows)


async def test_it_takes_over_an_update_only_when_its_holder_is_gone(two, sessions) -> None:  # type: ignore[no-untyped-def]
    emu, (dp1, bot1), (dp2, bot2) = two
    user = emu.user(7100, "Айгерим", language_code="ru")
    update_id = await user.send("/start")
    first: UpdateLedger = dp1["ledger"]
    await first.record([as_update(emu, update_id, bot1)])  # recorded, then the process died
    await dp2.feed_update(bot2, as_update(emu, update_id, bot2))  # a repeat, within the lease
    assert update_id not in dp2["ledger"]._finished
    assert await dp2["ledger"].unfinished(older_than=60.0) == []
    async with sessions() as session:  # the lease runs out
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE telegram_update SET claimed_at = :at WHERE update_id = :id"),
            params={"at": utcnow() - dt.timedelta(minutes=5), "id": update_id},
        )
        await session.commit()
    third = UpdateLedger(dp2["sessions"], dp2["writer"])  # a third replica sweeping too
    taken = await asyncio.gather(
        dp2["ledger"].unfinished(older_than=60.0), third.unfinished(older_than=60.0)
    )
    assert sorted(len(payloads) for payloads in taken) == [0, 1]


async def test_a_replica_sweeps_up_what_a_dead_one_left(two, sessions) -> None:  # type: ignore[no-untyped-def]
    emu, (dp1, bot1), (dp2, bot2) = two
    user = emu.user(7200, "Айгерим", language_code="ru")
    update_id = await user.send("/start")
    await dp1["ledger"].record([as_update(emu, update_id, bot1)])  # and then it died
    dp2["ledger"].lease = 0.3  # production's is a minute
    stop = asyncio.Event()
    sweeping = asyncio.create_task(keep_replaying(dp2, bot2, stop))
    try:
        await dp2["ledger"].wait_ended(update_id)
    finally:
        stop.set()
        await sweeping
    assert update_id in dp2["ledger"]._finished


async def test_a_live_holder_keeps_its_updates_however_long_they_take(two, sessions) -> None:  # type: ignore[no-untyped-def]
    emu, (dp1, bot1), (dp2, _) = two
    user = emu.user(7300, "Айгерим", language_code="ru")
    update_id = await user.send("/start")
    holder: UpdateLedger = dp1["ledger"]
    assert await holder.admit(as_update(emu, update_id, bot1))  # in hand, a handler is slow
    async with sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE telegram_update SET claimed_at = :at WHERE update_id = :id"),
            params={"at": utcnow() - dt.timedelta(minutes=5), "id": update_id},
        )
        await session.commit()
    await holder.renew()
    assert await dp2["ledger"].unfinished(older_than=60.0) == []


async def test_a_restarted_replica_takes_back_at_once_what_it_held(two) -> None:  # type: ignore[no-untyped-def]
    emu, (dp1, bot1), (dp2, _) = two
    user = emu.user(7400, "Айгерим", language_code="ru")
    update_id = await user.send("/start")
    died = UpdateLedger(dp1["sessions"], dp1["writer"], replica="bot-a")
    await died.record([as_update(emu, update_id, bot1)])  # recorded, then the process died
    restarted = UpdateLedger(dp1["sessions"], dp1["writer"], replica="bot-a")
    assert await dp2["ledger"].unfinished(older_than=60.0) == []  # another's: within the lease
    assert [p["update_id"] for p in await restarted.unfinished(older_than=60.0)] == [update_id]

"""With REDIS_URL the dialogues' state lives in Redis (the real server on loopback), and a
restart mid-report still loses nothing."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import bot_fixtures
import pytest
from aiogram.fsm.storage.base import StorageKey
from bot_fixtures import BotHarness, running_bot, send_report, tap
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel import select

from models.db import SessionFactory
from models.tables import FsmRecord

tg_store = bot_fixtures.tg_store
REDIS = os.environ.get("SHAGYM_TEST_REDIS", "redis://127.0.0.1:6379/14")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(
        REDIS,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        retry_on_error=[RedisConnectionError],
    )
    try:
        await client.ping()
    except RedisConnectionError as exc:
        await client.aclose()
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def tg_redis(
    tg_store: tuple[str, SessionFactory], tmp_path: Path, redis: Redis
) -> AsyncIterator[BotHarness]:
    url, sessions = tg_store
    async with running_bot(url, sessions, tmp_path, REDIS_URL=REDIS) as harness:
        yield harness


async def _states_in_redis(redis: Redis, user_id: int) -> dict[str, str]:
    found = {}
    async for key in redis.scan_iter(match=f"fsm:*{user_id}*:state"):
        value = await redis.get(key)
        if value is not None:
            found[key.decode()] = value.decode()
    return found


async def test_it_keeps_the_dialogue_in_redis_across_a_restart(
    tg_redis: BotHarness, redis: Redis
) -> None:
    tg = tg_redis
    user = tg.user(7000 + uuid.uuid4().int % 1_000_000, "Айдос")
    await user.say("/report")
    await tap(user, "p:cat:voting_fraud")
    assert list((await _states_in_redis(redis, user.id)).values()) == ["Report:region"]
    await tg.restart()  # a new Bot, Dispatcher and RedisStorage
    assert "Шаг 3 из 5" in (await user.click("Павлодарская")).text
    await user.click("Пропустить")
    await user.say("Председатель участковой комиссии голосовал за других по их паспортам.")
    await user.click("Далее")
    await tg.restart()
    await user.click("Не оставлять контакт")
    done = await send_report(user)
    assert "Код квитанции" in done.text
    [case] = await tg.cases()
    assert (case.region, case.category) == ("PAV", "voting_fraud")
    async with tg.sessions() as session:  # nothing of the dialogue went to the SQL store
        assert (await session.exec(select(FsmRecord))).all() == []
    assert await _states_in_redis(redis, user.id) == {}


async def test_a_burst_waits_for_a_redis_connection_instead_of_failing(redis: Redis) -> None:
    # Twice as many chats at once as the pool has connections, each holding its chat's lock
    # while it reads and writes its state: they queue for a connection, none fails.
    from bot.service import REDIS_MAX_CONNECTIONS, fsm_storage
    from core.settings import Settings

    found = fsm_storage(Settings(_env_file=None, REDIS_URL=REDIS))  # type: ignore[call-arg]
    storage, isolation = found["storage"], found["events_isolation"]
    run = uuid.uuid4().int % 1_000_000

    async def chat(index: int) -> str | None:
        key = StorageKey(bot_id=1, chat_id=run * 1000 + index, user_id=run * 1000 + index)
        async with isolation.lock(key):
            await storage.set_state(key, f"Report:step{index}")
            return await storage.get_state(key)

    chats = range(2 * REDIS_MAX_CONNECTIONS + 10)
    try:
        states = await asyncio.gather(*(chat(i) for i in chats))
    finally:
        await storage.close()
    assert states == [f"Report:step{i}" for i in chats]

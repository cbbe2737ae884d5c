"""The flood limit with Redis: two replicas (two clients) share one bucket per user, and a
flooding user gets one notice a minute however many replicas see them."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.dispatcher import _limit
from bot.middlewares.access import Throttle
from bot.middlewares.shared_throttle import PREFIX, RedisThrottle

REDIS = os.environ.get("SHAGYM_TEST_REDIS", "redis://127.0.0.1:6379/14")


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Redis, Redis]]:
    first, second = Redis.from_url(REDIS), Redis.from_url(REDIS)
    try:
        await first.ping()
    except RedisConnectionError as exc:
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    yield first, second
    await first.aclose()
    await second.aclose()


@pytest.fixture
def user_id() -> int:
    return random.SystemRandom().randrange(10**9, 10**10)


async def test_it_shares_one_bucket_between_replicas(clients, user_id) -> None:  # type: ignore[no-untyped-def]
    replicas = [RedisThrottle(client, rate=0.001, burst=3) for client in clients]
    verdicts = [await replicas[n % 2].allow(user_id) for n in range(5)]
    assert verdicts == [True, True, True, False, False]
    assert await replicas[0].allow(user_id + 1)  # someone else is not held back


async def test_it_warns_once_across_replicas(clients, user_id) -> None:  # type: ignore[no-untyped-def]
    first, second = (RedisThrottle(client) for client in clients)
    assert [await first.should_warn(user_id), await second.should_warn(user_id)] == [True, False]


async def test_it_forgets_a_bucket_once_it_would_be_full(clients, user_id) -> None:  # type: ignore[no-untyped-def]
    await RedisThrottle(clients[0], rate=2.0, burst=20).allow(user_id)
    assert 0 < await clients[0].ttl(f"{PREFIX}{user_id}") <= 70


async def test_the_dispatcher_keeps_the_limit_where_the_dialogues_are(clients) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(_limit(RedisStorage(clients[0])), RedisThrottle)
    assert isinstance(_limit(object()), Throttle)  # type: ignore[arg-type]

"""The console's cache of counts: fresh, expired but served while recomputed, too old."""

from __future__ import annotations

import asyncio
import time

from web.cache import TtlCache


class Store:
    """Stands for the scan: each computation returns the next number and can be held."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.release.set()

    async def count(self) -> int:
        await self.release.wait()
        self.runs += 1
        return self.runs


async def test_it_serves_a_fresh_value_without_computing_it_again():
    cache, store = TtlCache(seconds=60), Store()
    first, at = await cache.get("k", store.count)
    again, again_at = await cache.get("k", store.count)
    assert (first, again, store.runs) == (1, 1, 1) and again_at == at


async def test_it_serves_an_expired_value_at_once_while_recomputing_it_in_the_background():
    cache, store = TtlCache(seconds=0.05, stale=60), Store()
    _, first_at = await cache.get("k", store.count, refresh=store.count)
    await asyncio.sleep(0.06)
    store.release.clear()  # the recomputation takes a while
    value, at = await cache.get("k", store.count, refresh=store.count)
    assert (value, at) == (1, first_at)  # the old value, said as of when it was computed
    store.release.set()
    await asyncio.sleep(0.01)
    value, at = await cache.get("k", store.count, refresh=store.count)
    assert value == 2 and at > first_at and store.runs == 2


async def test_it_recomputes_once_however_many_pages_find_it_expired():
    cache, store = TtlCache(seconds=0.05, stale=60), Store()
    await cache.get("k", store.count, refresh=store.count)
    await asyncio.sleep(0.06)
    store.release.clear()
    found = [await cache.get("k", store.count, refresh=store.count) for _ in range(20)]
    store.release.set()
    await asyncio.sleep(0.01)
    assert {value for value, _ in found} == {1} and store.runs == 2


async def test_it_waits_for_a_fresh_value_for_whoever_acted_since():
    cache, store = TtlCache(seconds=0.05, stale=60), Store()
    await cache.get("k", store.count, refresh=store.count)
    await asyncio.sleep(0.06)
    value, at = await cache.get("k", store.count, fresh_after=time.time(), refresh=store.count)
    assert value == 2 and store.runs == 2


async def test_it_computes_in_the_page_a_value_expired_longer_than_it_may_be_served():
    cache, store = TtlCache(seconds=0.02, stale=0.02), Store()
    await cache.get("k", store.count, refresh=store.count)
    await asyncio.sleep(0.05)
    value, _ = await cache.get("k", store.count, refresh=store.count)
    assert value == 2 and store.runs == 2


async def test_it_keeps_serving_the_old_value_when_the_recomputation_fails():
    cache, store = TtlCache(seconds=0.05, stale=60), Store()
    await cache.get("k", store.count, refresh=store.count)
    await asyncio.sleep(0.06)

    async def broken() -> int:
        raise RuntimeError("the store is gone")

    assert (await cache.get("k", store.count, refresh=broken))[0] == 1
    await asyncio.sleep(0.01)
    assert (await cache.get("k", store.count, refresh=store.count))[0] == 1
    await asyncio.sleep(0.01)
    assert (await cache.get("k", store.count, refresh=store.count))[0] == 2

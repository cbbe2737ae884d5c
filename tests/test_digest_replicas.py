"""Two digest schedulers in two processes (two engines) racing on one store, from scratch:
each commission's digest for the day is owed once, whoever owes it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from notify_helpers import outbox
from sqlmodel import select

from models.db import create_engine, create_session_factory
from models.tables import Commission, DigestRun
from notify.clock import FakeClock
from notify.digest.schedule import DigestScheduler

ALMATY = ZoneInfo("Asia/Almaty")
AT_NINE_UTC = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty


async def test_it_owes_each_digest_once_when_two_schedulers_race(database_url, sessions) -> None:  # type: ignore[no-untyped-def]
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        schedulers = [
            DigestScheduler(
                create_session_factory(engine), ALMATY, dt.time(9), "shagym.test",
                FakeClock(AT_NINE_UTC + dt.timedelta(seconds=n)),
            )
            for n, engine in enumerate(engines)
        ]  # fmt: skip
        owed = await asyncio.gather(
            *(s.tick() for s in schedulers), *(s.tick() for s in schedulers)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    async with sessions() as session:
        commissions = (await session.exec(select(Commission))).all()
        runs = (await session.exec(select(DigestRun))).all()
    expected = {c.code for c in commissions if c.emails or c.telegram_chat_id is not None}
    by_code = Counter(code for codes in owed for code in codes)
    assert set(by_code) == expected and set(by_code.values()) == {1}
    assert Counter(r.commission_code for r in runs) == dict.fromkeys(expected, 1)
    digests = await outbox(sessions, kind="digest")
    assert (
        Counter((d.commission_code, d.channel, d.recipient) for d in digests).most_common(1)[0][1]
        == 1
    )

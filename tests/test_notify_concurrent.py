"""The outbox delivering over several SMTP connections at once, with the next batch claimed
while the last is sent: still each message once, also when two workers race or one is killed
mid-run. The mail server is the real aiosmtpd sink; the killed worker is a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from notify_helpers import outbox, report
from outbox_child import pooled_worker

from models.tables import NotificationStatus
from notify.service import deliver_until
from sandbox.smtp import Received, SmtpSink

pytest_plugins = ["notify_fixtures"]

ROOT = Path(__file__).resolve().parent.parent


class GatheringSink(SmtpSink):
    """Answers DATA only once `together` messages are waiting for their answer at the same
    time (or a second has passed): a sender that sends one at a time gets slow answers."""

    def __init__(self, together: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.together = together
        self.waiting = 0
        self.most = 0
        self._gathered = asyncio.Event()

    async def keep(self, received: Received) -> None:
        await super().keep(received)
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        if self.waiting >= self.together:
            self._gathered.set()
        try:
            async with asyncio.timeout(1.0):
                await self._gathered.wait()
        except TimeoutError:
            pass
        finally:
            self.waiting -= 1
            if not self.waiting:
                self._gathered.clear()


class SlowSink(SmtpSink):
    """Takes a while over each message, so that a kill lands while messages are on their way."""

    async def keep(self, received: Received) -> None:
        await super().keep(received)
        await asyncio.sleep(0.05)


async def _alerts(sessions, intake_ctx, count: int) -> None:
    for index in range(count):
        await report(sessions, intake_ctx, f"Обращение номер {index}", sender=f"5550{index:03d}")


async def _until_settled(sessions, count: int) -> None:
    async with asyncio.timeout(60):
        while True:
            rows = await outbox(sessions, kind="alert", channel="email")
            if sum(r.status == NotificationStatus.sent for r in rows) >= count:
                return
            await asyncio.sleep(0.1)


async def _run_workers(workers, sessions, count: int) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(deliver_until(w, stop)) for w in workers]
    try:
        await _until_settled(sessions, count)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_it_sends_over_every_connection_of_the_pool_at_once(
    sessions, intake_ctx, mail_config
):
    async with GatheringSink(together=4) as sink:
        await _alerts(sessions, intake_ctx, 8)
        worker = pooled_worker(sessions, sink.host, sink.port, mail_config.attachments_dir)
        await _run_workers([worker], sessions, 8)
    assert sink.most == 4
    rows = await outbox(sessions, kind="alert", channel="email")
    assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.sent, 1)] * 8


async def test_it_sends_each_row_once_when_two_pooled_workers_race(
    sessions, intake_ctx, mail_config, sink
):
    await _alerts(sessions, intake_ctx, 40)
    workers = [
        pooled_worker(sessions, sink.host, sink.port, mail_config.attachments_dir)
        for _ in range(2)
    ]
    await _run_workers(workers, sessions, 40)
    await asyncio.sleep(0.2)
    ids = Counter(r.message["Message-ID"] for r in sink.messages)
    assert len(ids) == 40 and set(ids.values()) == {1}
    rows = await outbox(sessions, kind="alert", channel="email")
    assert {r.message_id for r in rows} == set(ids)


async def test_a_killed_pooled_worker_resends_only_what_was_on_its_way(
    sqlite_url, intake_ctx, mail_config
):
    from conftest import EXAMPLE_COMMISSIONS

    from intake.commissions import read_file, sync_commissions
    from models.db import create_engine, create_session_factory
    from models.migrate import upgrade

    engine = create_engine(sqlite_url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await sync_commissions(session, read_file(EXAMPLE_COMMISSIONS))
        await session.commit()
    async with SlowSink() as sink:
        await _alerts(sessions, intake_ctx, 40)
        child = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "tests" / "outbox_child.py"), sqlite_url, sink.host,
            str(sink.port), str(mail_config.attachments_dir),
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        )  # fmt: skip
        try:
            await sink.wait_for(12)
        finally:
            child.send_signal(signal.SIGKILL)
            await child.wait()
        killed_at = len(sink.messages)
        restarted = pooled_worker(sessions, sink.host, sink.port, mail_config.attachments_dir)
        await _run_workers([restarted], sessions, 40)
    await engine.dispose()
    ids = Counter(r.message["Message-ID"] for r in sink.messages)
    rows = await outbox(sessions, kind="alert", channel="email")
    assert killed_at < 40 and {r.message_id for r in rows} == set(ids)
    twice = {mid for mid, n in ids.items() if n > 1}
    assert set(ids.values()) <= {1, 2} and len(twice) <= 4  # one per connection at most
    assert all(r.attempts == 2 for r in rows if r.message_id in twice)

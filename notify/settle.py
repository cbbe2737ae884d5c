"""Settling sent rows in groups: the rows whose deliveries finish within a few milliseconds of
each other are marked `sent` in one transaction (one executemany), not one transaction each.

Each caller waits until its group is committed, so a lane never takes its next row before the
last one is settled: what a crash can leave sent-but-unsettled is still at most one row per
lane (plus the few milliseconds of a group), each resent with the same Message-ID once its
lease ends. The update is conditional on the lease as in `claims._settle`.

A group is flushed at once when every delivery under way is waiting in it (no other row can
join it before one of them is settled, so the timer would only keep the lanes idle), after
GROUP_SECONDS otherwise, or when it is GROUP_ROWS long.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import bindparam, update

from models.db import SessionFactory
from models.tables import Notification, NotificationStatus

log = logging.getLogger(__name__)

GROUP_SECONDS = 0.005
GROUP_ROWS = 64

_table = Notification.__table__  # type: ignore[attr-defined]
_MARK_SENT = (
    update(_table)
    .where(
        _table.c.id == bindparam("row_id"),
        _table.c.status == NotificationStatus.sending.value,
        _table.c.lease_until == bindparam("held_until"),
    )
    .values(
        status=NotificationStatus.sent.value,
        sent_at=bindparam("sent_at"),
        lease_until=None,
        last_error=None,
        result=bindparam("result"),
        payload=bindparam("payload"),
    )
)


class Settler:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._group: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # flushes under way (kept referenced)
        self.active = 0  # rows whose delivery started and that are not settled yet

    def started(self, count: int) -> None:
        """`count` rows are being delivered; each will be settled one way or another."""
        self.active += count

    def ended(self, count: int) -> None:
        """`count` rows were settled (or failed to be): they will not join a group."""
        self.active -= count
        if self._group and len(self._group) >= self.active:
            self._flush_now()

    async def mark_sent(self, row: Notification, **values: Any) -> None:
        """Mark `row` sent (values: sent_at, result, payload) with the next group."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        params = {"row_id": row.id, "held_until": row.lease_until, **values}
        self._group.append((params, future))
        if len(self._group) >= min(GROUP_ROWS, self.active):
            self._flush_now()
        elif self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_soon())
        await future

    async def _flush_soon(self) -> None:
        await asyncio.sleep(GROUP_SECONDS)
        self._flushing = None
        await self._flush()

    def _flush_now(self) -> None:
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        task = asyncio.create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        group, self._group = self._group, []
        if not group:
            return
        try:
            async with self.sessions() as session:
                connection = await session.connection()
                outcome = await connection.execute(_MARK_SENT, [params for params, _ in group])
                await session.commit()
        except Exception as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        if 0 <= outcome.rowcount < len(group):
            log.warning(
                "%d of %d sent rows had lost their lease before they were marked sent",
                len(group) - outcome.rowcount, len(group),
            )  # fmt: skip
        for _, future in group:
            if not future.done():
                future.set_result(None)

"""The update ledger: every update is in the store before it is handled, and marked after.

Polling writes each batch getUpdates returns before the dispatcher sees it (`LedgerPrefetch`,
a request middleware): Telegram forgets an update only when the next getUpdates confirms it,
so an update is never confirmed before it is safe. The outer middleware (`LedgerMiddleware`)
admits an update once — a repeated `update_id` is a no-op — and records how handling ended.
On start, `unfinished()` gives what a crash or a failing handler left, to be handled again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from sqlmodel import col, select

from bot.batch import BatchWriter
from bot.fastsql import Statement
from bot.gate import Sessions
from models.tables import TelegramUpdate
from models.types import EncryptedJSON, UTCDateTime, utcnow

log = logging.getLogger(__name__)

# Prepared once (building it per update cost more than running it).
_FINISH = Statement(
    "UPDATE telegram_update SET status = :status, error = :error, attempts = attempts + 1, "
    "done_at = :done_at WHERE update_id = :update_id",
    {"done_at": UTCDateTime()},
)
# A finished update is kept only as its id (a repeated delivery stays a no-op): what the
# citizen wrote now lives in the case or the dialogue, and the raw update (names, text,
# phone numbers) is not kept a day longer than needed. Failed updates keep theirs for replay.
_FINISH_AND_FORGET = Statement(
    "UPDATE telegram_update SET status = :status, error = :error, attempts = attempts + 1, "
    "done_at = :done_at, payload = :payload WHERE update_id = :update_id",
    {"done_at": UTCDateTime(), "payload": EncryptedJSON()},
)

_RECORD = Statement(
    "INSERT INTO telegram_update "
    "(update_id, payload, status, attempts, received_at, claimed_by, claimed_at) "
    "VALUES (:update_id, :payload, 'received', 0, :received_at, :me, :received_at) "
    "ON CONFLICT (update_id) DO NOTHING",
    {"payload": EncryptedJSON(), "received_at": UTCDateTime()},
)
# Another process's update is taken over only when it is free: a handler failed (the attempt
# is over), or its holder has not finished it within the lease (it died). The row lock makes
# one of two replicas racing for it the winner; the other's WHERE no longer matches.
_TAKE_OVER = Statement(
    "UPDATE telegram_update SET claimed_by = :me, claimed_at = :now, status = 'received' "
    "WHERE update_id = :update_id AND attempts < :max_attempts AND (status = 'failed' OR "
    "(status = 'received' AND (claimed_at IS NULL OR claimed_at <= :stale "
    "OR claimed_by = :me)))",
    {"now": UTCDateTime(), "stale": UTCDateTime()},
)
# A live holder keeps its claims fresh, however long its handlers take (a chat's lock, say).
_RENEW = Statement(
    "UPDATE telegram_update SET claimed_at = :now "
    "WHERE update_id = :update_id AND claimed_by = :me AND status = 'received'",
    {"now": UTCDateTime()},
)
_STATUSES = Statement(
    "SELECT update_id, status, attempts, claimed_by FROM telegram_update "
    "WHERE update_id >= :low AND update_id <= :high"
)

MAX_ATTEMPTS = 3
LEASE_SECONDS = 60.0  # an update unfinished this long after its claim: its holder is gone
FINAL = frozenset({"done", "blocked", "ignored", "throttled", "dead"})
RETRYABLE = ("received", "failed")


@dataclass(slots=True)
class Ticket:
    """Passed to inner middlewares and handlers as `ledger_ticket`: how handling ended."""

    update_id: int
    status: str = "done"


class UpdateLedger:
    """Reads and writes `telegram_update`; shared by the two middlewares and the replay."""

    def __init__(
        self,
        sessions: Sessions,
        writer: BatchWriter,
        *,
        lease: float = LEASE_SECONDS,
        replica: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self._verdicts: dict[int, bool] = {}  # recorded by prefetch: handle it or not
        self._in_flight: set[int] = set()
        self._finished: OrderedDict[int, None] = OrderedDict()
        self._idle = asyncio.Event()
        self._idle.set()
        self._seen: dict[int, int] = {}  # how often each update ended (handled or skipped)
        self._changed = asyncio.Condition()
        # This process in the rows it claims; a stable id (BOT_REPLICA_ID) lets a restarted
        # replica take back at once what it held when it died.
        self.replica = replica or secrets.token_hex(8)
        self.lease = lease

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def wait_idle(self) -> None:
        """Until no admitted update is still being handled."""
        await self._idle.wait()

    async def record(self, updates: Sequence[Update]) -> None:
        """Write updates that are not in the ledger yet; remember which ones to handle.

        This process handles what it wrote, and what it took over: a row whose handler failed,
        or whose holder (an earlier run, another replica) left it unfinished past the lease.
        What another live replica holds, or what is finished, is left alone.
        """
        fresh = [u for u in updates if u.update_id not in self._verdicts]
        if not fresh:
            return
        now = utcnow()
        rows = [
            {
                "update_id": u.update_id,
                "payload": u.model_dump(mode="json", exclude_none=True, by_alias=True),
                "received_at": now,
                "me": self.replica,
            }
            for u in fresh
        ]
        await self._claim([u.update_id for u in fresh], rows, self.lease)

    async def _claim(self, ids: list[int], rows: list[dict[str, Any]], lease: float) -> set[int]:
        """Insert `rows`, take over the free ones of `ids`, and set the verdicts: the ids this
        process now holds."""
        take = {
            "me": self.replica,
            "now": utcnow(),
            "stale": utcnow() - dt.timedelta(seconds=lease),
            "max_attempts": MAX_ATTEMPTS,
        }
        # Queued together, they usually share one transaction; in order either way.
        _, _, found = await asyncio.gather(
            self.writer.execute(_RECORD, rows),
            self.writer.execute(_TAKE_OVER, [{"update_id": i, **take} for i in ids]),
            self.writer.fetch(_STATUSES, {"low": min(ids), "high": max(ids)}),
        )
        wanted, mine = set(ids), set()
        for update_id, status, attempts, holder in found:
            if update_id in wanted:
                # One this process has in hand is not claimed again (a sweep racing the
                # start-up replay): it may finish before the sweep would feed it.
                ours = (
                    holder == self.replica
                    and status in RETRYABLE
                    and attempts < MAX_ATTEMPTS
                    and update_id not in self._in_flight
                )
                self._verdicts[update_id] = ours
                if ours:
                    mine.add(update_id)
        return mine

    async def admit(self, update: Update) -> bool:
        """True once for an update that should be handled now."""
        update_id = update.update_id
        verdict = self._verdicts.pop(update_id, None)
        # A claim just won (a failed row taken back) counts even for what this process
        # finished before; otherwise a repeat of what it holds or finished is skipped.
        if update_id in self._in_flight or (update_id in self._finished and not verdict):
            await self._ended(update_id)
            return False
        if verdict is None:
            await self.record([update])
            verdict = self._verdicts.pop(update_id, False)
        if verdict:
            self._in_flight.add(update_id)
            self._idle.clear()
        else:
            await self._ended(update_id)
        return verdict

    async def wait_ended(self, update_id: int, times: int = 1) -> None:
        """Until update `update_id` has ended (been handled or skipped) `times` times in this
        process: what tests and the benchmark wait on instead of sleeping."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._seen.get(update_id, 0) >= times)

    def times_ended(self, update_id: int) -> int:
        return self._seen.get(update_id, 0)

    async def _ended(self, update_id: int) -> None:
        async with self._changed:
            self._seen[update_id] = self._seen.get(update_id, 0) + 1
            if len(self._seen) > 100_000:
                self._seen.pop(next(iter(self._seen)))
            self._changed.notify_all()

    async def finish(self, update_id: int, status: str, error: str | None = None) -> None:
        final = status in FINAL
        values = {
            "update_id": update_id,
            "status": status,
            "error": error,
            "done_at": utcnow() if final else None,
        }
        if final:
            values["payload"] = {}
        try:
            await self.writer.execute(_FINISH_AND_FORGET if final else _FINISH, values)
        finally:
            self._in_flight.discard(update_id)
            if not self._in_flight:
                self._idle.set()
            self._finished[update_id] = None
            while len(self._finished) > 50_000:
                self._finished.popitem(last=False)
            await self._ended(update_id)

    async def renew(self) -> None:
        """Refresh the claims of the updates in hand, so no replica takes them over."""
        now = utcnow()
        rows = [{"update_id": i, "me": self.replica, "now": now} for i in self._in_flight]
        await self.writer.execute(_RENEW, rows)

    async def unfinished(
        self, limit: int = 10_000, older_than: float = 0.0
    ) -> list[dict[str, Any]]:
        """Payloads of updates a crash or a failing handler left, oldest first, now claimed
        by this process: those claimed more than `older_than` seconds ago (0: all — right for
        the one polling process; replicas behind a webhook pass the lease)."""
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(TelegramUpdate)
                    .where(col(TelegramUpdate.status).in_(RETRYABLE))
                    .where(TelegramUpdate.attempts < MAX_ATTEMPTS)
                    .order_by(col(TelegramUpdate.update_id))
                    .limit(limit)
                )
            ).all()
            # A row finished meanwhile may come back without its payload: nothing to replay.
            payloads = {row.update_id: dict(row.payload) for row in rows if row.payload}
        if not payloads:
            return []
        mine = await self._claim(list(payloads), [], older_than)
        return [payloads[i] for i in sorted(mine)]


class LedgerPrefetch(BaseRequestMiddleware):
    """Request middleware: records each getUpdates batch before the dispatcher sees it."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self.ledger = ledger

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # The chain hands back the method's result (a list of updates), whatever the hints say.
        result: Any = await make_request(bot, method)
        if isinstance(method, GetUpdates) and result:
            await self.ledger.record(result)
        return result  # type: ignore[no-any-return]


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class LedgerMiddleware(BaseMiddleware):
    """Outer update middleware: admit once, handle, mark how it ended."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self.ledger = ledger

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not await self.ledger.admit(event):
            log.info("update %d: already handled, skipped", event.update_id)
            return None
        ticket = Ticket(event.update_id)
        data["ledger_ticket"] = ticket
        try:
            result = await handler(event, data)
        except TelegramForbiddenError:
            await self.ledger.finish(event.update_id, "blocked")
            raise
        except Exception as exc:
            await self.ledger.finish(
                event.update_id, "failed", f"{type(exc).__name__}: {exc}"[:2000]
            )
            raise
        await self.ledger.finish(event.update_id, ticket.status)
        return result

"""Outer middleware: the ban list and a polite per-user flood limit.

A banned user's updates are ignored without an answer. Someone writing faster than a person
types gets one friendly notice per minute; what they sent stays in the update ledger (status
`throttled`), so nothing is lost even then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import gettext as _
from sqlmodel import select

from bot.gate import Sessions
from models.tables import BannedUser

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class BanList:
    """Banned Telegram user ids from the store, re-read every `refresh` seconds."""

    def __init__(
        self, sessions: Sessions, refresh: float = 30.0, clock: Clock = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.refresh = refresh
        self.clock = clock
        self._ids: frozenset[int] = frozenset()
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def is_banned(self, user_id: int) -> bool:
        now = self.clock()
        if self._loaded_at is None or now - self._loaded_at >= self.refresh:
            async with self._lock:
                if self._loaded_at is None or now - self._loaded_at >= self.refresh:
                    await self.reload()
        return user_id in self._ids

    async def reload(self) -> None:
        async with self.sessions() as session:
            ids = (await session.exec(select(BannedUser.telegram_user_id))).all()
        self._ids = frozenset(ids)
        self._loaded_at = self.clock()


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    warned_at: float = field(default=-1e9)


class Limit(Protocol):
    """A per-user flood limit: this process's (`Throttle`) or every replica's (Redis)."""

    async def allow(self, user_id: int) -> bool: ...

    async def should_warn(self, user_id: int, every: float = 60.0) -> bool: ...


class Throttle:
    """A token bucket per user: `burst` updates at once, refilled at `rate` per second, in
    this process (one bot process; replicas share `RedisThrottle`)."""

    def __init__(
        self, rate: float = 2.0, burst: float = 20.0, clock: Clock = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    async def allow(self, user_id: int) -> bool:
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(self.burst, now)
            if len(self._buckets) > 100_000:
                self._forget_idle(now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        return False

    async def should_warn(self, user_id: int, every: float = 60.0) -> bool:
        bucket = self._buckets[user_id]
        now = self.clock()
        if now - bucket.warned_at >= every:
            bucket.warned_at = now
            return True
        return False

    def _forget_idle(self, now: float) -> None:
        full = [uid for uid, b in self._buckets.items() if now - b.at > self.burst / self.rate]
        for uid in full:
            del self._buckets[uid]


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class AccessMiddleware(BaseMiddleware):
    def __init__(self, bans: BanList, throttle: Limit) -> None:
        self.bans = bans
        self.throttle = throttle

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        ticket = data.get("ledger_ticket")
        if await self.bans.is_banned(user.id):
            if ticket is not None:
                ticket.status = "ignored"
            return None
        if await self.throttle.allow(user.id):
            return await handler(event, data)
        if ticket is not None:
            ticket.status = "throttled"
        chat: Chat | None = data.get("event_chat")
        bot: Bot = data["bot"]
        if (
            chat is not None
            and chat.type == "private"
            and await self.throttle.should_warn(user.id)
        ):
            try:
                await bot.send_message(
                    chat.id,
                    _(
                        "You are writing faster than I can keep up. Everything you sent so far "
                        "is saved; please wait a minute before sending more."
                    ),
                )
            except TelegramAPIError as exc:
                log.info("throttle notice not delivered: %s", type(exc).__name__)
        return None

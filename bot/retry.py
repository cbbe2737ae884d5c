"""A request middleware that honours Telegram's flood control and rides out brief outages.

Every outgoing Bot API call passes through it: a 429 answer is retried after the `retry_after`
Telegram names (when that wait is short enough to sit out inline), a 5xx or a network error
after a short jittered backoff. Anything else (400, 403, 404) is raised at once, because
repeating it cannot succeed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a call may wait inline before its error is handed to the caller."""

    attempts: int = 5  # tries in all, the first one included
    max_inline_wait: float = 30.0  # a longer retry_after is raised, for the caller to schedule
    backoff: float = 0.5  # first wait after a 5xx or a network error; doubles each time
    max_backoff: float = 5.0


class RetryMiddleware(BaseRequestMiddleware):
    """Retries 429 (after `retry_after`), 5xx and network errors, within a `RetryPolicy`."""

    def __init__(self, policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.retried = 0  # how many calls were repeated, for tests and the benchmark

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # The poller has its own backoff; retrying getUpdates here would only delay it.
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)  # type: ignore[arg-type]  # narrowed
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if attempt >= self.policy.attempts or wait > self.policy.max_inline_wait:
                    raise
                log.warning("%s: flood control, retrying in %.1f s", type(method).__name__, wait)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt >= self.policy.attempts:
                    raise
                wait = min(self.policy.max_backoff, self.policy.backoff * 2 ** (attempt - 1))
                wait *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography
                log.warning(
                    "%s: %s (%s), retrying in %.1f s",
                    type(method).__name__,
                    type(exc).__name__,
                    exc.message[:200],
                    wait,
                )
            attempt += 1
            self.retried += 1
            await self._sleep(wait)


class QuietCallbackAnswers(BaseRequestMiddleware):
    """An answer to a button press that comes too late ("query is too old": after a restart,
    or a replay from the ledger) is not worth failing the handler for."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        try:
            return await make_request(bot, method)  # type: ignore[arg-type]  # narrowed
        except TelegramBadRequest as exc:
            log.info("callback answer dropped: %s", exc.message[:100])
            return True  # type: ignore[return-value]

"""Webhook delivery for the Bot API emulator, as Telegram does it.

After `setWebhook` the emulator POSTs each update as JSON to the URL, with the secret in
`X-Telegram-Bot-Api-Secret-Token` when one was set, one update at a time in order; an answer
other than 2xx, a refused connection or no answer within `timeout` seconds is a failed
delivery, and the same update (same `update_id`) is delivered again after `retry_delay`
seconds, until it is accepted or `max_attempts` run out (Telegram keeps trying for a while and
then drops it). While a webhook is set, getUpdates is refused with 409 Conflict.
`deliveries` logs every attempt as (update_id, HTTP status or the error's name).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class Webhook:
    url: str
    secret: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    timeout: float = 10.0  # Telegram waits ~60 s; tests want to see a retry sooner
    retry_delay: float = 0.2
    max_attempts: int = 20
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    deliveries: list[tuple[int, int | str]] = field(default_factory=list)
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue),
            "max_connections": self.max_connections,
        }
        if self.allowed_updates is not None:
            body["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            body["last_error_date"] = self.last_error_date
            body["last_error_message"] = self.last_error_message
        return body

    def wants(self, update: dict[str, Any]) -> bool:
        if not self.allowed_updates:
            return True
        return any(kind in update for kind in self.allowed_updates)


class WebhookPusher:
    """Delivers a webhook's queue until the webhook is deleted or replaced."""

    def __init__(self, hook: Webhook, changed: asyncio.Condition) -> None:
        self.hook = hook
        self._changed = changed
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def push(self, update: dict[str, Any]) -> None:
        if self.hook.wants(update):
            self.hook.queue.append(update)
            self._wake.set()

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as client:
            while True:
                if not self.hook.queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                update = self.hook.queue[0]
                for _ in range(self.hook.max_attempts):
                    if await self._deliver(client, update):
                        break
                    await asyncio.sleep(self.hook.retry_delay)
                self.hook.queue.popleft()
                async with self._changed:
                    self._changed.notify_all()

    async def _deliver(self, client: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.hook.secret} if self.hook.secret else {}
        outcome: int | str
        try:
            async with client.post(
                self.hook.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.hook.timeout),
            ) as response:
                outcome = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
        self.hook.deliveries.append((update["update_id"], outcome))
        async with self._changed:
            self._changed.notify_all()
        if isinstance(outcome, int) and 200 <= outcome < 300:
            return True
        self.hook.last_error_date = int(time.time())
        self.hook.last_error_message = (
            f"Wrong response from the webhook: {outcome}"
            if isinstance(outcome, int)
            else "Read timeout expired"
            if outcome == "TimeoutError"
            else "Connection refused"
        )
        return False

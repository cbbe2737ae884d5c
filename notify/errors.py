"""How a delivery failed: worth retrying, or never going to work."""

from __future__ import annotations

from typing import Any


class DeliveryError(Exception):
    def __init__(self, reason: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.result = result or {}


class TransientError(DeliveryError):
    """Try again later (SMTP 4xx, a timeout, Telegram 5xx or 429); `retry_after` is the least
    the other side asked us to wait, in seconds."""

    def __init__(
        self, reason: str, result: dict[str, Any] | None = None, retry_after: float = 0.0
    ) -> None:
        super().__init__(reason, result)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Never going to work (SMTP 5xx for the recipient, Telegram 403): dead-letter it."""


class Deferred(Exception):
    """Not sent and not an attempt: a rate limit says wait `seconds` (Telegram pacing)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paced for {seconds:.1f}s")
        self.seconds = seconds

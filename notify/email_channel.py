"""The email channel of the outbox: compose, build the message's bytes (`notify.mimebytes`), send."""

from __future__ import annotations

from typing import Any

from notify.clock import Clock
from notify.compose import CannotCompose, MailConfig, compose
from notify.content import Loaded
from notify.errors import PermanentError
from notify.mimebytes import draft_bytes
from notify.smtp import SmtpPool, SmtpTransport


class EmailChannel:
    """Delivers over one connection or a pool of them; `capacity` says how many messages may
    be on their way at once."""

    def __init__(
        self, transport: SmtpTransport | SmtpPool, config: MailConfig, clock: Clock
    ) -> None:
        self.transport = transport
        self.config = config
        self.clock = clock
        self.capacity = transport.capacity

    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        try:
            message = draft_bytes(compose(loaded, self.config), self.clock.now())
        except CannotCompose as exc:
            raise PermanentError(f"cannot compose: {exc}") from exc
        except ValueError as exc:  # a header would break a line: never send it
            raise PermanentError(f"refused to build: {exc}") from exc
        return await self.transport.send(
            message, self.config.address, loaded.notification.recipient
        )

    async def close(self) -> None:
        await self.transport.close()

    def abort(self) -> None:
        self.transport.abort()


class InternalChannel:
    """Cases entered by staff (channel `internal`) have nobody to acknowledge or relay to."""

    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        return {"skipped": "internal channel: nobody to deliver to"}

    async def close(self) -> None:
        return None

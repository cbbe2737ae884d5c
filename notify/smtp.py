"""Sending mail with aiosmtplib, with every failure classified as transient or permanent and the
per-recipient answer kept (aiosmtplib reports a refused recipient among accepted ones in its
return value, without raising)."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from core.settings import Security, Settings
from core.status import STATUS
from notify.errors import PermanentError, TransientError
from notify.mailmsg import message_bytes

log = logging.getLogger(__name__)

DEFAULT_PORTS = {Security.ssl: 465, Security.starttls: 587, Security.none: 25}
TIMEOUT_SECONDS = 30.0


def _answer(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message[:500]}


def _by_code(code: int, reason: str, result: dict[str, Any]) -> Exception:
    if 500 <= code < 600:
        return PermanentError(reason, result)
    return TransientError(reason, result)


class SmtpTransport:
    """One SMTP connection, opened on first use and reopened after any failure; one message
    at a time (`capacity` 1)."""

    capacity = 1

    def __init__(
        self,
        host: str,
        port: int | None = None,
        security: Security = Security.starttls,
        username: str | None = None,
        password: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        assert settings.SMTP_HOST, "SMTP_HOST is not set"
        password = settings.SMTP_PASSWORD.get_secret_value() if settings.SMTP_PASSWORD else None
        return cls(
            settings.SMTP_HOST,
            settings.SMTP_PORT,
            settings.SMTP_SECURITY,
            settings.SMTP_USER,
            password,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == Security.ssl,
            start_tls=self.security == Security.starttls,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def probe(self) -> None:
        """Connect now (and report whether that worked) rather than at the first message."""
        try:
            await self._connected()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            STATUS.report("smtp", False, type(exc).__name__)
        else:
            STATUS.report("smtp", True)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()

    def abort(self) -> None:
        """Drop the connection without QUIT: a send cut short may have left it mid-DATA, where
        QUIT would be taken as part of the message and wait for an answer that never comes."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def send(
        self, message: EmailMessage | bytes, sender: str, recipient: str
    ) -> dict[str, Any]:
        """Send to one recipient; returns {"recipients": {address: {code, message}}}.

        A message object is flattened under its own policy (`mailmsg.message_bytes`)."""
        data = message if isinstance(message, bytes) else message_bytes(message)
        try:
            client = await self._connected()
            refused, response = await client.sendmail(sender, [recipient], data)
        except asyncio.CancelledError:
            # Cut off by the worker's time limit: the conversation is in an unknown state.
            self.abort()
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            answers = {r.recipient: _answer(r.code, r.message) for r in exc.recipients}
            code = exc.recipients[0].code if exc.recipients else 450
            raise _by_code(code, f"recipient refused ({code})", {"recipients": answers}) from exc
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPRecipientRefused) as exc:
            await self.close()
            result = {"recipients": {recipient: _answer(exc.code, exc.message)}}
            raise _by_code(exc.code, f"message refused ({exc.code})", result) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # Our own sender refused, authentication, HELO: a configuration problem on our side
            # that is fixed by an operator, not a reason to drop what the citizen is owed.
            await self.close()
            STATUS.report("smtp", False, f"SMTP server said {exc.code}")
            raise TransientError(f"SMTP server said {exc.code}", {"smtp": _answer(exc.code, exc.message)}) from exc  # fmt: skip
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            STATUS.report("smtp", False, type(exc).__name__)
            raise TransientError(f"SMTP unavailable: {type(exc).__name__}") from exc
        STATUS.report("smtp", True)
        if recipient in refused:
            answer = refused[recipient]
            result = {"recipients": {recipient: _answer(answer.code, answer.message)}}
            raise _by_code(answer.code, f"recipient refused ({answer.code})", result)
        return {"recipients": {recipient: _answer(250, response)}}


class SmtpPool:
    """Several connections to one relay (SMTP_CONNECTIONS): up to `capacity` messages on their
    way at once, each over a connection of its own, kept open between messages."""

    def __init__(self, transports: list[SmtpTransport]) -> None:
        if not transports:
            raise ValueError("an SMTP pool needs at least one connection")
        self.transports = transports
        self.capacity = len(transports)
        self._free: asyncio.Queue[SmtpTransport] = asyncio.Queue()
        for transport in transports:
            self._free.put_nowait(transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpPool:
        count = settings.SMTP_CONNECTIONS
        return cls([SmtpTransport.from_settings(settings) for _ in range(count)])

    async def send(
        self, message: EmailMessage | bytes, sender: str, recipient: str
    ) -> dict[str, Any]:
        transport = await self._free.get()
        try:
            return await transport.send(message, sender, recipient)
        finally:
            self._free.put_nowait(transport)

    async def probe(self) -> None:
        await self.transports[0].probe()

    async def close(self) -> None:
        """Say goodbye on every idle connection (one in use is left to finish its message)."""
        idle = [self._free.get_nowait() for _ in range(self._free.qsize())]
        try:
            for transport in idle:
                await transport.close()
        finally:
            for transport in idle:
                self._free.put_nowait(transport)

    def abort(self) -> None:
        """Nothing to do: a connection cut off mid-message drops itself (SmtpTransport.send),
        and the others may be carrying messages of their own."""

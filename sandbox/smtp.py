"""An SMTP server on loopback that keeps what it receives: the stand-in for the commissions' and
citizens' mail servers in tests, benchmarks and `shagym demo`.

It runs inside the caller's event loop (no thread), on an ephemeral port unless one is given::

    async with SmtpSink(out_dir=tmp_path / "mail") as sink:
        settings = load_settings(SMTP_HOST=sink.host, SMTP_PORT=sink.port, SMTP_SECURITY="none")
        ...
        [received] = await sink.wait_for(1)
        received.message["Subject"]

Faults are injected per recipient (`refuse("a@x", 451, times=1)` answers RCPT TO with a 4xx
once, then accepts) or at the DATA stage (`fail_data(452)`), so the outbox's transient and
permanent paths can be exercised against a real SMTP conversation. `python -m sandbox.smtp`
runs one standalone and writes every message as an .eml file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import logging
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Received:
    """One message as the server accepted it: the envelope and the bytes of DATA."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(slots=True)
class Fault:
    code: int
    text: str
    times: int | None = None  # None: every time

    def fire(self) -> str | None:
        if self.times is not None:
            if self.times <= 0:
                return None
            self.times -= 1
        return f"{self.code} {self.text}"


@dataclass(slots=True)
class _Handler:
    sink: SmtpSink

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        fault = self.sink.recipient_faults.get(address.lower())
        answer = fault.fire() if fault else None
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        for fault in self.sink.data_faults:
            answer = fault.fire()
            if answer:
                return answer
        data = envelope.original_content or envelope.content
        await self.sink.keep(Received(envelope.mail_from, list(envelope.rcpt_tos), data))
        return f"250 OK: queued as {len(self.sink.messages)}"


@dataclass(eq=False)
class SmtpSink:
    """The loopback SMTP server. `username`/`password` make AUTH required (over plain text:
    it is loopback only)."""

    host: str = "127.0.0.1"
    port: int = 0
    out_dir: Path | None = None
    username: str | None = None
    password: str | None = None
    messages: list[Received] = field(default_factory=list)
    recipient_faults: dict[str, Fault] = field(default_factory=dict)
    data_faults: list[Fault] = field(default_factory=list)
    _server: asyncio.AbstractServer | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def refuse(self, address: str, code: int = 550, text: str = "", times: int | None = None):
        """Answer RCPT TO for `address` with `code` (`times` times, or always)."""
        text = text or ("5.1.1 Mailbox unavailable" if code >= 500 else "4.3.0 Try again later")
        self.recipient_faults[address.lower()] = Fault(code, text, times)

    def fail_data(self, code: int = 451, text: str = "4.3.0 Queue full", times: int | None = 1):
        """Answer the next DATA (`times` times, or always) with `code`."""
        self.data_faults.append(Fault(code, text, times))

    def clear_faults(self) -> None:
        self.recipient_faults.clear()
        self.data_faults.clear()

    async def keep(self, received: Received) -> None:
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / f"{len(self.messages) + 1:05d}.eml").write_bytes(received.data)
        async with self._arrived:
            self.messages.append(received)
            self._arrived.notify_all()

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first `count` messages, once that many have arrived."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages[:count]

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok)

    def _protocol(self) -> SMTP:
        auth = self.username is not None
        with warnings.catch_warnings():  # AUTH without TLS is intended: loopback only
            warnings.simplefilter("ignore")
            return SMTP(
                _Handler(self),
                hostname="sandbox.smtp",
                enable_SMTPUTF8=True,
                data_size_limit=64 * 1024 * 1024,
                authenticator=self._authenticate if auth else None,
                auth_required=auth,
                auth_require_tls=False,
            )

    async def start(self) -> SmtpSink:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("sandbox SMTP listening on %s:%d", self.host, self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def __aenter__(self) -> SmtpSink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve(host: str, port: int, out_dir: Path) -> None:
    async with SmtpSink(host=host, port=port, out_dir=out_dir) as sink:
        print(f"sandbox SMTP on {sink.host}:{sink.port}, keeping mail in {out_dir}")  # noqa: T201
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A loopback SMTP server that keeps what it gets.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", type=Path, default=Path("sandbox-mail"))
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()

"""The demo's world: a temporary directory, the three sandboxes and every shagym loop.

`demo_world(root)` starts the Bot API emulator, the SMTP sink (writing each message it gets as
an .eml file under `root/mail`), a private Dovecot when one can be started, and the real
runner (`shagym.runner.run_service`) with settings pointed at them and a SQLite store in
`root`. The story (`demo.story`) and the end-to-end tests act on this world.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.policy
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from intake.commissions import read_file
from models.db import SessionFactory, create_engine, create_session_factory
from sandbox.dovecot import DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotUnavailable
from sandbox.smtp import Received, SmtpSink
from sandbox.telegram import TelegramEmulator
from shagym.runner import run_service

REPO = Path(__file__).resolve().parent.parent
COMMISSIONS_FILE = REPO / "config" / "commissions.example.toml"
HOTLINE = DEFAULT_USER  # the mailbox citizens write to, and the address the hotline sends from
DEMO_LOOPS = {"bot", "mail", "outbox"}  # the digest is played with a clock instead (see story)
START_TIMEOUT = 60.0
INSTALL_HINT = (
    "apt-get install dovecot-imapd (or `make demo`, which installs it) to see the email channel"
)


def demo_settings(
    root: Path, emu: TelegramEmulator, sink: SmtpSink, imap: dict[str, Any]
) -> Settings:
    """Settings for the sandboxes only: `.env` is not read, so no real credential is used."""
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'shagym.db'}",
        "BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE": emu.base_url,
        "SMTP_HOST": sink.host,
        "SMTP_PORT": sink.port,
        "SMTP_SECURITY": "none",
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "MAIL_FROM": f"Shagym hotline <{HOTLINE}>",
        "COMMISSIONS_FILE": COMMISSIONS_FILE,
        "ATTACHMENTS_DIR": root / "attachments",
        "TIMEZONE": "Asia/Almaty",
        "DIGEST_AT": dt.time(9, 0),
        "REDIS_URL": None,
        "IMAP_HOST": None,
        "IMAP_POLL_SECONDS": 1.0,
        **imap,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class DemoWorld:
    root: Path
    settings: Settings
    emu: TelegramEmulator
    sink: SmtpSink
    dovecot: Dovecot | None
    dovecot_reason: str | None
    stop: asyncio.Event
    service: asyncio.Task[None]
    engine: AsyncEngine | None = None
    sessions: SessionFactory = field(init=False)

    @property
    def mail_dir(self) -> Path:
        assert self.sink.out_dir is not None
        return self.sink.out_dir

    def eml_path(self, received: Received) -> Path:
        """The .eml file the sink wrote for a message (it numbers them from 1)."""
        index = next(i for i, m in enumerate(self.sink.messages) if m is received)
        return self.mail_dir / f"{index + 1:05d}.eml"

    async def wait_mail(
        self, wanted: Callable[[EmailMessage], Awaitable[bool]], timeout: float = 60.0
    ) -> Received:
        """The first message at the sink (already there, or arriving) that `wanted` accepts."""
        try:
            return await self._wait_mail(wanted, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"an expected email did not reach the SMTP sink in {timeout:.0f} s"
            ) from None

    async def _wait_mail(
        self, wanted: Callable[[EmailMessage], Awaitable[bool]], timeout: float
    ) -> Received:
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                while seen < len(self.sink.messages):
                    received = self.sink.messages[seen]
                    seen += 1
                    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
                    if await wanted(parsed):  # type: ignore[arg-type]
                        return received
                self.check_service()
                with contextlib.suppress(TimeoutError):
                    await self.sink.wait_for(seen + 1, timeout=1.0)

    def check_service(self) -> None:
        """Raise when the service has ended: `Stopped` when it was asked to (Ctrl-C: the
        runner turns SIGINT into its stop event), RuntimeError when it failed."""
        if not self.service.done():
            return
        error = None if self.service.cancelled() else self.service.exception()
        if error is None and self.stop.is_set():
            raise Stopped
        raise RuntimeError("the shagym service stopped early") from error


class Stopped(Exception):
    """The service was stopped (Ctrl-C) before the demo ended."""


async def _start_dovecot() -> tuple[Dovecot | None, str | None]:
    try:
        server = await asyncio.to_thread(Dovecot.start, {HOTLINE: DEFAULT_PASSWORD})
    except DovecotUnavailable as exc:
        return None, str(exc)
    return server, None


def _add_groups(emu: TelegramEmulator, commissions_file: Path) -> None:
    for spec in read_file(commissions_file):
        if spec.telegram_chat_id is not None:
            emu.group(spec.telegram_chat_id, spec.name)


async def _wait_up(world: DemoWorld) -> None:
    """Until the bot polls the emulator (the store is migrated and commissions loaded by
    then: the runner does both before it starts a loop)."""

    polled = asyncio.ensure_future(
        world.emu.wait_until(lambda: world.emu.polls > 0, START_TIMEOUT)
    )
    try:
        await asyncio.wait([polled, world.service], return_when=asyncio.FIRST_COMPLETED)
    finally:
        polled.cancel()
    world.check_service()
    if polled.cancelled() or polled.exception() is not None:
        raise RuntimeError(f"the bot did not poll the emulator within {START_TIMEOUT:.0f} s")


@contextlib.asynccontextmanager
async def demo_world(root: Path, *, with_mail: bool = True) -> AsyncIterator[DemoWorld]:
    """Start the sandboxes and the service on a store in `root`; stop them all at the end."""
    root.mkdir(parents=True, exist_ok=True)
    dovecot, reason = await _start_dovecot() if with_mail else (None, "email part not asked for")
    sink = SmtpSink(out_dir=root / "mail")
    emu = TelegramEmulator()
    try:
        await sink.start()
        await emu.start()
        _add_groups(emu, COMMISSIONS_FILE)
        imap = dovecot.settings() if dovecot else {}
        settings = demo_settings(root, emu, sink, imap)
        stop = asyncio.Event()
        service = asyncio.create_task(run_service(settings, set(DEMO_LOOPS), stop))
        world = DemoWorld(root, settings, emu, sink, dovecot, reason, stop, service)
        try:
            await _wait_up(world)
            world.engine = create_engine(settings.DATABASE_URL)
            world.sessions = create_session_factory(world.engine)
            yield world
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(service, 60)
            if world.engine is not None:
                await world.engine.dispose()
    finally:
        await emu.stop()
        await sink.stop()
        if dovecot is not None:
            await asyncio.to_thread(dovecot.stop)

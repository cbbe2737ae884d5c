"""The scale-out fault test's world: one PostgreSQL database, Redis, Dovecot, the SMTP sink and
two Bot API emulators in the test process (never killed), and each role as its own
`shagym run --only <role>` child process (killed at will).

Two emulators, because this branch's bot polls: two processes polling one token would take
each other's updates (Telegram refuses it outright). Each bot replica polls its own emulator
(their update ids apart, as one Telegram's are unique), and both outbox workers post to the
first one, where the commissions' groups are. With webhook delivery, one emulator POSTing to
both replicas through a proxy replaces the second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from e2e_system import _die_with_parent, environment, shagym_command

from demo.world import COMMISSIONS_FILE
from intake.commissions import read_file
from sandbox.dovecot import DEFAULT_PASSWORD, DEFAULT_USER, Dovecot
from sandbox.smtp import SmtpSink
from sandbox.telegram import TelegramEmulator

UP_TIMEOUT = 120.0
SECOND_IDS = 500_000_000  # the second emulator's update ids start here


@dataclass
class World:
    emus: tuple[TelegramEmulator, TelegramEmulator]
    sink: SmtpSink
    dovecot: Dovecot
    database_url: str
    redis_url: str

    @property
    def emu(self) -> TelegramEmulator:  # what e2e_system.environment reads
        return self.emus[0]

    def inbox(self, folder: str = "INBOX") -> int:
        with self.dovecot.mailbox(folder=None) as box:  # type: ignore[arg-type]
            if not box.folder.exists(folder):
                return 0
            return int(box.folder.status(folder, ["MESSAGES"])["MESSAGES"])


@contextlib.asynccontextmanager
async def world(database_url: str, redis_url: str) -> AsyncIterator[World]:
    dovecot = await asyncio.to_thread(Dovecot.start, {DEFAULT_USER: DEFAULT_PASSWORD})
    try:
        async with (
            TelegramEmulator(keep_calls=False) as first,
            TelegramEmulator(keep_calls=False) as second,
            SmtpSink() as sink,
        ):
            second._update_ids = itertools.count(SECOND_IDS)  # type: ignore[attr-defined]
            for emu in (first, second):
                for spec in read_file(COMMISSIONS_FILE):
                    if spec.telegram_chat_id is not None:
                        emu.group(spec.telegram_chat_id, spec.name)
            yield World((first, second), sink, dovecot, database_url, redis_url)
    finally:
        await asyncio.to_thread(dovecot.stop)


@dataclass
class Role:
    """One `shagym run --only <role>` child; `emu` is the emulator it talks to."""

    world: World
    role: str
    directory: Path
    emu_index: int = 0
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        emu = self.world.emus[self.emu_index]
        self.env = environment(self.world, self.directory)  # type: ignore[arg-type]
        self.env |= {
            "DATABASE_URL": self.world.database_url,
            "REDIS_URL": self.world.redis_url,
            "BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE": emu.base_url,
            "BOT_UPDATE_LEASE_SECONDS": "60",  # what a replica holds is its own this long
            "BOT_REPLICA_ID": self.directory.name,  # and a restarted one takes it back
            "OUTBOX_LEASE_SECONDS": "10",  # a dead worker's rows: the shortest lease allowed
            "ATTACHMENTS_DIR": str(self.directory.parent / "attachments"),  # shared by all
            "RECEIPT_KEY": "scaleout-test-receipt-key",
        }
        self.log = self.directory / f"{self.directory.name}.log"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            log.write(f"\n=== start {self.starts + 1} ===\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [*shagym_command(), "--only", self.role],
                cwd=self.directory,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        self.starts += 1
        await self._up()

    async def _up(self) -> None:
        """Until the runner says its loop runs (the bot: also polls its emulator)."""
        emu = self.world.emus[self.emu_index]
        polls = emu.polls
        marker = f"=== start {self.starts} ==="
        deadline = time.monotonic() + UP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.role} exited at start; see {self.log}")
            text = self.log.read_text(errors="replace").rsplit(marker, 1)[-1]
            if "running: " in text and (self.role != "bot" or emu.polls > polls):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.role} did not start in {UP_TIMEOUT:.0f} s; see {self.log}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no cleanup of any kind
        await asyncio.to_thread(self.process.wait)
        self.process = None
        self.kills += 1

    async def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.terminate()
        try:
            code = await asyncio.wait_for(asyncio.to_thread(self.process.wait), 60)
        except TimeoutError:
            self.process.kill()
            raise
        self.process = None
        return code

    def leading(self) -> bool:
        """A mail poller: whether its log says it leads the mailbox now."""
        text = self.log.read_text(errors="replace")
        return text.rfind("leading mail:") > max(
            text.rfind("no longer leading"), text.rfind("=== start")
        )

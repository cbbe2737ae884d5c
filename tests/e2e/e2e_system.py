"""The whole system for the crash test: the sandboxes in the test process (never killed) and
`shagym run` as a child process with settings pointed at them (killed at will).

    async with Sandboxes.start(tmp_path) as world:
        shagym = Shagym(world, tmp_path)
        await shagym.start()           # returns once the bot polls the emulator
        await shagym.kill()            # SIGKILL: no cleanup of any kind
        await shagym.stop()            # SIGTERM: the service drains and exits
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import shagym
from demo.world import COMMISSIONS_FILE
from intake.commissions import read_file
from sandbox.dovecot import DEFAULT_PASSWORD, DEFAULT_USER, Dovecot
from sandbox.smtp import SmtpSink
from sandbox.telegram import TelegramEmulator
from tests.conftest import TEST_KEYRING

HOTLINE = DEFAULT_USER
UP_TIMEOUT = 90.0
PR_SET_PDEATHSIG = 1


@dataclass
class Sandboxes:
    emu: TelegramEmulator
    sink: SmtpSink
    dovecot: Dovecot

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls) -> AsyncIterator[Sandboxes]:
        dovecot = await asyncio.to_thread(Dovecot.start, {HOTLINE: DEFAULT_PASSWORD})
        try:
            async with TelegramEmulator(keep_calls=False) as emu, SmtpSink() as sink:
                for spec in read_file(COMMISSIONS_FILE):
                    if spec.telegram_chat_id is not None:
                        emu.group(spec.telegram_chat_id, spec.name)
                yield cls(emu, sink, dovecot)
        finally:
            await asyncio.to_thread(dovecot.stop)

    def inbox(self, folder: str = "INBOX") -> int:
        """Messages in a folder of the hotline's mailbox (blocking: run it in a thread)."""
        with self.dovecot.mailbox(folder=None) as box:  # type: ignore[arg-type]
            if not box.folder.exists(folder):
                return 0
            return int(box.folder.status(folder, ["MESSAGES"])["MESSAGES"])


def source_root() -> Path:
    """Where the code under test was imported from: the child runs the same code."""
    return Path(shagym.__file__).resolve().parent.parent


def environment(world: Sandboxes, directory: Path) -> dict[str, str]:
    """Only what `shagym run` needs, so nothing of the caller's environment leaks in; the
    working directory has no `.env` either."""
    imap = {key: str(value) for key, value in world.dovecot.settings().items()}
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(source_root()),
        "HOME": str(directory),
        "LANG": "C.UTF-8",
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'shagym.db'}",
        "BOT_TOKEN": world.emu.token,
        "TELEGRAM_API_BASE": world.emu.base_url,
        "SMTP_HOST": world.sink.host,
        "SMTP_PORT": str(world.sink.port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": f"Shagym hotline <{HOTLINE}>",
        "COMMISSIONS_FILE": str(COMMISSIONS_FILE),
        "ATTACHMENTS_DIR": str(directory / "attachments"),
        # The tests' keyring, so what the child writes reads back here.
        "DATA_KEY": TEST_KEYRING.data_keys[0].hex(),
        "HASH_KEY": TEST_KEYRING.hash_key.hex(),
        "IMAP_POLL_SECONDS": "1",
        # Rows a killed worker claimed come back when their lease ends: short here, so the
        # test does not wait out production's two minutes after every kill.
        "OUTBOX_LEASE_SECONDS": "20",
        "LOG_LEVEL": "INFO",
        **imap,
    }


def _die_with_parent() -> None:
    """In the child: SIGKILL it if the test process dies, so no service outlives a run."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def shagym_command() -> list[str]:
    script = Path(sys.executable).with_name("shagym")
    if script.exists():
        return [str(script), "run"]
    return [sys.executable, "-c", "from shagym.cli import main; main()", "run"]


class Shagym:
    """`shagym run` (every loop) as a child process; its output goes to `shagym.log`."""

    def __init__(self, world: Sandboxes, directory: Path) -> None:
        self.world = world
        self.directory = directory
        self.env = environment(world, directory)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log = directory / "shagym.log"

    async def start(self) -> None:
        emu = self.world.emu
        polls = emu.polls
        with self.log.open("ab") as log:
            log.write(f"\n=== start {self.starts + 1} ===\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                shagym_command(),
                cwd=self.directory,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        self.starts += 1
        process = self.process

        def up() -> bool:
            return emu.polls > polls or process.poll() is not None

        await emu.wait_until(up, timeout=UP_TIMEOUT)
        if process.poll() is not None:
            raise RuntimeError(f"shagym exited at start ({process.returncode}); see {self.log}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)
        self.process = None

    async def stop(self) -> int:
        """SIGTERM, and wait for the service to finish what it has in hand."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(asyncio.to_thread(self.process.wait), 60)
        except TimeoutError:
            self.process.kill()
            raise
        self.process = None
        return code

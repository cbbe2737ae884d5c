"""The runner (`shagym run`): SIGINT/SIGTERM stop it while it runs and are handed back when it
returns; on the way out every loop closes what it opened (threads of SQLite connections, tasks),
so the process can exit."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from sandbox.dovecot import Dovecot, unavailable_reason
from sandbox.smtp import SmtpSink
from sandbox.telegram import TelegramEmulator
from shagym.runner import run_service

ROOT = Path(__file__).resolve().parent.parent


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shagym.db'}",
        ATTACHMENTS_DIR=tmp_path / "attachments",
        COMMISSIONS_FILE=ROOT / "config" / "commissions.example.toml",
        **values,
    )


@pytest.fixture
def sigterm_handler() -> Iterator[Any]:
    """A Python-level SIGTERM handler in place before the service starts (as asyncio.run puts
    its own for SIGINT); put back to what it was after the test."""

    def handler(signum: int, frame: Any) -> None:
        raise AssertionError("the test's own handler was called")

    before = signal.signal(signal.SIGTERM, handler)
    yield handler
    signal.signal(signal.SIGTERM, before)


def _assert_no_loop_handlers() -> None:
    loop = asyncio.get_running_loop()
    assert loop.remove_signal_handler(signal.SIGINT) is False
    assert loop.remove_signal_handler(signal.SIGTERM) is False


async def test_it_hands_the_signals_back_when_it_returns(tmp_path, sigterm_handler):
    sigint_before = signal.getsignal(signal.SIGINT)
    await run_service(_settings(tmp_path), set())  # nothing to run: returns at once
    _assert_no_loop_handlers()
    assert signal.getsignal(signal.SIGINT) is sigint_before
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler


def _ours(task: asyncio.Task[Any]) -> bool:
    """A task running code of this repository (not of a library, a sandbox or the test)."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code else ""
    return (
        filename.startswith(str(ROOT))
        and "/.venv/" not in filename
        and "/sandbox/" not in filename
        and "/tests/" not in filename
    )


# Idle workers of thread pools (the loop's default executor, the digest renderer) are joined
# when the interpreter exits; they do not keep the process alive.
POOL_THREADS = ("asyncio_", "digest-render_")


async def _threads_end(before: set[threading.Thread], seconds: float = 5.0) -> list[str]:
    """The non-daemon threads started since `before` that are still alive after `seconds`,
    pool workers aside (an unclosed aiosqlite connection keeps one, and the process, alive)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        left = [
            t.name
            for t in threading.enumerate()
            if t not in before
            and t.is_alive()
            and not t.daemon
            and not t.name.startswith(POOL_THREADS)
        ]
        if not left or asyncio.get_running_loop().time() > deadline:
            return left
        await asyncio.sleep(0.05)


async def test_a_sigterm_stops_every_loop_and_each_closes_what_it_opened(
    tmp_path, sigterm_handler
):
    threads_before = set(threading.enumerate())
    dovecot = None if unavailable_reason() else Dovecot.start({"hotline@localhost": "secret"})
    try:
        async with TelegramEmulator() as emu, SmtpSink() as sink:
            imap = dovecot.settings() if dovecot else {}
            settings = _settings(
                tmp_path,
                BOT_TOKEN=emu.token,
                TELEGRAM_API_BASE=emu.base_url,
                SMTP_HOST=sink.host,
                SMTP_PORT=sink.port,
                SMTP_SECURITY="none",
                IMAP_POLL_SECONDS=1.0,
                **imap,
            )
            wanted = {"bot", "outbox", "digests"} | ({"mail"} if dovecot else set())
            service = asyncio.create_task(run_service(settings, wanted))
            user = emu.user(8001, "Dana")
            hello = await user.say("/start")  # the bot's writer has opened its SQLite lane
            assert "Dana" in hello.text
            os.kill(os.getpid(), signal.SIGTERM)
            async with asyncio.timeout(60):
                await service
            _assert_no_loop_handlers()
            assert signal.getsignal(signal.SIGTERM) is sigterm_handler
            left = [t.get_name() for t in asyncio.all_tasks() if _ours(t) and not t.done()]
            assert left == []
    finally:
        if dovecot is not None:
            dovecot.stop()
    left_threads = await _threads_end(threads_before)
    assert not left_threads, left_threads

"""The runner's entry point: `bot.service.run_bot(settings, sessions, stop)`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import bot_fixtures
import pytest

from bot.service import run_bot
from core.settings import load_settings
from models.db import SessionFactory
from sandbox.telegram import TelegramEmulator

tg_store = bot_fixtures.tg_store


async def test_run_bot_answers_until_stopped(
    tg_store: tuple[str, SessionFactory], tmp_path: Path
) -> None:
    url, sessions = tg_store
    async with TelegramEmulator() as emu:
        settings = load_settings(
            DATABASE_URL=url,
            BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE=emu.base_url,
            ATTACHMENTS_DIR=tmp_path / "attachments",
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(settings, sessions, stop))
        user = emu.user(8001, "Dana", language_code="kk")
        hello = await user.say("/start")
        assert "Сәлеметсіз бе, Dana!" in hello.text
        assert [c["description"] for c in emu.commands["kk"]][:2] == [
            "Басты мәзір",
            "Бұзушылық туралы хабарлау",
        ]
        stop.set()
        async with asyncio.timeout(30):
            await task


def test_no_filter_or_handler_of_ours_runs_in_a_thread(tmp_path: Path) -> None:
    """aiogram runs plain callables (bare States, magic filters) in worker threads: slow."""
    from bot.dispatcher import create_dispatcher
    from models.db import create_engine, create_session_factory

    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", ATTACHMENTS_DIR=tmp_path
    )
    dp = create_dispatcher(
        settings=settings, sessions=create_session_factory(create_engine(settings.DATABASE_URL))
    )
    threaded = []

    def walk(router: object) -> None:
        if "commission" in getattr(router, "name", ""):
            return  # the commissions issue's routers are theirs
        for name, observer in router.observers.items():  # type: ignore[attr-defined]
            for handler in observer.handlers:
                for item in [handler, *(handler.filters or [])]:
                    if not item.awaitable:
                        threaded.append((router.name, name, repr(item.callback)[:60]))  # type: ignore[attr-defined]
        for sub in router.sub_routers:  # type: ignore[attr-defined]
            walk(sub)

    walk(dp)
    assert threaded == []


def test_the_ban_list_is_kept_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from shagym.cli import app

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["bot", "ban", "4242", "--reason", "spam"]).exit_code == 0
    listed = runner.invoke(app, ["bot", "bans"]).output.strip().splitlines()
    assert [json.loads(line)["telegram_user_id"] for line in listed] == [4242]
    assert "unbanned 4242" in runner.invoke(app, ["bot", "unban", "4242"]).output
    assert runner.invoke(app, ["bot", "bans"]).output.strip() == ""
    assert json.loads(runner.invoke(app, ["bot", "ledger"]).output) == {}

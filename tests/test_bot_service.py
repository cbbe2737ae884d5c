"""The runner's entry point: `bot.service.run_bot(settings, sessions, stop)`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import bot_fixtures

from bot.service import run_bot
from models.db import SessionFactory
from sandbox.telegram import TelegramEmulator
from shagym.settings import load_settings

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
